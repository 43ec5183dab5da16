import { canAdminister, type Actor } from '../domain/accounts.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldProblem } from '../domain/errors.js';
import { slugify, uniqueId } from '../domain/ids.js';
import { diff, type Revision, type StoryChange } from '../domain/revisions.js';
import type { ChronoEvent, Story, StoryInput, StorySummary } from '../domain/types.js';
import { validateEvent, validateStory, withoutUndefined } from '../domain/validate.js';
import { staleError } from '../storage/records.js';
import type { Store, StoryRecord } from '../storage/store.js';
import type { Clock } from './clock.js';

/** Published once a change is durable: live readers subscribe to these. */
export interface Change {
  story: Story;
  revision: Revision;
  /** the event as it now is; absent for story changes and deletions */
  event?: ChronoEvent;
}

export interface StoryServiceDeps {
  store: Store;
  clock: Clock;
  publish?: (change: Change) => void;
}

export interface ImportReport {
  story: Story;
  created: boolean;
  rows: { row: number; problems: FieldProblem[]; event?: ChronoEvent }[];
  stored: boolean;
}

export const SYSTEM: Actor = { name: 'system', role: 'admin' };

const EVENT_FIELDS = ['date', 'endDate', 'timeZone', 'approximate', 'title', 'body', 'sources', 'tags', 'importance', 'verification', 'media'] as const;
const STORY_FIELDS = ['title', 'summary', 'language', 'timeZone', 'status'] as const;

/** A JSON merge patch on a plain object: null removes a field. Keys are defined, never assigned, so `__proto__` stays data. */
function mergePatch(base: object, patch: unknown): Record<string, unknown> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new ValidationError([{ field: '(body)', code: 'invalid_type', message: 'must be a JSON object' }]);
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return merged;
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.filter((k) => value[k] !== undefined).map((k) => [k, value[k]])) as Pick<T, K>;
}

function requireNote(value: unknown, field: string): string {
  const note = typeof value === 'string' ? value.trim() : '';
  if (!note || note.length > 500) throw new ValidationError([{ field, code: note ? 'too_long' : 'required', message: note ? 'must have at most 500 characters' : 'is required' }]);
  return note;
}

/** The use cases on stories and events: check, store, then publish. No HTTP here. */
export class StoryService {
  constructor(private readonly deps: StoryServiceDeps) {}

  listStories(): Promise<StorySummary[]> {
    return this.deps.store.listStories();
  }

  async getStory(slug: string): Promise<StoryRecord> {
    const record = await this.deps.store.getStory(slug);
    if (!record) throw new NotFoundError('story', slug);
    return record;
  }

  async getEvent(slug: string, id: string): Promise<{ record: StoryRecord; event: ChronoEvent }> {
    const record = await this.getStory(slug);
    const event = record.events.find((e) => e.id === id);
    if (!event) throw new NotFoundError('event', id);
    return { record, event };
  }

  async revisions(slug: string, eventId?: string): Promise<Revision[]> {
    const record = await this.getStory(slug);
    if (eventId !== undefined && !record.events.some((e) => e.id === eventId) && !record.revisions.some((r) => r.eventId === eventId)) {
      throw new NotFoundError('event', eventId);
    }
    return record.revisions.filter((r) => eventId === undefined || r.eventId === eventId);
  }

