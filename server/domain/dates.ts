// The one module that imports dayjs. Every date is parsed with an explicit zone so
// that no output depends on the server process's TZ.
import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import timezone from 'dayjs/plugin/timezone.js';
import customParseFormat from 'dayjs/plugin/customParseFormat.js';
import 'dayjs/locale/fr.js';
import type { Language } from './types.js';

dayjs.extend(utc);
dayjs.extend(timezone);
dayjs.extend(customParseFormat);

// Date maths through Intl is slow (~0.1 ms a call) and a page asks the same questions of
// the same values on every render: the pure functions below remember their answers.
function memo<R>(fn: (...args: string[]) => R, max = 50_000): (...args: string[]) => R {
  const cache = new Map<string, R>();
  return (...args) => {
    const key = args.join('\u0000');
    let value = cache.get(key);
    if (value === undefined) {
      value = fn(...args);
      if (cache.size >= max) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}

export const PRECISIONS = ['year', 'month', 'day', 'minute'] as const;
export type Precision = (typeof PRECISIONS)[number];

const FORMATS: Record<Precision, string> = {
  year: 'YYYY',
  month: 'YYYY-MM',
  day: 'YYYY-MM-DD',
  minute: 'YYYY-MM-DDTHH:mm',
};

const SHAPE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2})?)?)?$/;

export function precisionOf(value: string): Precision | undefined {
  if (!SHAPE.test(value)) return undefined;
  return value.length === 4 ? 'year' : value.length === 7 ? 'month' : value.length === 10 ? 'day' : 'minute';
}

export function isValidTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export type DateProblem = 'invalid_date' | 'nonexistent_local_time';

/** Checks a partial ISO value: its form, its calendar, and (for a time) that the wall clock exists in `zone`. */
export function checkDate(value: string, zone: string): DateProblem | undefined {
  const precision = precisionOf(value);
  if (!precision) return 'invalid_date';
  if (!dayjs.utc(value, FORMATS[precision], true).isValid()) return 'invalid_date';
  if (precision === 'minute' && isValidTimeZone(zone)) {
    const local = dayjs.tz(value, FORMATS.minute, zone).tz(zone).format(FORMATS.minute);
    if (local !== value) return 'nonexistent_local_time';
  }
  return undefined;
}

function inZone(value: string, zone: string): Dayjs {
  const precision = precisionOf(value);
  if (!precision) throw new Error(`not a partial ISO date: ${value}`);
  return dayjs.tz(value, FORMATS[precision], zone);
}

/**
 * Where an event begins on the time line: a date-only value starts at 00:00 of its
 * first day in the story's zone; a timed value is read in the event's own zone.
 */
export function startOf(value: string, eventZone: string, storyZone: string): Dayjs {
  return precisionOf(value) === 'minute' ? inZone(value, eventZone) : inZone(value, storyZone);
}

export function startInstant(value: string, eventZone: string, storyZone: string): string {
  return startOf(value, eventZone, storyZone).tz(storyZone).format();
}

export const startMillis: (value: string, eventZone: string, storyZone: string) => number = memo((value, eventZone, storyZone) =>
  startOf(value, eventZone!, storyZone!).valueOf(),
);

export function isBefore(a: string, aZone: string, b: string, bZone: string, storyZone: string): boolean {
  return startMillis(a, aZone, storyZone) < startMillis(b, bZone, storyZone);
}

/** The `datetime` attribute: the value itself for dates, a full instant with offset for times. */
export const machineDate: (value: string, eventZone: string, storyZone: string) => string = memo((value, eventZone, storyZone) =>
  precisionOf(value!) === 'minute' ? startInstant(value!, eventZone!, storyZone!) : value!,
);

const PATTERNS: Record<Language, Record<Precision | 'dayShort' | 'time', string>> = {
  fr: { year: 'YYYY', month: 'MMMM YYYY', day: 'D MMMM YYYY', minute: 'D MMMM YYYY, HH:mm', dayShort: 'D MMMM', time: 'HH:mm' },
  en: { year: 'YYYY', month: 'MMMM YYYY', day: 'MMMM D, YYYY', minute: 'MMMM D, YYYY, h:mm A', dayShort: 'MMMM D', time: 'h:mm A' },
};

const APPROX: Record<Language, string> = { fr: 'vers', en: 'about' };

function zoneCity(zone: string): string {
  return (zone.split('/').pop() ?? zone).replace(/_/g, ' ');
}

export interface FormattedDate {
  /** e.g. "20 novembre 2023, 08:53", in the story's zone */
  text: string;
  /** the time alone, for the time rail; undefined for date-only values */
  time?: string;
  /** the original local time when the event was recorded in another zone */
  original?: { text: string; zone: string; city: string };
}

export interface DateInput {
  date: string;
  endDate?: string;
  timeZone: string;
  approximate: boolean;
}

