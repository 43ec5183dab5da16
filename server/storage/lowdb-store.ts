import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { ConflictError, NotFoundError, StorageError } from '../domain/errors.js';
import type { StoryChange } from '../domain/revisions.js';
import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';
import { DurableJSONFile } from './durable-json-file.js';
import { applyChange, byRecentUpdate, newRecord, summaryOf } from './records.js';
import type { Store, StoryRecord } from './store.js';

const EMPTY: StoryRecord = { story: undefined as unknown as Story, events: [], revisions: [] };

/**
 * One lowdb file per story under `<dir>/stories/`, so an append rewrites only its own
 * story. Writes to a story are queued one at a time; a failed write puts the previous
 * record back, so memory never holds what the disk does not.
 */
export class LowdbStore implements Store {
  readonly #dir: string;
  readonly #dbs = new Map<string, Low<StoryRecord>>();
  readonly #queues = new Map<string, Promise<unknown>>();

  private constructor(dir: string) {
    this.#dir = dir;
  }

  static async open(dataDir: string): Promise<LowdbStore> {
    const store = new LowdbStore(path.join(dataDir, 'stories'));
    await mkdir(store.#dir, { recursive: true });
    const files = (await readdir(store.#dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
    for (const file of files) {
      const db = store.#lowFor(file.slice(0, -'.json'.length));
      await db.read();
      if (db.data.story) store.#dbs.set(db.data.story.slug, db);
    }
    return store;
  }

  #lowFor(slug: string): Low<StoryRecord> {
    return new Low(new DurableJSONFile<StoryRecord>(path.join(this.#dir, `${slug}.json`)), EMPTY);
  }

  async listStories(): Promise<StorySummary[]> {
    return [...this.#dbs.values()].map((db) => summaryOf(db.data)).sort(byRecentUpdate);
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
    return this.#dbs.get(slug)?.data;
  }

  createStory(story: Story, events: readonly ChronoEvent[] = [], actor = 'system'): Promise<StoryRecord> {
    return this.#serialized(story.slug, async () => {
      if (this.#dbs.has(story.slug)) throw new ConflictError('story_exists', `A story "${story.slug}" already exists`, 'slug');
      const db = this.#lowFor(story.slug);
      db.data = newRecord(story, events, actor);
      await this.#write(db, EMPTY);
      this.#dbs.set(story.slug, db);
      return db.data;
    });
  }

  commit(slug: string, change: StoryChange): Promise<StoryRecord> {
    return this.#serialized(slug, async () => {
      const db = this.#dbs.get(slug);
      if (!db) throw new NotFoundError('story', slug);
      const previous = db.data;
      db.data = applyChange(previous, change);
      await this.#write(db, previous);
      return db.data;
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#queues.values());
  }

  async #write(db: Low<StoryRecord>, previous: StoryRecord): Promise<void> {
    try {
      await db.write();
    } catch (error) {
      db.data = previous;
      // the failure may come after the rename (the directory fsync): put the old record back on disk too
      if (previous.story) await db.write().catch(() => undefined);
      throw new StorageError(`Could not save the change: ${(error as Error).message}`, error);
    }
  }

  #serialized<T>(slug: string, work: () => Promise<T>): Promise<T> {
    const result = (this.#queues.get(slug) ?? Promise.resolve()).then(work);
    this.#queues.set(slug, result.catch(() => undefined));
    return result;
  }
}