  async createStory(raw: unknown, rawEvents: readonly unknown[] = [], actor: Actor = SYSTEM): Promise<StoryRecord> {
    if (!canAdminister(actor)) throw new ForbiddenError('Only admins create stories');
    const input = validateStory(raw);
    const at = this.#now();
    const story: Story = { ...input, createdAt: at, updatedAt: at, version: 1 };
    const events: ChronoEvent[] = [];
    for (const rawEvent of rawEvents) events.push(this.#newEvent(rawEvent, story, events, at));
    const record = await this.deps.store.createStory(story, events, actor.name);
    this.#publish(record);
    return record;
  }

  async updateStory(slug: string, patch: unknown, expectedVersion: number, actor: Actor): Promise<StoryRecord> {
    const current = await this.getStory(slug);
    if (typeof patch === 'object' && patch !== null && Object.hasOwn(patch, 'slug')) {
      throw new ValidationError([{ field: 'slug', code: 'immutable', message: 'a story keeps its address; create a new story instead' }]);
    }
    const merged = mergePatch(pick(current.story, STORY_FIELDS), patch);
    const { slug: _slug, ...next } = validateStory({ ...merged, slug });
    const changes = diff(pick(current.story, STORY_FIELDS), next);
    if (current.story.version !== expectedVersion) throw staleError('story', expectedVersion, current.story.version);
    if (changes.length === 0) return current;
    return this.#commit(slug, { kind: 'story.updated', story: next, expectedVersion, changes, at: this.#now(), actor: actor.name });
  }

  async appendEvent(slug: string, raw: unknown, actor: Actor = SYSTEM): Promise<{ record: StoryRecord; event: ChronoEvent }> {
    const current = await this.getStory(slug);
    const at = this.#now();
    const event = this.#newEvent(raw, current.story, current.events, at);
    const record = await this.#commit(slug, { kind: 'event.created', event, at, actor: actor.name });
    return { record, event };
  }

  /** Edits an event if it is still at `expectedVersion`; with a note, the edit is a public correction. */
  async updateEvent(
    slug: string,
    id: string,
    patch: unknown,
    expectedVersion: number,
    actor: Actor,
    correction?: { note: unknown },
  ): Promise<{ record: StoryRecord; event: ChronoEvent }> {
    const { story, event: before } = await this.#eventOf(slug, id);
    if (before.retraction) throw new ConflictError('event_retracted', 'A retracted event cannot be edited', 'id');
    const note = correction ? requireNote(correction.note, 'correction.note') : undefined;
    if (typeof patch === 'object' && patch !== null && Object.hasOwn(patch, 'id')) {
      throw new ValidationError([{ field: 'id', code: 'immutable', message: 'an event keeps its id; retract it and add a new one instead' }]);
    }
    const input = validateEvent(mergePatch(pick(before, EVENT_FIELDS), patch), story);
    const at = this.#now();
    const after: ChronoEvent = withoutUndefined({
      ...input,
      id,
      corrections: note ? [...(before.corrections ?? []), { at, note }] : before.corrections,
      createdAt: before.createdAt,
      updatedAt: at,
      version: before.version + 1,
    });
    const changes = diff(pick(before, EVENT_FIELDS), pick(after, EVENT_FIELDS));
    if (before.version !== expectedVersion) throw staleError('event', expectedVersion, before.version);
    if (changes.length === 0 && !note) return { record: await this.getStory(slug), event: before };
    const kind = note ? 'event.corrected' : 'event.updated';
    const record = await this.#commit(slug, { kind, event: after, expectedVersion, changes, note, at, actor: actor.name });
    return { record, event: after };
  }

  /** Keeps the event as a public tombstone with the reason. */
  async retractEvent(slug: string, id: string, reason: unknown, actor: Actor, expectedVersion?: number): Promise<{ record: StoryRecord; event: ChronoEvent }> {
    const { event: before } = await this.#eventOf(slug, id);
    if (before.retraction) throw new ConflictError('event_retracted', 'This event is already retracted', 'id');
    const note = requireNote(reason, 'reason');
    const at = this.#now();
    const after: ChronoEvent = { ...before, retraction: { at, reason: note }, updatedAt: at, version: before.version + 1 };
    const changes = [{ field: 'retraction', before: null, after: after.retraction }];
    const record = await this.#commit(slug, { kind: 'event.retracted', event: after, expectedVersion: expectedVersion ?? before.version, changes, note, at, actor: actor.name });
    return { record, event: after };
  }

  /** Removes an event outright (admins only); the revision keeps what it was. */
  async deleteEvent(slug: string, id: string, actor: Actor): Promise<StoryRecord> {
    if (!canAdminister(actor)) throw new ForbiddenError('Only admins delete events; editors retract them');
    const { event } = await this.#eventOf(slug, id);
    const changes = [{ field: 'event', before: event, after: null }];
    return this.#commit(slug, { kind: 'event.deleted', eventId: id, changes, at: this.#now(), actor: actor.name });
  }

  /**
   * Checks every row of an import against its story and, unless `dryRun` or any row is
   * wrong, stores them all in one write: a new story created with them, or one change
   * adding them to an existing story. All or nothing.
   */
  async importEvents(target: { slug: string; story?: Partial<StoryInput> }, rows: readonly { row: number; input?: unknown }[], actor: Actor, dryRun: boolean): Promise<ImportReport> {
    const existing = await this.deps.store.getStory(target.slug);
    const at = this.#now();
    let story: Story;
    if (existing) story = existing.story;
    else {
      if (!canAdminister(actor)) throw new ForbiddenError('Only admins create stories');
      story = { ...validateStory({ status: 'developing', ...target.story, slug: target.slug }), createdAt: at, updatedAt: at, version: 1 };
    }
    const events: ChronoEvent[] = [];
    const report: ImportReport = { story, created: !existing, rows: [], stored: false };
    const taken = [...(existing?.events ?? [])];
    for (const { row, input } of rows) {
      try {
        const event = this.#newEvent(input, story, taken, at);
        taken.push(event);
        events.push(event);
        report.rows.push({ row, problems: [], event });
      } catch (error) {
        if (error instanceof ValidationError) report.rows.push({ row, problems: error.problems });
        else if (error instanceof ConflictError) report.rows.push({ row, problems: [{ field: error.field ?? 'id', code: error.code, message: error.message }] });
        else throw error;
      }
    }
    if (dryRun || report.rows.some((r) => r.problems.length) || events.length === 0) return report;
    if (existing) await this.#commit(target.slug, { kind: 'events.imported', events, at, actor: actor.name });
    else this.#publish(await this.deps.store.createStory(story, events, actor.name));
    return { ...report, stored: true };
  }

  /** A story and one event, without loading the rest of the story (which may be long). */
  async #eventOf(slug: string, id: string): Promise<{ story: Story; event: ChronoEvent }> {
    const found = await this.deps.store.getEvent(slug, id);
    if (!found) throw new NotFoundError('story', slug);
    if (!found.event) throw new NotFoundError('event', id);
    return { story: found.story, event: found.event };
  }

