import type pg from 'pg';

/** Numbered, applied once each, in order; never edit one that has shipped: add the next. */
export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE stories (
        slug text PRIMARY KEY,
        version integer NOT NULL,
        updated_at text NOT NULL,
        data jsonb NOT NULL
      );
      CREATE TABLE events (
        story_slug text NOT NULL REFERENCES stories (slug) ON DELETE CASCADE,
        id text NOT NULL,
        seq bigserial NOT NULL,
        version integer NOT NULL,
        data jsonb NOT NULL,
        PRIMARY KEY (story_slug, id)
      );
      CREATE INDEX events_story_seq ON events (story_slug, seq);
      CREATE TABLE revisions (
        seq bigserial PRIMARY KEY,
        story_slug text NOT NULL REFERENCES stories (slug) ON DELETE CASCADE,
        story_version integer NOT NULL,
        data jsonb NOT NULL
      );
      CREATE INDEX revisions_story_version ON revisions (story_slug, story_version);
      CREATE TABLE users (name text PRIMARY KEY, data jsonb NOT NULL);
      CREATE TABLE tokens (id text PRIMARY KEY, hash text NOT NULL UNIQUE, data jsonb NOT NULL);
      CREATE TABLE sessions (id_hash text PRIMARY KEY, expires_at text NOT NULL, data jsonb NOT NULL);
    `,
  },
];

// any constant will do: it only has to be the same for every Chrono instance
const MIGRATION_LOCK = 7_412_003;

/** Brings the schema up to date; safe when several instances start at once (advisory lock). */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS chrono_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM chrono_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO chrono_migrations (version) VALUES ($1)', [m.version]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
