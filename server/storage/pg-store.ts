import pg from 'pg';
import type { ApiToken, Session, User } from '../domain/accounts.js';
import { ConflictError, DomainError, NotFoundError, StorageError } from '../domain/errors.js';
import type { Revision, StoryChange } from '../domain/revisions.js';
import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';
import type { AccountStore } from './account-store.js';
import { migrate } from './pg-migrations.js';
import { eventExists, newRecord, revisionFor, staleError } from './records.js';
import type { Store, StoryRecord } from './store.js';

/** The channel a committed change is announced on: payload "<slug> <version>", a wake-up hint only. */
export const CHANGE_CHANNEL = 'chrono_changes';

type Query = Pick<pg.PoolClient, 'query'>;

function storageError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  return new StorageError(`The database could not complete the change: ${(error as Error).message}`, error);
}

/**
 * Stories, events and revisions in PostgreSQL, for several Chrono instances at once. Each
 * write is one transaction that locks its story row, applies the change with optimistic
 * concurrency (`WHERE version = $expected`), records the revision and NOTIFYs the change.
 */
export class PgStore implements Store {
  private constructor(readonly pool: pg.Pool) {}

  static async open(connectionString: string, options: { max?: number } = {}): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString, max: options.max ?? 10, application_name: 'chrono' });
    // an idle client losing its connection must not take the process down
    pool.on('error', () => undefined);
    await migrate(pool);
    return new PgStore(pool);
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storageError(error);
    }
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storageError(error);
    } finally {
      client.release();
    }
  }

  async #read<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw storageError(error);
    }
  }

  async health(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  listStories(): Promise<StorySummary[]> {
    return this.#read(async () => {
      const { rows } = await this.pool.query<{ data: Story; count: string }>(
        `SELECT s.data, (SELECT count(*) FROM events e WHERE e.story_slug = s.slug) AS count
           FROM stories s ORDER BY s.updated_at DESC, s.slug`,
      );
      return rows.map((r) => ({ ...r.data, eventCount: Number(r.count) }));
    });
  }

  getStory(slug: string): Promise<StoryRecord | undefined> {
    // three queries, one snapshot: a commit landing between them must not pair a new
    // revision with the event as it was before it
    return this.#transaction((client) => readRecord(client, slug), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  getEvent(slug: string, id: string): Promise<{ story: Story; event: ChronoEvent | undefined } | undefined> {
    return this.#read(async () => {
      const story = await this.pool.query<{ data: Story }>('SELECT data FROM stories WHERE slug = $1', [slug]);
      if (!story.rows[0]) return undefined;
      const event = await this.pool.query<{ data: ChronoEvent }>('SELECT data FROM events WHERE story_slug = $1 AND id = $2', [slug, id]);
      return { story: story.rows[0].data, event: event.rows[0]?.data };
    });
  }

  /** Only the revisions after `after` and the events they name, in one snapshot. */
  changesSince(slug: string, after: number): Promise<StoryRecord | undefined> {
    return this.#transaction(async (client) => {
      const story = await client.query<{ data: Story }>('SELECT data FROM stories WHERE slug = $1', [slug]);
      if (!story.rows[0]) return undefined;
      const from = Math.min(after, 2_147_483_647); // story_version is an integer column
      const revisions = (await client.query<{ data: Revision }>('SELECT data FROM revisions WHERE story_slug = $1 AND story_version > $2 ORDER BY seq', [slug, from])).rows.map((r) => r.data);
      const ids = [...new Set(revisions.flatMap((r) => (r.eventId ? [r.eventId] : r.kind === 'events.imported' ? ((r.changes[0]?.after as string[] | undefined) ?? []) : [])))];
      const events = ids.length
        ? (await client.query<{ data: ChronoEvent }>('SELECT data FROM events WHERE story_slug = $1 AND id = ANY($2) ORDER BY seq', [slug, ids])).rows.map((r) => r.data)
        : [];
      return { story: story.rows[0].data, events, revisions };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  createStory(story: Story, events: readonly ChronoEvent[] = [], actor = 'system'): Promise<StoryRecord> {
    return this.#transaction(async (client) => {
      const record = newRecord(story, events, actor);
      const inserted = await client.query('INSERT INTO stories (slug, version, updated_at, data) VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING', [
        story.slug,
        story.version,
        story.updatedAt,
        story,
      ]);
      if (inserted.rowCount === 0) throw new ConflictError('story_exists', `A story "${story.slug}" already exists`, 'slug');
      await insertEvents(client, story.slug, events);
      await insertRevision(client, story.slug, record.revisions[0]!);
      await notify(client, story.slug, story.version);
      return record;
    });
  }

  commit(slug: string, change: StoryChange): Promise<StoryRecord> {
    return this.#transaction(async (client) => {
      const locked = await client.query<{ version: number; data: Story }>('SELECT version, data FROM stories WHERE slug = $1 FOR UPDATE', [slug]);
      const current = locked.rows[0];
      if (!current) throw new NotFoundError('story', slug);
      const version = current.version + 1;
      let story: Story = { ...current.data, version, updatedAt: change.at };
      switch (change.kind) {
        case 'event.created':
          await insertEvents(client, slug, [change.event]);
          break;
        case 'events.imported':
          await insertEvents(client, slug, change.events);
          break;
        case 'event.updated':
        case 'event.corrected':
        case 'event.retracted': {
          const updated = await client.query('UPDATE events SET data = $3, version = $4 WHERE story_slug = $1 AND id = $2 AND version = $5', [
            slug,
            change.event.id,
            change.event,
            change.event.version,
            change.expectedVersion,
          ]);
          if (updated.rowCount === 0) {
            const found = await client.query<{ version: number }>('SELECT version FROM events WHERE story_slug = $1 AND id = $2', [slug, change.event.id]);
            if (!found.rows[0]) throw new NotFoundError('event', change.event.id);
            throw staleError('event', change.expectedVersion, found.rows[0].version);
          }
          break;
        }
        case 'event.deleted': {
          const deleted = await client.query('DELETE FROM events WHERE story_slug = $1 AND id = $2', [slug, change.eventId]);
          if (deleted.rowCount === 0) throw new NotFoundError('event', change.eventId);
          break;
        }
        case 'story.updated':
          if (current.version !== change.expectedVersion) throw staleError('story', change.expectedVersion, current.version);
          story = { ...story, ...change.story };
          break;
      }
      const bumped = await client.query('UPDATE stories SET version = $2, updated_at = $3, data = $4 WHERE slug = $1 AND version = $5', [
        slug,
        version,
        change.at,
        story,
        current.version,
      ]);
      if (bumped.rowCount === 0) throw staleError('story', current.version, version);
      await insertRevision(client, slug, revisionFor(change, version));
      await notify(client, slug, version);
      return (await readRecord(client, slug))!;
    });
  }

  /**
   * Copies a whole lowdb data directory as it is (versions, revisions, accounts), in one
   * transaction: all of it, or nothing if anything is already there. For `chrono migrate`.
   */
  importAll(data: { records: readonly StoryRecord[]; users: readonly User[]; tokens: readonly ApiToken[]; sessions: readonly Session[] }): Promise<void> {
    return this.#transaction(async (client) => {
      for (const record of data.records) {
        const { story } = record;
        const inserted = await client.query('INSERT INTO stories (slug, version, updated_at, data) VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING', [
          story.slug,
          story.version,
          story.updatedAt,
          story,
        ]);
        if (inserted.rowCount === 0) throw new ConflictError('story_exists', `A story "${story.slug}" is already in the database; nothing was copied`, 'slug');
        await insertEvents(client, story.slug, record.events);
        for (const revision of record.revisions) await insertRevision(client, story.slug, revision);
      }
      for (const user of data.users) {
        const inserted = await client.query('INSERT INTO users (name, data) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [user.name, user]);
        if (inserted.rowCount === 0) throw new ConflictError('user_exists', `A user "${user.name}" is already in the database; nothing was copied`, 'name');
      }
      for (const token of data.tokens) await client.query('INSERT INTO tokens (id, hash, data) VALUES ($1, $2, $3)', [token.id, token.hash, token]);
      for (const session of data.sessions) await client.query('INSERT INTO sessions (id_hash, expires_at, data) VALUES ($1, $2, $3)', [session.idHash, session.expiresAt, session]);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function readRecord(db: Query, slug: string): Promise<StoryRecord | undefined> {
  const story = await db.query<{ data: Story }>('SELECT data FROM stories WHERE slug = $1', [slug]);
  if (!story.rows[0]) return undefined;
  const events = await db.query<{ data: ChronoEvent }>('SELECT data FROM events WHERE story_slug = $1 ORDER BY seq', [slug]);
  const revisions = await db.query<{ data: Revision }>('SELECT data FROM revisions WHERE story_slug = $1 ORDER BY seq', [slug]);
  return { story: story.rows[0].data, events: events.rows.map((r) => r.data), revisions: revisions.rows.map((r) => r.data) };
}

async function insertEvents(db: Query, slug: string, events: readonly ChronoEvent[]): Promise<void> {
  for (const event of events) {
    const inserted = await db.query('INSERT INTO events (story_slug, id, version, data) VALUES ($1, $2, $3, $4) ON CONFLICT (story_slug, id) DO NOTHING', [
      slug,
      event.id,
      event.version,
      event,
    ]);
    if (inserted.rowCount === 0) throw eventExists(event.id);
  }
}

async function insertRevision(db: Query, slug: string, revision: Revision): Promise<void> {
  await db.query('INSERT INTO revisions (story_slug, story_version, data) VALUES ($1, $2, $3)', [slug, revision.storyVersion, revision]);
}

async function notify(db: Query, slug: string, version: number): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, `${slug} ${version}`]);
}

