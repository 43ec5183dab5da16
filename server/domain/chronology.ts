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
