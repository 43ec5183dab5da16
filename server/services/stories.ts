import { ConflictError, NotFoundError } from '../domain/errors.js';
import { slugify, uniqueId } from '../domain/ids.js';
import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';
import { validateEvent, validateStory } from '../domain/validate.js';
import type { Store, StoryRecord } from '../storage/store.js';
import type { Clock } from './clock.js';

export type Change = { type: 'story.created'; story: Story } | { type: 'event.created'; story: Story; event: ChronoEvent };

export interface StoryServiceDeps {
  store: Store;
  clock: Clock;
  /** Told of every change once it is durable (live readers subscribe here). */
  publish?: (change: Change) => void;
}

/** The use cases on stories and events: validate, store, then publish. No HTTP here. */
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

  async createStory(raw: unknown, rawEvents: readonly unknown[] = []): Promise<StoryRecord> {
    const input = validateStory(raw);
    const at = this.#now();
    const story: Story = { ...input, createdAt: at, updatedAt: at, version: 1 };
    const events: ChronoEvent[] = [];
    for (const rawEvent of rawEvents) events.push(this.#newEvent(rawEvent, story, events, at));
    const record = await this.deps.store.createStory(story, events);
    this.deps.publish?.({ type: 'story.created', story: record.story });
    return record;
  }

  async appendEvent(slug: string, raw: unknown): Promise<{ record: StoryRecord; event: ChronoEvent }> {
    const current = await this.getStory(slug);
    const at = this.#now();
    const event = this.#newEvent(raw, current.story, current.events, at);
    const record = await this.deps.store.appendEvent(slug, event, at);
    this.deps.publish?.({ type: 'event.created', story: record.story, event });
    return { record, event };
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
