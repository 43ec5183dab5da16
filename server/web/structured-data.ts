import { sortEvents } from '../domain/chronology.js';
import { startInstant } from '../domain/dates.js';
import type { StoryRecord } from '../storage/store.js';
import { eventPath, storyPath } from './present.js';

/**
 * schema.org for search engines: a LiveBlogPosting with its updates while the story
 * develops, an Article listing the events once it is concluded.
 */
export function storyJsonLd(record: StoryRecord, origin: string): object {
  const { story } = record;
  const url = `${origin}${storyPath(story.slug)}`;
  const events = sortEvents(record.events.filter((e) => !e.retraction), story.timeZone, 'asc');
  const item = (e: (typeof events)[number]) => ({
    '@type': 'BlogPosting',
    headline: e.title,
    url: `${origin}${eventPath(story.slug, e.id)}`,
    datePublished: e.createdAt,
    dateModified: e.updatedAt,
    articleBody: e.body,
    about: { '@type': 'Event', name: e.title, startDate: startInstant(e.date, e.timeZone, story.timeZone) },
  });
  const base = {
    '@context': 'https://schema.org',
    headline: story.title,
    description: story.summary,
    url,
    mainEntityOfPage: url,
    inLanguage: story.language,
    datePublished: story.createdAt,
    dateModified: story.updatedAt,
    publisher: { '@type': 'Organization', name: 'Chrono' },
  };
  if (story.status === 'developing') {
    return {
      ...base,
      '@type': 'LiveBlogPosting',
      coverageStartTime: story.createdAt,
      liveBlogUpdate: [...events].reverse().slice(0, 100).map(item),
    };
  }
  return {
    ...base,
    '@type': 'Article',
    mainEntity: { '@type': 'ItemList', itemListOrder: 'https://schema.org/ItemListOrderAscending', numberOfItems: events.length, itemListElement: events.map((e, i) => ({ '@type': 'ListItem', position: i + 1, item: item(e) })) },
  };
}

/** JSON for inside <script>: nothing in it can close the element or start markup. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
