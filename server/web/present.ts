// Turns domain records into what templates and the API show. Every date rule comes from
// domain/dates, so the page, the API and (later) feeds and embeds agree.
import { sortEvents } from '../domain/chronology.js';
import { formatEventDate, formatInstant, instantInZone, machineDate, startInstant, type FormattedDate } from '../domain/dates.js';
import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';
import { isWebUrl } from '../domain/validate.js';
import type { StoryRecord } from '../storage/store.js';
import { LABELS, type Labels } from './i18n.js';
import { renderBody } from './markdown.js';

export interface EventView {
  id: string;
  title: string;
  bodyHtml: string;
  date: FormattedDate;
  datetime: string;
  sources: { label: string; url: string }[];
  tags: string[];
  importance: ChronoEvent['importance'];
  verification: ChronoEvent['verification'];
  media?: { url: string; alt: string; caption?: string; credit?: string };
  permalink: string;
  inChronology: string;
  corrections: { text: string; datetime: string; note: string }[];
  retraction?: { text: string; datetime: string; reason: string };
}

export interface StoryView {
  story: Story;
  labels: Labels;
  url: string;
  statusLabel: string;
  updatedText: string;
  updatedIso: string;
}

export function storyPath(slug: string): string {
  return `/stories/${encodeURIComponent(slug)}`;
}

export function eventPath(slug: string, id: string): string {
  return `${storyPath(slug)}/events/${encodeURIComponent(id)}`;
}

export function presentStory(story: Story | StorySummary): StoryView {
  const labels = LABELS[story.language];
  return {
    story,
    labels,
    url: storyPath(story.slug),
    statusLabel: labels.status[story.status],
    updatedText: formatInstant(story.updatedAt, story.timeZone, story.language),
    updatedIso: instantInZone(story.updatedAt, story.timeZone),
  };
}

export function presentEvent(event: ChronoEvent, story: Story): EventView {
  const media = event.media && isWebUrl(event.media.url) ? event.media : undefined;
  return {
    id: event.id,
    title: event.title,
    bodyHtml: renderBody(event.body),
    date: formatEventDate(event, story.timeZone, story.language),
    datetime: machineDate(event.date, event.timeZone, story.timeZone),
    // validated on the way in; checked again so nothing but http(s) can ever reach an href
    sources: event.sources.filter((s) => isWebUrl(s.url)),
    tags: event.tags,
    importance: event.importance,
    verification: event.verification,
    media,
    permalink: eventPath(story.slug, event.id),
    inChronology: `${storyPath(story.slug)}#${encodeURIComponent(event.id)}`,
    corrections: (event.corrections ?? []).map((c) => ({ ...stamp(c.at, story), note: c.note })),
    retraction: event.retraction && { ...stamp(event.retraction.at, story), reason: event.retraction.reason },
  };
}

function stamp(at: string, story: Story): { text: string; datetime: string } {
  return { text: formatInstant(at, story.timeZone, story.language), datetime: instantInZone(at, story.timeZone) };
}

export interface CorrectionView {
  eventId: string;
  eventTitle: string;
  link: string;
  text: string;
  datetime: string;
  note: string;
  retraction: boolean;
}

/** Every public correction and retraction in a story, newest first: a newsroom shows its corrections. */
export function presentCorrections(record: StoryRecord): CorrectionView[] {
  const { story } = record;
  const items = record.events.flatMap((e) => [
    ...(e.corrections ?? []).map((c) => ({ at: c.at, note: c.note, retraction: false, e })),
    ...(e.retraction ? [{ at: e.retraction.at, note: e.retraction.reason, retraction: true, e }] : []),
  ]);
  return items
    .sort((a, b) => b.at.localeCompare(a.at))
    .map(({ at, note, retraction, e }) => ({ eventId: e.id, eventTitle: e.title, link: `#${encodeURIComponent(e.id)}`, ...stamp(at, story), note, retraction }));
}

/** The API's event: the stored fields plus the computed start instant. */
export function eventJson(event: ChronoEvent, story: Story): ChronoEvent & { start: string } {
  return { ...event, start: startInstant(event.date, event.timeZone, story.timeZone) };
}

export function chronologyJson(record: StoryRecord): { story: Story; events: (ChronoEvent & { start: string })[] } {
  const sorted = sortEvents(record.events, record.story.timeZone, 'asc');
  return { story: record.story, events: sorted.map((e) => eventJson(e, record.story)) };
}
