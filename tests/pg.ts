import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test cluster (tests/global-setup.ts starts one when CI has not). */
export function testDatabaseUrl(): string {
  const url = process.env.CHRONO_TEST_DATABASE_URL;
  if (!url) throw new Error('CHRONO_TEST_DATABASE_URL is not set: the PostgreSQL tests need a cluster (see tests/global-setup.ts)');
  return url;
}

/** A new empty database on the test cluster (or next to `admin`'s), and a way to drop it. */
export async function freshDatabase(admin = testDatabaseUrl()): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chrono_t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
