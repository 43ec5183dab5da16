// Timelines in and out: the TimelineJS spreadsheet (CSV) and JSON formats, and Chrono's own
// JSON. Parsing only turns rows into event inputs; the import service validates them.
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { sortEvents } from '../domain/chronology.js';
import { formatEventDate, precisionOf } from '../domain/dates.js';
import type { FieldProblem } from '../domain/errors.js';
import type { Source, StoryInput } from '../domain/types.js';
import type { StoryRecord } from '../storage/store.js';
import { renderBody } from './markdown.js';

export const IMPORT_FORMATS = ['csv', 'timelinejs', 'chrono'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 5000;

export const TIMELINEJS_COLUMNS = [
  'Year', 'Month', 'Day', 'Time', 'End Year', 'End Month', 'End Day', 'End Time', 'Display Date', 'Headline', 'Text',
  'Media', 'Media Credit', 'Media Caption', 'Media Thumbnail', 'Type', 'Group', 'Background',
] as const;
/** Columns TimelineJS ignores, so that a Chrono export comes back without loss. */
export const CHRONO_COLUMNS = ['ID', 'Time Zone', 'Approximate', 'Sources', 'Tags', 'Importance', 'Verification', 'Media Alt'] as const;

export interface ImportRow {
  /** where the row stands in the file: the spreadsheet line, or the event's index + 1 */
  row: number;
  input?: Record<string, unknown>;
  problems: FieldProblem[];
}

export interface ParsedImport {
  format: ImportFormat;
  story: Partial<Pick<StoryInput, 'title' | 'summary' | 'language' | 'timeZone'>>;
  rows: ImportRow[];
  /** problems with the file as a whole (not CSV, not JSON, too many rows) */
  fileProblems: FieldProblem[];
}

// ---------------------------------------------------------------------------------------
// dates

function pad(value: string | number | undefined): string {
  return String(value ?? '').trim().padStart(2, '0');
}

function timeOf(value: string): string | undefined {
  const t = value.trim();
  if (!t) return undefined;
  const m = /^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(t);
  return m ? `${pad(m[1])}:${m[2]}` : t; // an odd time stays as typed, so validation names it
}

/** Year/Month/Day/Time parts → a partial ISO value whose form is its precision. */
export function composeParts(year: unknown, month: unknown, day: unknown, time: unknown): string | undefined {
  const y = String(year ?? '').trim();
  if (!y) return undefined;
  const m = String(month ?? '').trim();
  const d = String(day ?? '').trim();
  const t = timeOf(String(time ?? ''));
  if (!m) return y;
  if (!d) return `${y}-${pad(m)}`;
  if (!t) return `${y}-${pad(m)}-${pad(d)}`;
  return `${y}-${pad(m)}-${pad(d)}T${t}`;
}

function partsOf(value: string | undefined): { year: string; month: string; day: string; time: string } {
  if (!value) return { year: '', month: '', day: '', time: '' };
  const precision = precisionOf(value);
  return {
    year: value.slice(0, 4),
    month: precision === 'year' ? '' : String(Number(value.slice(5, 7))),
    day: precision === 'year' || precision === 'month' ? '' : String(Number(value.slice(8, 10))),
    time: precision === 'minute' ? value.slice(11, 16) : '',
  };
}

// ---------------------------------------------------------------------------------------
// text

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (all, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : '';
    }
    return ENTITIES[name.toLowerCase()] ?? all;
  });
}

/** TimelineJS text is HTML; Chrono bodies are light markdown. Anything else is dropped as text. */
export function htmlToMarkdown(html: string): string {
  return decodeEntities(
    html
      .replace(/\r\n?/g, '\n')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/p>\s*<p[^>]*>/gi, '\n\n')
      .replace(/<\/?p[^>]*>/gi, '')
      .replace(/<(strong|b)>([\s\S]*?)<\/\1>/gi, '**$2**')
      .replace(/<(em|i)>([\s\S]*?)<\/\1>/gi, '*$2*')
      .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_all, href: string, label: string) => `[${label.replace(/<[^>]*>/g, '')}](${decodeEntities(href)})`)
      .replace(/<[^>]*>/g, ''),
  ).trim();
}

