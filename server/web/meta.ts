import type { ChronoEvent } from '../domain/types.js';
import type { StoryRecord } from '../storage/store.js';
import { LABELS } from './i18n.js';
import { eventPath, storyPath } from './present.js';
import { scriptJson, storyJsonLd } from './structured-data.js';

export interface PageMeta {
  canonical: string;
  title: string;
  description: string;
  locale: string;
  image?: { url: string; alt: string };
  feeds: { type: string; title: string; href: string }[];
  oembed: string;
  /** already safe inside <script> (scriptJson) */
  jsonLd?: string;
}

const LOCALES = { fr: 'fr_FR', en: 'en_US' } as const;

/** What sharing, feed readers, oEmbed consumers and search engines read in a page's head. */
export function pageMeta(record: StoryRecord, origin: string, event?: ChronoEvent): PageMeta {
  const { story } = record;
  const storyUrl = `${origin}${storyPath(story.slug)}`;
  const canonical = event ? `${origin}${eventPath(story.slug, event.id)}` : storyUrl;
  const withMedia = event?.media ? event : record.events.find((e) => e.importance === 'key' && e.media && !e.retraction);
  const labels = LABELS[story.language];
  return {
    canonical,
    title: event ? event.title : story.title,
    description: event ? (event.body.slice(0, 200) || story.title) : story.summary,
    locale: LOCALES[story.language],
    ...(withMedia?.media ? { image: { url: withMedia.media.url, alt: withMedia.media.alt } } : {}),
    feeds: [
      { type: 'application/atom+xml', title: `${story.title} (Atom)`, href: `${storyUrl}/feed.atom` },
      { type: 'application/rss+xml', title: `${story.title} (RSS)`, href: `${storyUrl}/feed.rss` },
      { type: 'application/feed+json', title: `${story.title} (JSON Feed)`, href: `${storyUrl}/feed.json` },
      { type: 'application/atom+xml', title: `${story.title} — ${labels.keyOnly} (Atom)`, href: `${storyUrl}/feed.atom?key=1` },
    ],
    oembed: `${origin}/oembed?format=json&url=${encodeURIComponent(canonical)}`,
    ...(event ? {} : { jsonLd: scriptJson(storyJsonLd(record, origin)) }),
  };
}
