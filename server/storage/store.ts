import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';

export interface StoryRecord {
  readonly story: Story;
  readonly events: readonly ChronoEvent[];
}

/**
 * Where stories and their events live. Every adapter passes tests/storage/contract.ts.
 * A write resolves only once it is durable, rejects with a StorageError when it is not,
 * and a rejected write leaves the store as it was. Returned records are read-only snapshots.
 */
export interface Store {
  listStories(): Promise<StorySummary[]>;
  getStory(slug: string): Promise<StoryRecord | undefined>;
  /** Rejects with ConflictError `story_exists` when the slug is taken. */
  createStory(story: Story, events?: readonly ChronoEvent[]): Promise<StoryRecord>;
  /**
   * Adds an event and bumps the story's version, setting its updatedAt to `at`.
   * Rejects with NotFoundError for an unknown story, ConflictError `event_exists` for a taken id.
   */
  appendEvent(slug: string, event: ChronoEvent, at: string): Promise<StoryRecord>;
  close(): Promise<void>;
}