function sourcesToCell(sources: readonly Source[]): string {
  return sources.map((s) => `${s.label} | ${s.url}`).join('\n');
}

function sourcesFromCell(cell: string): Source[] {
  return cell
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const bar = line.lastIndexOf('|');
      return bar < 0 ? { label: line, url: line } : { label: line.slice(0, bar).trim(), url: line.slice(bar + 1).trim() };
    });
}

function list(cell: string): string[] {
  return cell.split(',').map((t) => t.trim()).filter(Boolean);
}

// ---------------------------------------------------------------------------------------
// CSV

export function toCsv(record: StoryRecord): string {
  const { story } = record;
  const header = [...TIMELINEJS_COLUMNS, ...CHRONO_COLUMNS];
  const title: Record<string, string> = { Headline: story.title, Text: renderBody(story.summary).trim(), Type: 'title' };
  const rows = sortEvents(record.events.filter((e) => !e.retraction), story.timeZone, 'asc').map((e) => {
    const start = partsOf(e.date);
    const end = partsOf(e.endDate);
    return {
      Year: start.year, Month: start.month, Day: start.day, Time: start.time,
      'End Year': end.year, 'End Month': end.month, 'End Day': end.day, 'End Time': end.time,
      'Display Date': formatEventDate(e, story.timeZone, story.language).text,
      Headline: e.title,
      Text: renderBody(e.body).trim(),
      Media: e.media?.url ?? '', 'Media Credit': e.media?.credit ?? '', 'Media Caption': e.media?.caption ?? '', 'Media Thumbnail': '',
      Type: '', Group: e.tags[0] ?? '', Background: '',
      ID: e.id, 'Time Zone': e.timeZone, Approximate: e.approximate ? 'yes' : '', Sources: sourcesToCell(e.sources),
      Tags: e.tags.join(', '), Importance: e.importance, Verification: e.verification, 'Media Alt': e.media?.alt ?? '',
    } as Record<string, string>;
  });
  return stringify([title, ...rows], { header: true, columns: header as unknown as string[] });
}

function problem(field: string, code: string, message: string): FieldProblem {
  return { field, code, message };
}

export function parseCsv(text: string): ParsedImport {
  const result: ParsedImport = { format: 'csv', story: {}, rows: [], fileProblems: [] };
  let records: Record<string, string>[];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { columns: (h: string[]) => h.map((c) => c.trim()), skip_empty_lines: false, relax_column_count: true, trim: false });
  } catch (error) {
    result.fileProblems.push(problem('file', 'invalid_csv', `Not a readable CSV file: ${(error as Error).message}`));
    return result;
  }
  if (records.length > MAX_IMPORT_ROWS) {
    result.fileProblems.push(problem('file', 'too_many_rows', `At most ${MAX_IMPORT_ROWS} rows can be imported at once`));
    return result;
  }
  const first = records[0];
  if (first && !('Headline' in first && 'Year' in first)) {
    result.fileProblems.push(problem('file', 'missing_columns', 'The first line must name the TimelineJS columns (Year, Month, Day, Time, …, Headline, Text, …)'));
    return result;
  }
  records.forEach((r, i) => {
    const row = i + 2; // line 1 is the header; blank lines are kept so this stays the spreadsheet's line
    if (Object.values(r).every((cell) => !String(cell ?? '').trim())) return; // TimelineJS skips blank rows too
    const type = (r.Type ?? '').trim().toLowerCase();
    if (type === 'title') {
      result.story.title = (r.Headline ?? '').trim() || undefined;
      result.story.summary = htmlToMarkdown(r.Text ?? '') || undefined;
      return;
    }
    if (type === 'era') return;
    const input: Record<string, unknown> = {
      ...(r.ID?.trim() ? { id: r.ID.trim() } : {}),
      date: composeParts(r.Year, r.Month, r.Day, r.Time) ?? '',
      ...(composeParts(r['End Year'], r['End Month'], r['End Day'], r['End Time']) ? { endDate: composeParts(r['End Year'], r['End Month'], r['End Day'], r['End Time']) } : {}),
      ...(r['Time Zone']?.trim() ? { timeZone: r['Time Zone'].trim() } : {}),
      approximate: /^(yes|oui|true|1|x)$/i.test((r.Approximate ?? '').trim()),
      title: (r.Headline ?? '').trim(),
      body: htmlToMarkdown(r.Text ?? ''),
      sources: sourcesFromCell(r.Sources ?? ''),
      tags: r.Tags !== undefined ? list(r.Tags) : list(r.Group ?? ''),
      ...(r.Importance?.trim() ? { importance: r.Importance.trim() } : {}),
      ...(r.Verification?.trim() ? { verification: r.Verification.trim() } : {}),
      ...(r.Media?.trim() ? { media: { url: r.Media.trim(), alt: (r['Media Alt'] || r['Media Caption'] || r.Headline || '').trim(), ...(r['Media Caption']?.trim() ? { caption: r['Media Caption'].trim() } : {}), ...(r['Media Credit']?.trim() ? { credit: r['Media Credit'].trim() } : {}) } } : {}),
    };
    result.rows.push({ row, input, problems: [] });
  });
  return result;
}

