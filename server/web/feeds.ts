import { Feed } from 'feed';
import { sortEvents } from '../domain/chronology.js';
import type { StoryRecord } from '../storage/store.js';
import { LABELS } from './i18n.js';
import { eventPath, presentEvent, storyPath } from './present.js';

export type FeedFormat = 'atom' | 'rss' | 'json';

// XML 1.0 cannot carry these at all, escaped or not: they are dropped from feed text.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const clean = (text: string) => text.replace(NOT_XML, '');
const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * One entry per event, the latest events first, dated by its last change; corrections and
 * retractions show in the entry. Atom titles are typed HTML, so plain text is escaped there.
 */
export function buildFeed(record: StoryRecord, format: FeedFormat, origin: string, keyOnly: boolean): string {
  const { story } = record;
  const labels = LABELS[story.language];
  const url = `${origin}${storyPath(story.slug)}`;
  const feed = new Feed({
    title: clean(story.title),
    description: clean(story.summary),
    id: url,
    link: url,
    language: story.language,
    updated: new Date(story.updatedAt),
    copyright: '',
    generator: 'Chrono',
    feedLinks: {
      atom: `${url}/feed.atom${keyOnly ? '?key=1' : ''}`,
      rss: `${url}/feed.rss${keyOnly ? '?key=1' : ''}`,
      json: `${url}/feed.json${keyOnly ? '?key=1' : ''}`,
    },
  });
  const events = sortEvents(record.events.filter((e) => !keyOnly || e.importance === 'key'), story.timeZone, 'desc');
  for (const event of events) {
    const view = presentEvent(event, story);
    const notes = [
      ...view.corrections.map((c) => `<p><strong>${escapeHtml(labels.correctedOn)} ${escapeHtml(c.text)}</strong>${escapeHtml(labels.colon)}${escapeHtml(c.note)}</p>`),
      ...(view.retraction ? [`<p><strong>${escapeHtml(labels.retractedOn)} ${escapeHtml(view.retraction.text)}</strong>${escapeHtml(labels.colon)}${escapeHtml(view.retraction.reason)}</p>`] : []),
    ];
    const sources = view.sources.map((s) => `<a href="${escapeHtml(s.url)}">${escapeHtml(s.label)}</a>`).join(', ');
    const content = clean(
      `<p><time datetime="${escapeHtml(view.datetime)}">${escapeHtml(view.date.text)}</time></p>${notes.join('')}${view.bodyHtml}${sources ? `<p>${escapeHtml(labels.sources)} ${sources}</p>` : ''}`,
    );
    const title = clean(`${event.retraction ? `[${labels.retractedBadge}] ` : ''}${event.title}`);
    const link = `${origin}${eventPath(story.slug, event.id)}`;
    feed.addItem({
      title: format === 'atom' ? escapeHtml(title) : title,
      id: link,
      link,
      date: new Date(event.updatedAt),
      published: new Date(event.createdAt),
      // Atom's summary and RSS's description are read as HTML; JSON Feed's summary is text
      description: format === 'json' ? clean(`${view.date.text} — ${event.title}`) : escapeHtml(clean(`${view.date.text} — ${event.title}`)),
      content,
      category: event.tags.map((t) => ({ name: clean(t), term: clean(t) })),
    });
  }
  // the library escapes & but not < in attribute values, which XML forbids
  if (format === 'atom') return feed.atom1().replace(/ (label|term)="([^"]*)"/g, (_m, name: string, value: string) => ` ${name}="${value.replace(/</g, '&lt;')}"`);
  if (format === 'rss') return feed.rss2();
  // the library writes JSON Feed 1; what it writes is also valid 1.1 once labelled so
  return JSON.stringify({ ...JSON.parse(feed.json1()), version: 'https://jsonfeed.org/version/1.1', language: story.language });
}
