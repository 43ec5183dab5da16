import { z } from 'zod';
import { checkDate, isBefore, isValidTimeZone } from './dates.js';
import { ValidationError, type FieldProblem } from './errors.js';
import {
  IMPORTANCES,
  LANGUAGES,
  STORY_STATUSES,
  VERIFICATIONS,
  type EventInput,
  type Story,
  type StoryInput,
} from './types.js';

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const EVENT_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const LIMITS = { slug: 80, storyTitle: 200, summary: 1000, title: 200, body: 5000, tags: 20, tag: 40, sources: 20, id: 80 };

const DATE_MESSAGES = {
  invalid_date: 'must be a real date written YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:mm',
  nonexistent_local_time: 'this local time does not exist in the time zone (skipped by a daylight-saving change)',
} as const;

const text = (max: number, min = 0) => z.string().trim().min(min).max(max);

const webUrl = z
  .string()
  .trim()
  .max(2000)
  .refine(isWebUrl, { params: { code: 'invalid_url' }, message: 'must be an absolute http(s) URL' })
  .transform((url) => new URL(url).href);

export function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const timeZone = z.string().refine(isValidTimeZone, { params: { code: 'invalid_time_zone' }, message: 'must be an IANA time zone such as Europe/Paris' });

const storySchema = z.strictObject({
  slug: z.string().max(LIMITS.slug).regex(SLUG_PATTERN, { message: 'use lowercase letters, digits and single hyphens' }),
  title: text(LIMITS.storyTitle, 1),
  summary: text(LIMITS.summary).default(''),
  language: z.enum(LANGUAGES),
  timeZone,
  status: z.enum(STORY_STATUSES).default('developing'),
});

const sourceSchema = z.strictObject({ label: text(200, 1), url: webUrl });

const mediaSchema = z.strictObject({
  url: webUrl,
  alt: text(500, 1),
  caption: text(500).optional(),
  credit: text(200).optional(),
});

const eventSchema = z.strictObject({
  id: z.string().max(LIMITS.id).regex(EVENT_ID_PATTERN, { message: 'use lowercase letters, digits and single hyphens' }).optional(),
  date: z.string(),
  endDate: z.string().optional(),
  timeZone: timeZone.optional(),
  approximate: z.boolean().default(false),
  title: text(LIMITS.title, 1),
  body: z.string().max(LIMITS.body).default(''),
  sources: z.array(sourceSchema).max(LIMITS.sources).default([]),
  tags: z.array(text(LIMITS.tag, 1)).max(LIMITS.tags).default([]),
  importance: z.enum(IMPORTANCES).default('normal'),
  verification: z.enum(VERIFICATIONS).default('confirmed'),
  media: mediaSchema.optional(),
});

function codeOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : 'invalid_type';
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1 ? 'required' : 'too_short';
    case 'too_big':
      return issue.origin === 'array' ? 'too_many' : 'too_long';
    case 'invalid_value':
      return 'invalid_choice';
    case 'unrecognized_keys':
      return 'unknown_field';
    case 'custom':
      return String(issue.params?.code ?? 'invalid');
    default:
      return 'invalid_format';
  }
}

function problemsOf(error: z.ZodError): FieldProblem[] {
  return error.issues.flatMap((issue) => {
    const field = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: field ? `${field}.${key}` : key, code: 'unknown_field', message: 'is not a known field' }));
    }
    return [{ field: field || '(body)', code: codeOf(issue), message: issue.message }];
  });
}

function isPlainObject(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

function requireObject(raw: unknown): Record<string, unknown> {
  if (!isPlainObject(raw)) throw new ValidationError([{ field: '(body)', code: 'invalid_type', message: 'must be a JSON object' }]);
  return raw;
}

export function validateStory(raw: unknown): StoryInput {
  const result = storySchema.safeParse(requireObject(raw));
  if (!result.success) throw new ValidationError(problemsOf(result.error));
  return result.data;
}

function dateProblems(field: string, value: string | undefined, zone: string): FieldProblem[] {
  if (value === undefined) return [];
  const problem = checkDate(value, zone);
  return problem ? [{ field, code: problem, message: DATE_MESSAGES[problem] }] : [];
}

/** Validates a new event (or a whole replacement) against its story; reports every problem at once. */
export function validateEvent(raw: unknown, story: Pick<Story, 'timeZone'>): EventInput & { timeZone: string } {
  const input = requireObject(raw);
  const result = eventSchema.safeParse(input);
  const problems = result.success ? [] : problemsOf(result.error);
  const zone = typeof input.timeZone === 'string' && isValidTimeZone(input.timeZone) ? input.timeZone : story.timeZone;
  const date = typeof input.date === 'string' ? input.date.trim() : undefined;
  const endDate = typeof input.endDate === 'string' ? input.endDate.trim() : undefined;
  if (typeof input.date === 'string') problems.push(...dateProblems('date', date, zone));
  problems.push(...dateProblems('endDate', endDate, zone));
  if (date && endDate && !checkDate(date, zone) && !checkDate(endDate, zone) && isBefore(endDate, zone, date, zone, story.timeZone)) {
    problems.push({ field: 'endDate', code: 'end_before_start', message: 'must not be before the start date' });
  }
  if (!result.success || problems.length > 0) throw new ValidationError(problems);
  const data = result.data;
  const seen = new Set<string>();
  const tags = data.tags.filter((t) => !seen.has(t.toLocaleLowerCase()) && seen.add(t.toLocaleLowerCase()));
  const event: EventInput & { timeZone: string } = { ...data, date: date!, endDate: endDate || undefined, timeZone: zone, tags };
  return withoutUndefined(event);
}

export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