function formatOne(value: string, eventZone: string, storyZone: string, lang: Language): string {
  const precision = precisionOf(value)!;
  const d = precision === 'minute' ? inZone(value, eventZone).tz(storyZone) : dayjs.utc(value, FORMATS[precision], true);
  return d.locale(lang).format(PATTERNS[lang][precision]);
}

function formatRange(start: string, end: string, zone: string, storyZone: string, lang: Language): string {
  const p = precisionOf(start);
  if (p === 'day' && precisionOf(end) === 'day' && start.slice(0, 7) === end.slice(0, 7)) {
    const a = dayjs.utc(start, FORMATS.day, true).locale(lang);
    const b = dayjs.utc(end, FORMATS.day, true).locale(lang);
    return lang === 'fr' ? `${a.format('D')}–${b.format('D MMMM YYYY')}` : `${a.format('MMMM D')}–${b.format('D, YYYY')}`;
  }
  return `${formatOne(start, zone, storyZone, lang)} – ${formatOne(end, zone, storyZone, lang)}`;
}

const formatMemo = memo((date, endDate, timeZone, approximate, storyZone, lang) =>
  Object.freeze(formatUncached({ date: date!, endDate: endDate || undefined, timeZone: timeZone!, approximate: approximate === '1' }, storyZone!, lang as Language)),
);

export function formatEventDate(e: DateInput, storyZone: string, lang: Language): FormattedDate {
  return formatMemo(e.date, e.endDate ?? '', e.timeZone, e.approximate ? '1' : '', storyZone, lang);
}

function formatUncached(e: DateInput, storyZone: string, lang: Language): FormattedDate {
  const timed = precisionOf(e.date) === 'minute';
  let text = e.endDate ? formatRange(e.date, e.endDate, e.timeZone, storyZone, lang) : formatOne(e.date, e.timeZone, storyZone, lang);
  let time = timed ? inZone(e.date, e.timeZone).tz(storyZone).locale(lang).format(PATTERNS[lang].time) : undefined;
  if (e.approximate) {
    text = `${APPROX[lang]} ${text}`;
    if (time) time = `${APPROX[lang]} ${time}`;
  }
  const result: FormattedDate = { text, time };
  if (timed && e.timeZone !== storyZone) {
    const local = dayjs.utc(e.date, FORMATS.minute, true).locale(lang);
    result.original = {
      text: `${local.format(PATTERNS[lang].dayShort)}, ${local.format(PATTERNS[lang].time)}`,
      zone: e.timeZone,
      city: zoneCity(e.timeZone),
    };
  }
  return result;
}

export interface DayGroupKey {
  key: string;
  precision: 'year' | 'month' | 'day';
  /** e.g. "lundi 20 novembre 2023", "novembre 2023", "2023" */
  label: string;
  /** the date-only value the heading stands for, for a `<time datetime>` */
  datetime: string;
}

/** The heading an event is listed under: its day in the story's zone, or its month or year when coarser. */
export function groupOf(e: Pick<DateInput, 'date' | 'timeZone'>, storyZone: string, lang: Language): DayGroupKey {
  return groupMemo(e.date, e.timeZone, storyZone, lang);
}

const groupMemo = memo((date, timeZone, storyZone, lang) => Object.freeze(groupUncached({ date: date!, timeZone: timeZone! }, storyZone!, lang as Language)));

function groupUncached(e: Pick<DateInput, 'date' | 'timeZone'>, storyZone: string, lang: Language): DayGroupKey {
  const precision = precisionOf(e.date)!;
  if (precision === 'year' || precision === 'month') {
    const d = dayjs.utc(e.date, FORMATS[precision], true).locale(lang);
    return { key: e.date, precision, label: d.format(PATTERNS[lang][precision]), datetime: e.date };
  }
  const day = precision === 'minute' ? inZone(e.date, e.timeZone).tz(storyZone).format(FORMATS.day) : e.date;
  const d = dayjs.utc(day, FORMATS.day, true).locale(lang);
  const weekday = d.format('dddd');
  return { key: day, precision: 'day', label: `${weekday} ${d.format(PATTERNS[lang].day)}`, datetime: day };
}

/** An instant (e.g. updatedAt) shown in a zone: "20 novembre 2023, 14:02". */
export function formatInstant(iso: string, zone: string, lang: Language): string {
  return dayjs(iso).tz(zone).locale(lang).format(PATTERNS[lang].minute);
}

/** An instant as ISO 8601 with the zone's offset, for `<time datetime>`. */
export function instantInZone(iso: string, zone: string): string {
  return dayjs(iso).tz(zone).format();
}

/** Today in a zone, as YYYY-MM-DD: what an editor's date field starts at. */
export function todayIn(now: Date, zone: string): string {
  return dayjs(now).tz(zone).format(FORMATS.day);
}

export function isIsoInstant(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) && dayjs(value).isValid();
}
