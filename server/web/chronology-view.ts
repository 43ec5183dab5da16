// The interactive chronology as the server renders it: filters, tag chips, a time overview
// and, for very long stories, pages of whole days. Every view is a URL that works without JS.
import { chronoKey, defaultOrder, fold, groupByDay, isFiltered, matches, sortEvents, tagCounts, type EventFilter, type Group, type Order } from '../domain/chronology.js';
import type { ChronoEvent, Story } from '../domain/types.js';
import { VERIFICATIONS } from '../domain/types.js';
import type { StoryRecord } from '../storage/store.js';
import { presentEvent, storyPath, type EventView } from './present.js';

/** A page shows every event up to this many; beyond, whole days are cut into pages of about PAGE_SIZE. */
export const ALL_ON_ONE_PAGE = 1500;
export const PAGE_SIZE = 500;
const MAX_BINS = 120;

export interface ViewState extends EventFilter {
  order: Order;
  /** first day key of the page, for long stories */
  from?: string;
}

function strings(value: unknown): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
}

export function readViewState(query: Record<string, unknown>, story: Story): ViewState {
  const order = query.order === 'asc' || query.order === 'desc' ? query.order : defaultOrder(story);
  const verification = VERIFICATIONS.find((v) => v === query.verification);
  const from = typeof query.from === 'string' && /^\d{4}(-\d{2}(-\d{2})?)?$/.test(query.from) ? query.from : undefined;
  return { order, tags: strings(query.tag).slice(0, 10), keyOnly: query.key === '1', verification, q: typeof query.q === 'string' ? query.q.slice(0, 200) : '', from };
}

export function viewUrl(story: Story, state: ViewState, hash = ''): string {
  const params = new URLSearchParams();
  for (const tag of state.tags) params.append('tag', tag);
  if (state.keyOnly) params.set('key', '1');
  if (state.verification) params.set('verification', state.verification);
  if (state.q.trim()) params.set('q', state.q.trim());
  if (state.order !== defaultOrder(story)) params.set('order', state.order);
  if (state.from) params.set('from', state.from);
  const query = params.toString();
  return `${storyPath(story.slug)}${query ? `?${query}` : ''}${hash}`;
}

export interface ItemView extends EventView {
  /** chronological sort key, for the live client to place arrivals: start|rank|createdAt */
  sort: string;
  /** the story version of the event's last change, for "new since your last visit" */
  changed: number;
}

export interface ChronologyView {
  state: ViewState;
  groups: Group<ItemView>[];
  total: number;
  shown: number;
  filtered: boolean;
  chips: { tag: string; count: number; active: boolean; href: string }[];
  keyOnlyHref: string;
  orderHrefs: Record<Order, string>;
  clearHref: string;
  overview?: Overview;
  earlier?: { href: string; label: string };
  later?: { href: string; label: string };
}

export interface Overview {
  width: number;
  height: number;
  bars: { x: number; y: number; h: number; href: string; label: string }[];
  startLabel: string;
  endLabel: string;
}

export function lastChanges(record: StoryRecord): Map<string, number> {
  const changed = new Map<string, number>();
  for (const r of record.revisions) if (r.eventId) changed.set(r.eventId, r.storyVersion);
  return changed;
}

export function itemView(event: ChronoEvent, story: Story, changed: number): ItemView {
  return { ...presentEvent(event, story), sort: chronoKey(event, story.timeZone), changed };
}

/** Cuts ordered day groups into pages of whole days holding about PAGE_SIZE events each. */
function pages<E>(groups: Group<E>[]): Group<E>[][] {
  const result: Group<E>[][] = [];
  let current: Group<E>[] = [];
  let count = 0;
  for (const group of groups) {
    current.push(group);
    count += group.events.length;
    if (count >= PAGE_SIZE) {
      result.push(current);
      current = [];
      count = 0;
    }
  }
  if (current.length) result.push(current);
  return result;
}