// ---------------------------------------------------------------------------------------
// TimelineJS JSON

interface TjsDate {
  year?: number | string;
  month?: number | string;
  day?: number | string;
  hour?: number | string;
  minute?: number | string;
  display_date?: string;
}

function tjsDate(value: string | undefined): TjsDate | undefined {
  if (!value) return undefined;
  const p = partsOf(value);
  return {
    year: Number(p.year),
    ...(p.month ? { month: Number(p.month) } : {}),
    ...(p.day ? { day: Number(p.day) } : {}),
    ...(p.time ? { hour: Number(p.time.slice(0, 2)), minute: Number(p.time.slice(3, 5)) } : {}),
  };
}

function fromTjsDate(d: TjsDate | undefined): string | undefined {
  if (!d || d.year === undefined || d.year === '') return undefined;
  const time = d.hour !== undefined && d.hour !== '' ? `${pad(d.hour)}:${pad(d.minute ?? 0)}` : '';
  return composeParts(d.year, d.month, d.day, time);
}

export function toTimelineJs(record: StoryRecord): object {
  const { story } = record;
  return {
    title: { text: { headline: story.title, text: renderBody(story.summary).trim() } },
    events: sortEvents(record.events.filter((e) => !e.retraction), story.timeZone, 'asc').map((e) => ({
      unique_id: e.id,
      start_date: { ...tjsDate(e.date), display_date: formatEventDate(e, story.timeZone, story.language).text },
      ...(e.endDate ? { end_date: tjsDate(e.endDate) } : {}),
      text: { headline: e.title, text: renderBody(e.body).trim() },
      ...(e.media ? { media: { url: e.media.url, caption: e.media.caption ?? '', credit: e.media.credit ?? '', alt: e.media.alt } } : {}),
      ...(e.tags[0] ? { group: e.tags[0] } : {}),
      // TimelineJS ignores this; Chrono reads it back so nothing is lost
      chrono: { timeZone: e.timeZone, approximate: e.approximate, sources: e.sources, tags: e.tags, importance: e.importance, verification: e.verification },
    })),
  };
}

