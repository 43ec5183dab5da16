import { groupOf, precisionOf, PRECISIONS, startMillis, type DayGroupKey } from './dates.js';
import type { ChronoEvent, Language, Story } from './types.js';

export type Order = 'asc' | 'desc';

/** Newest first while a story develops; in reading order once it is concluded. */
export function defaultOrder(story: Pick<Story, 'status'>): Order {
  return story.status === 'developing' ? 'desc' : 'asc';
}

/**
 * Chronological order: by start instant; at the same start, a coarser date (the month)
 * comes before the finer ones inside it; equal keys keep creation order.
 */
export function sortEvents<E extends ChronoEvent>(events: readonly E[], storyZone: string, order: Order = 'asc'): E[] {
  const keyed = events.map((event, index) => ({
    event,
    index,
    start: startMillis(event.date, event.timeZone, storyZone),
    rank: PRECISIONS.indexOf(precisionOf(event.date)!),
  }));
  keyed.sort((a, b) => a.start - b.start || a.rank - b.rank || a.event.createdAt.localeCompare(b.event.createdAt) || a.index - b.index);
  const sorted = keyed.map((k) => k.event);
  return order === 'asc' ? sorted : sorted.reverse();
}

/** The order key as text, for clients that place live arrivals: start ms | precision rank | createdAt. */
export function chronoKey(event: ChronoEvent, storyZone: string): string {
  return `${startMillis(event.date, event.timeZone, storyZone)}|${PRECISIONS.indexOf(precisionOf(event.date)!)}|${event.createdAt}`;
}

export interface Group<E> {
  heading: DayGroupKey;
  events: E[];
}

/** Consecutive events under one heading: their day in the story's zone, or their month or year. */
export function groupByDay<E extends ChronoEvent>(sorted: readonly E[], storyZone: string, lang: Language): Group<E>[] {
  const groups: Group<E>[] = [];
  for (const event of sorted) {
    const heading = groupOf(event, storyZone, lang);
    const last = groups[groups.length - 1];
    if (last && last.heading.key === heading.key) last.events.push(event);
    else groups.push({ heading, events: [event] });
  }
  return groups;
}

export interface EventFilter {
  tags: string[];
  keyOnly: boolean;
  verification?: ChronoEvent['verification'];
  /** free text, matched without regard to case or accents against titles and bodies */
  q: string;
}

export function fold(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

export function isFiltered(filter: EventFilter): boolean {
  return filter.tags.length > 0 || filter.keyOnly || filter.verification !== undefined || filter.q.trim() !== '';
}

export function matches(event: ChronoEvent, filter: EventFilter): boolean {
  if (filter.keyOnly && event.importance !== 'key') return false;
  if (filter.verification && event.verification !== filter.verification) return false;
  const tags = event.tags.map(fold);
  if (!filter.tags.every((t) => tags.includes(fold(t)))) return false;
  const words = fold(filter.q).split(/\s+/).filter(Boolean);
  if (words.length) {
    const text = fold(`${event.title} ${event.body}`);
    if (!words.every((w) => text.includes(w))) return false;
  }
  return true;
}

/** Each tag with how many events carry it, most used first. */
export function tagCounts(events: readonly ChronoEvent[]): { tag: string; count: number }[] {
  const counts = new Map<string, { tag: string; count: number }>();
  for (const event of events) {
    for (const tag of event.tags) {
      const entry = counts.get(fold(tag)) ?? { tag, count: 0 };
      entry.count++;
      counts.set(fold(tag), entry);
    }
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
}