export function presentChronologyView(record: StoryRecord, state: ViewState): ChronologyView {
  const { story } = record;
  const changed = lastChanges(record);
  const matching = record.events.filter((e) => matches(e, state));
  const sorted = sortEvents(matching, story.timeZone, state.order);
  const allGroups = groupByDay(sorted, story.timeZone, story.language);

  let groups = allGroups;
  let earlier: ChronologyView['earlier'];
  let later: ChronologyView['later'];
  if (sorted.length > ALL_ON_ONE_PAGE) {
    const all = pages(allGroups);
    const index = Math.max(0, state.from ? all.findIndex((p) => p.some((g) => g.heading.key === state.from)) : 0);
    groups = all[index]!;
    const link = (page: Group<ChronoEvent>[] | undefined) =>
      page && { href: viewUrl(story, { ...state, from: page[0]!.heading.key }), label: `${page[0]!.heading.label} – ${page.at(-1)!.heading.label}` };
    const next = link(all[index + 1]);
    const previous = link(all[index - 1]);
    [earlier, later] = state.order === 'desc' ? [next, previous] : [previous, next];
  }

  const toggleTag = (tag: string) => {
    const active = state.tags.some((t) => fold(t) === fold(tag));
    return viewUrl(story, { ...state, from: undefined, tags: active ? state.tags.filter((t) => fold(t) !== fold(tag)) : [...state.tags, tag] });
  };

  return {
    state,
    groups: groups.map((g) => ({ heading: g.heading, events: g.events.map((e) => itemView(e, story, changed.get(e.id) ?? 1)) })),
    total: record.events.length,
    shown: sorted.length,
    filtered: isFiltered(state),
    chips: tagCounts(record.events).slice(0, 30).map(({ tag, count }) => ({ tag, count, active: state.tags.some((t) => fold(t) === fold(tag)), href: toggleTag(tag) })),
    keyOnlyHref: viewUrl(story, { ...state, from: undefined, keyOnly: !state.keyOnly }),
    orderHrefs: { desc: viewUrl(story, { ...state, order: 'desc', from: undefined }), asc: viewUrl(story, { ...state, order: 'asc', from: undefined }) },
    clearHref: viewUrl(story, { order: state.order, tags: [], keyOnly: false, q: '' }),
    overview: overviewOf(allGroups, state, story),
    earlier,
    later,
  };
}

/** A density bar per day (or per few days, on long spans) between the first and last dated day. */
function overviewOf(groups: Group<ChronoEvent>[], state: ViewState, story: Story): Overview | undefined {
  const days = groups.filter((g) => g.heading.precision === 'day').sort((a, b) => a.heading.key.localeCompare(b.heading.key));
  if (days.length === 0) return undefined;
  const dayNumber = (key: string) => Math.round(Date.UTC(+key.slice(0, 4), +key.slice(5, 7) - 1, +key.slice(8, 10)) / 86_400_000);
  const first = dayNumber(days[0]!.heading.key);
  const span = dayNumber(days.at(-1)!.heading.key) - first + 1;
  const perBin = Math.ceil(span / MAX_BINS);
  const bins = Math.ceil(span / perBin);
  const counts = Array.from({ length: bins }, () => ({ count: 0, key: '', label: '' }));
  for (const g of days) {
    const bin = counts[Math.floor((dayNumber(g.heading.key) - first) / perBin)]!;
    bin.count += g.events.length;
    if (!bin.key) {
      bin.key = g.heading.key;
      bin.label = g.heading.label;
    }
  }
  const max = Math.max(...counts.map((c) => c.count));
  const barWidth = 8;
  const height = 32;
  const paged = groups.reduce((n, g) => n + g.events.length, 0) > ALL_ON_ONE_PAGE;
  return {
    width: bins * barWidth,
    height,
    bars: counts.flatMap((c, i) => {
      if (!c.count) return [];
      const h = Math.max(3, Math.round((c.count / max) * height));
      const href = paged ? viewUrl(story, { ...state, from: c.key }, `#day-${c.key}`) : `#day-${c.key}`;
      return [{ x: i * barWidth, y: height - h, h, href, label: `${c.label} (${c.count})` }];
    }),
    startLabel: days[0]!.heading.label,
    endLabel: days.at(-1)!.heading.label,
  };
}
