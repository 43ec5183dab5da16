// Between the editor's HTML form and the domain's event input: the form splits a date into
// precision + parts and sources into rows; the domain wants one partial ISO value and a list.
import { precisionOf, type Precision } from '../domain/dates.js';
import type { ChronoEvent, EventInput, Story } from '../domain/types.js';

export interface DateParts {
  year: string;
  month: string;
  day: string;
  time: string;
}

export interface EventFormValues {
  precision: Precision;
  start: DateParts;
  end: DateParts;
  timeZone: string;
  approximate: boolean;
  title: string;
  body: string;
  sources: { label: string; url: string }[];
  tags: string[];
  newTags: string;
  key: boolean;
  verification: string;
  media: { url: string; alt: string; caption: string; credit: string };
  correction: boolean;
  correctionNote: string;
}

const EMPTY_PARTS: DateParts = { year: '', month: '', day: '', time: '' };
const BLANK_SOURCE_ROWS = 2;

function partsOf(value: string | undefined): DateParts {
  if (!value) return { ...EMPTY_PARTS };
  return { year: value.slice(0, 4), month: value.slice(5, 7), day: value.slice(8, 10), time: value.slice(11, 16) };
}

function composeDate(parts: DateParts, precision: Precision): string {
  const year = parts.year.trim();
  const month = parts.month.trim().padStart(2, '0');
  const day = parts.day.trim().padStart(2, '0');
  if (precision === 'year') return year;
  if (precision === 'month') return `${year}-${month}`;
  if (precision === 'day') return `${year}-${month}-${day}`;
  return `${year}-${month}-${day}T${parts.time.trim()}`;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') return Object.values(value);
  return value === undefined ? [] : [value];
}

function withBlankRows(sources: { label: string; url: string }[]): { label: string; url: string }[] {
  return [...sources, ...Array.from({ length: BLANK_SOURCE_ROWS }, () => ({ label: '', url: '' }))];
}

/** The form for a new event starts today, at day precision, in the story's zone. */
export function blankForm(story: Story, today: string): EventFormValues {
  return {
    precision: 'day',
    start: partsOf(today),
    end: { ...EMPTY_PARTS },
    timeZone: story.timeZone,
    approximate: false,
    title: '',
    body: '',
    sources: withBlankRows([]),
    tags: [],
    newTags: '',
    key: false,
    verification: 'confirmed',
    media: { url: '', alt: '', caption: '', credit: '' },
    correction: false,
    correctionNote: '',
  };
}

export function formOf(event: ChronoEvent): EventFormValues {
  return {
    precision: precisionOf(event.date) ?? 'day',
    start: partsOf(event.date),
    end: partsOf(event.endDate),
    timeZone: event.timeZone,
    approximate: event.approximate,
    title: event.title,
    body: event.body,
    sources: withBlankRows(event.sources.map((s) => ({ ...s }))),
    tags: [...event.tags],
    newTags: '',
    key: event.importance === 'key',
    verification: event.verification,
    media: { url: event.media?.url ?? '', alt: event.media?.alt ?? '', caption: event.media?.caption ?? '', credit: event.media?.credit ?? '' },
    correction: false,
    correctionNote: '',
  };
}

/** Reads a posted form: the values to show again, and the input to validate. */
export function readForm(body: Record<string, unknown>): { values: EventFormValues; input: EventInput & Record<string, unknown> } {
  const precision = (['year', 'month', 'day', 'minute'] as const).find((p) => p === body.precision) ?? 'day';
  const start = { year: str(body.year), month: str(body.month), day: str(body.day), time: str(body.time) };
  const end = { year: str(body.end_year), month: str(body.end_month), day: str(body.end_day), time: str(body.end_time) };
  const sources = list(body.sources)
    .map((row) => ({ label: str((row as Record<string, unknown>)?.label).trim(), url: str((row as Record<string, unknown>)?.url).trim() }))
    .filter((s) => s.label || s.url);
  const newTags = str(body.newTags);
  const tags = [...list(body.tags).map(str), ...newTags.split(',')].map((t) => t.trim()).filter(Boolean);
  const media = { url: str(body.media_url).trim(), alt: str(body.media_alt).trim(), caption: str(body.media_caption).trim(), credit: str(body.media_credit).trim() };
  const values: EventFormValues = {
    precision,
    start,
    end,
    timeZone: str(body.timeZone).trim(),
    approximate: body.approximate === 'on',
    title: str(body.title),
    body: str(body.body),
    sources: withBlankRows(sources),
    tags: list(body.tags).map(str),
    newTags,
    key: body.key === 'on',
    verification: str(body.verification),
    media,
    correction: body.correction === 'on',
    correctionNote: str(body.correctionNote),
  };
  const input: EventInput & Record<string, unknown> = {
    date: composeDate(start, precision),
    ...(end.year.trim() ? { endDate: composeDate(end, precision) } : {}),
    ...(values.timeZone ? { timeZone: values.timeZone } : {}),
    approximate: values.approximate,
    title: values.title,
    body: values.body,
    sources,
    tags,
    importance: values.key ? 'key' : 'normal',
    verification: values.verification as EventInput['verification'],
    ...(media.url || media.alt ? { media: { url: media.url, alt: media.alt, ...(media.caption ? { caption: media.caption } : {}), ...(media.credit ? { credit: media.credit } : {}) } } : {}),
  };
  return { values, input };
}

/** For an edit: the posted form as a merge patch (absent optional fields are removed). */
export function patchOf(input: EventInput): Record<string, unknown> {
  return { endDate: null, media: null, ...input };
}
