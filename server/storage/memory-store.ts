import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { StoryChange } from '../domain/revisions.js';
import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';
import { applyChange, byRecentUpdate, newRecord, summaryOf } from './records.js';
import type { Store, StoryRecord } from './store.js';

/** For tests: the same contract as the file store, nothing on disk. */
export class MemoryStore implements Store {
  #records = new Map<string, StoryRecord>();

  async listStories(): Promise<StorySummary[]> {
    return [...this.#records.values()].map(summaryOf).sort(byRecentUpdate);
  }

  async getEvent(slug: string, id: string) {
    const record = await this.getStory(slug);
    return record && { story: record.story, event: record.events.find((e) => e.id === id) };
  }

  /** Everything is in memory already: the whole record answers. */
  changesSince(slug: string, _after?: number): Promise<StoryRecord | undefined> {
    return this.getStory(slug);
  }

  async getStory(slug: string): Promise<StoryRecord | undefined> {
    return this.#records.get(slug);
  }

  async createStory(story: Story, events: readonly ChronoEvent[] = [], actor = 'system'): Promise<StoryRecord> {
    if (this.#records.has(story.slug)) throw new ConflictError('story_exists', `A story "${story.slug}" already exists`, 'slug');
    const record = newRecord(story, events, actor);
    this.#records.set(story.slug, record);
    return record;
  }

  async commit(slug: string, change: StoryChange): Promise<StoryRecord> {
    const current = this.#records.get(slug);
    if (!current) throw new NotFoundError('story', slug);
    const next = applyChange(current, change);
    this.#records.set(slug, next);
    return next;
  }

  async close(): Promise<void> {}
}