/** Users, tokens and sessions in the same database, so any instance can sign editors in. */
export class PgAccountStore implements AccountStore {
  constructor(private readonly pool: pg.Pool) {}

  async #one<T>(sql: string, params: unknown[]): Promise<T | undefined> {
    try {
      return (await this.pool.query<{ data: T }>(sql, params)).rows[0]?.data;
    } catch (error) {
      throw storageError(error);
    }
  }
  async #all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.pool.query<{ data: T }>(sql, params)).rows.map((r) => r.data);
    } catch (error) {
      throw storageError(error);
    }
  }
  async #run(sql: string, params: unknown[]): Promise<number> {
    try {
      return (await this.pool.query(sql, params)).rowCount ?? 0;
    } catch (error) {
      throw storageError(error);
    }
  }

  getUser(name: string) {
    return this.#one<User>('SELECT data FROM users WHERE name = $1', [name]);
  }
  listUsers() {
    return this.#all<User>('SELECT data FROM users ORDER BY name');
  }
  async putUser(user: User, mode: 'create' | 'replace') {
    if (mode === 'create') {
      const n = await this.#run('INSERT INTO users (name, data) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [user.name, user]);
      if (n === 0) throw new ConflictError('user_exists', `A user "${user.name}" already exists`, 'name');
    } else await this.#run('INSERT INTO users (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data', [user.name, user]);
  }
  listTokens() {
    return this.#all<ApiToken>('SELECT data FROM tokens ORDER BY data->>\'createdAt\', id');
  }
  findToken(hash: string) {
    return this.#one<ApiToken>('SELECT data FROM tokens WHERE hash = $1', [hash]);
  }
  async putToken(token: ApiToken) {
    await this.#run('INSERT INTO tokens (id, hash, data) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET hash = EXCLUDED.hash, data = EXCLUDED.data', [token.id, token.hash, token]);
  }
  getSession(idHash: string) {
    return this.#one<Session>('SELECT data FROM sessions WHERE id_hash = $1', [idHash]);
  }
  async putSession(session: Session) {
    await this.#run('DELETE FROM sessions WHERE expires_at <= $1', [session.createdAt]);
    await this.#run('INSERT INTO sessions (id_hash, expires_at, data) VALUES ($1, $2, $3) ON CONFLICT (id_hash) DO UPDATE SET data = EXCLUDED.data', [
      session.idHash,
      session.expiresAt,
      session,
    ]);
  }
  async deleteSession(idHash: string) {
    await this.#run('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  }
  async close() {}
}
