import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';
import { byRecentUpdate, summaryOf, withAppended } from './records.js';
import type { Store, StoryRecord } from './store.js';

/** For tests: the same contract as the file store, nothing on disk. */
export class MemoryStore implements Store {
  #records = new Map<string, StoryRecord>();

  async listStories(): Promise<StorySummary[]> {
    return [...this.#records.values()].map(summaryOf).sort(byRecentUpdate);
  }

  async getStory(slug: string): Promise<StoryRecord | undefined> {
    return this.#records.get(slug);
  }

  async createStory(story: Story, events: readonly ChronoEvent[] = []): Promise<StoryRecord> {
    if (this.#records.has(story.slug)) throw new ConflictError('story_exists', `A story "${story.slug}" already exists`, 'slug');
    const record = { story, events: [...events] };
    this.#records.set(story.slug, record);
    return record;
  }

  async appendEvent(slug: string, event: ChronoEvent, at: string): Promise<StoryRecord> {
    const current = this.#records.get(slug);
    if (!current) throw new NotFoundError('story', slug);
    const next = withAppended(current, event, at);
    this.#records.set(slug, next);
    return next;
  }

  async close(): Promise<void> {}
}