  /** What a reader at version `after` missed (see Store.changesSince). */
  async changesSince(slug: string, after: number): Promise<StoryRecord> {
    const record = await this.deps.store.changesSince(slug, after);
    if (!record) throw new NotFoundError('story', slug);
    return record;
  }

  async #commit(slug: string, change: StoryChange): Promise<StoryRecord> {
    const record = await this.deps.store.commit(slug, change);
    this.#publish(record);
    return record;
  }

  #publish(record: StoryRecord): void {
    if (!this.deps.publish) return;
    const revision = record.revisions.at(-1)!;
    const event = revision.eventId ? record.events.find((e) => e.id === revision.eventId) : undefined;
    this.deps.publish({ story: record.story, revision, ...(event ? { event } : {}) });
  }

  #newEvent(raw: unknown, story: Story, existing: readonly ChronoEvent[], at: string): ChronoEvent {
    const input = validateEvent(raw, story);
    if (input.id && existing.some((e) => e.id === input.id)) {
      throw new ConflictError('event_exists', `An event "${input.id}" already exists in this story`, 'id');
    }
    const id = input.id ?? uniqueId(slugify(input.title), (candidate) => existing.some((e) => e.id === candidate));
    return { ...input, id, createdAt: at, updatedAt: at, version: 1 };
  }

  #now(): string {
    return this.deps.clock.now().toISOString();
  }
}