export function parseTimelineJs(text: string): ParsedImport {
  const result: ParsedImport = { format: 'timelinejs', story: {}, rows: [], fileProblems: [] };
  let data: { title?: { text?: { headline?: string; text?: string } }; events?: unknown[] };
  try {
    data = JSON.parse(text);
  } catch (error) {
    result.fileProblems.push(problem('file', 'invalid_json', `Not valid JSON: ${(error as Error).message}`));
    return result;
  }
  if (typeof data !== 'object' || data === null || !Array.isArray(data.events)) {
    result.fileProblems.push(problem('file', 'invalid_timelinejs', 'A TimelineJS file has an "events" list'));
    return result;
  }
  if (data.events.length > MAX_IMPORT_ROWS) {
    result.fileProblems.push(problem('file', 'too_many_rows', `At most ${MAX_IMPORT_ROWS} events can be imported at once`));
    return result;
  }
  if (data.title?.text?.headline) result.story.title = String(data.title.text.headline);
  if (data.title?.text?.text) result.story.summary = htmlToMarkdown(String(data.title.text.text));
  data.events.forEach((raw, i) => {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, any>;
    const chrono = (typeof e.chrono === 'object' && e.chrono !== null ? e.chrono : {}) as Record<string, unknown>;
    const media = e.media && typeof e.media.url === 'string' && e.media.url ? e.media : undefined;
    const input: Record<string, unknown> = {
      ...(typeof e.unique_id === 'string' && e.unique_id ? { id: e.unique_id } : {}),
      date: fromTjsDate(e.start_date) ?? '',
      ...(fromTjsDate(e.end_date) ? { endDate: fromTjsDate(e.end_date) } : {}),
      ...(typeof chrono.timeZone === 'string' ? { timeZone: chrono.timeZone } : {}),
      approximate: chrono.approximate === true,
      title: String(e.text?.headline ?? '').trim(),
      body: htmlToMarkdown(String(e.text?.text ?? '')),
      sources: Array.isArray(chrono.sources) ? chrono.sources : [],
      tags: Array.isArray(chrono.tags) ? chrono.tags : typeof e.group === 'string' && e.group ? [e.group] : [],
      ...(typeof chrono.importance === 'string' ? { importance: chrono.importance } : {}),
      ...(typeof chrono.verification === 'string' ? { verification: chrono.verification } : {}),
      ...(media ? { media: { url: String(media.url), alt: String(media.alt || media.caption || e.text?.headline || ''), ...(media.caption ? { caption: String(media.caption) } : {}), ...(media.credit ? { credit: String(media.credit) } : {}) } } : {}),
    };
    result.rows.push({ row: i + 1, input, problems: [] });
  });
  return result;
}

// ---------------------------------------------------------------------------------------
// Chrono JSON

export function toChronoJson(record: StoryRecord): object {
  return { format: 'chrono-story/1', story: record.story, events: record.events, revisions: record.revisions };
}

const EVENT_INPUT_FIELDS = ['id', 'date', 'endDate', 'timeZone', 'approximate', 'title', 'body', 'sources', 'tags', 'importance', 'verification', 'media'];

export function parseChronoJson(text: string): ParsedImport {
  const result: ParsedImport = { format: 'chrono', story: {}, rows: [], fileProblems: [] };
  let data: { story?: Record<string, unknown>; events?: Record<string, unknown>[] };
  try {
    data = JSON.parse(text);
  } catch (error) {
    result.fileProblems.push(problem('file', 'invalid_json', `Not valid JSON: ${(error as Error).message}`));
    return result;
  }
  if (!Array.isArray(data?.events)) {
    result.fileProblems.push(problem('file', 'invalid_chrono', 'A Chrono export has an "events" list'));
    return result;
  }
  const s = data.story ?? {};
  result.story = {
    ...(typeof s.title === 'string' ? { title: s.title } : {}),
    ...(typeof s.summary === 'string' ? { summary: s.summary } : {}),
    ...(s.language === 'fr' || s.language === 'en' ? { language: s.language } : {}),
    ...(typeof s.timeZone === 'string' ? { timeZone: s.timeZone } : {}),
  };
  data.events.forEach((e, i) => {
    const input = Object.fromEntries(Object.entries(e ?? {}).filter(([k]) => EVENT_INPUT_FIELDS.includes(k)));
    result.rows.push({ row: i + 1, input, problems: [] });
  });
  return result;
}

export function detectFormat(fileName: string, text: string): ImportFormat {
  if (/\.csv$/i.test(fileName)) return 'csv';
  const start = text.trimStart();
  if (start.startsWith('{')) return /"format"\s*:\s*"chrono-story/.test(start.slice(0, 200)) ? 'chrono' : 'timelinejs';
  return 'csv';
}

export function parseImport(format: ImportFormat, text: string): ParsedImport {
  return format === 'csv' ? parseCsv(text) : format === 'timelinejs' ? parseTimelineJs(text) : parseChronoJson(text);
}

export function exportStory(record: StoryRecord, format: ImportFormat | 'json'): { body: string; type: string; extension: string } {
  if (format === 'csv') return { body: toCsv(record), type: 'text/csv; charset=utf-8', extension: 'csv' };
  if (format === 'timelinejs') return { body: JSON.stringify(toTimelineJs(record), null, 2), type: 'application/json', extension: 'timelinejs.json' };
  return { body: JSON.stringify(toChronoJson(record), null, 2), type: 'application/json', extension: 'chrono.json' };
}

