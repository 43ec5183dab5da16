import type { Revision, StoryChange } from '../domain/revisions.js';
import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';

export interface StoryRecord {
  readonly story: Story;
  readonly events: readonly ChronoEvent[];
  /** every accepted change, oldest first; the last one's storyVersion is the story's version */
  readonly revisions: readonly Revision[];
}

/**
 * Where stories, their events and their history live. Every adapter passes
 * tests/storage/contract.ts. A write resolves only once it is durable, rejects with a
 * StorageError when it is not, and a rejected write leaves the store as it was.
 * Returned records are read-only snapshots.
 */
export interface Store {
  listStories(): Promise<StorySummary[]>;
  getStory(slug: string): Promise<StoryRecord | undefined>;
  /** A story and one of its events (event undefined when it has none by that id), without the rest. */
  getEvent(slug: string, id: string): Promise<{ story: Story; event: ChronoEvent | undefined } | undefined>;
  /**
   * What a reader at version `after` missed: the story, at least the revisions after `after`,
   * and at least the events those revisions name, as they now are (an adapter may return more).
   */
  changesSince(slug: string, after: number): Promise<StoryRecord | undefined>;
  /** Rejects with ConflictError `story_exists` when the slug is taken. */
  createStory(story: Story, events?: readonly ChronoEvent[], actor?: string): Promise<StoryRecord>;
  /**
   * Applies one change (records.applyChange): bumps the story's version, sets its updatedAt
   * and records the revision, all in one write. Rejects with NotFoundError, or ConflictError
   * `version_mismatch` when the expected version is stale, changing nothing.
   */
  commit(slug: string, change: StoryChange): Promise<StoryRecord>;
  close(): Promise<void>;
}
