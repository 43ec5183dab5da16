// Several real Chrono processes on one PostgreSQL database: what a reader and an editor see
// when they talk to different instances, when an instance dies, when the change feed's
// connection is cut from the database side, and `chrono migrate` from a lowdb directory.
// Each instance is `node --import tsx server/index.ts` on 127.0.0.1 with PORT=0.
import { mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SseClient } from '../http/sse-client.js';
import { freshDatabase } from '../pg.js';
import { startInstance, runCli, userWithToken, type Instance } from './instances.js';

/** generous: every test starts or stops real processes */
const T = 120_000;

const SLUG = 'openai-limogeage-sam-altman';
const API = `/api/stories/${SLUG}`;
const LIVE = `/stories/${SLUG}/live`;
const EVENT = 'lettre-des-salaries';

interface EventJson {
  id: string;
  title: string;
  version: number;
  [key: string]: unknown;
}
interface StoryJson {
  slug: string;
  title: string;
  version: number;
  [key: string]: unknown;
}
interface Chronology {
  story: StoryJson;
  events: EventJson[];
}
interface Payload {
  v: number;
  kind: string;
  id?: string;
}

async function tempDir(prefix: string): Promise<string> {
  return realpath(await mkdtemp(path.join(os.tmpdir(), prefix)));
}

async function getJson<T>(url: string): Promise<{ status: number; etag: string | null; body: T }> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
  return { status: res.status, etag: res.headers.get('etag'), body: JSON.parse(text) as T };
}

function send(base: string, token: string, method: string, pathname: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${pathname}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function expectStatus<T>(res: Response, status: number, what: string): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function append(base: string, token: string, input: Record<string, unknown>): Promise<EventJson> {
  return (await expectStatus<{ event: EventJson }>(await send(base, token, 'POST', `${API}/events`, input), 201, `append ${JSON.stringify(input)}`)).event;
}

async function edit(base: string, token: string, id: string, patch: Record<string, unknown>): Promise<EventJson> {
  const { etag } = await getJson(`${base}${API}/events/${id}`);
  return (await expectStatus<{ event: EventJson }>(await send(base, token, 'PATCH', `${API}/events/${id}`, patch, { 'If-Match': etag! }), 200, `edit ${id}`)).event;
}

async function storyVersion(base: string): Promise<number> {
  return (await getJson<Chronology>(`${base}${API}`)).body.story.version;
}

function payloads(client: SseClient): Payload[] {
  return client.changes().map((m) => JSON.parse(m.data) as Payload);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

describe('two instances sharing one PostgreSQL database', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let sql: pg.Pool;
  let a: Instance;
  let b: Instance;
  let token: string;
  const dirs: string[] = [];
  const instances: Instance[] = [];
  const readers: SseClient[] = [];

  async function reader(instance: Instance, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.connect(`${instance.baseUrl}${LIVE}`, { headers });
    readers.push(client);
    expect(client.status).toBe(200);
    return client;
  }

  async function start(name: string, dataDir: string): Promise<Instance> {
    const instance = await startInstance(name, { dataDir, databaseUrl: db.url });
    instances.push(instance);
    return instance;
  }

  async function count(query: string): Promise<number> {
    return Number((await sql.query<{ n: string }>(query)).rows[0]!.n);
  }

  beforeAll(async () => {
    db = await freshDatabase();
    sql = new pg.Pool({ connectionString: db.url, max: 3 });
    sql.on('error', () => undefined); // an idle connection the server side closes must not fail the run
    const dirA = await tempDir('chrono-scale-a-');
    const dirB = await tempDir('chrono-scale-b-');
    dirs.push(dirA, dirB);
    // the real CLI, given CHRONO_DATABASE_URL, keeps the user and token in PostgreSQL (it also
    // creates the schema); nothing is written to the data directory
    token = await userWithToken('redaction', { dataDir: dirA, databaseUrl: db.url });
    // both at once, on a database without stories: each finds it empty and tries to seed it
    [a, b] = await Promise.all([start('A', dirA), start('B', dirB)]);
  }, T);

  afterAll(async () => {
    for (const r of readers) r.close();
    await Promise.all(instances.map((i) => i.stop()));
    await sql?.end();
    await db?.drop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }, T);

  it('keeps the CLI-made user and token in the database, not in the data directory', async () => {
    expect(await count('SELECT count(*) AS n FROM users')).toBe(1);
    expect(await count('SELECT count(*) AS n FROM tokens')).toBe(1);
    expect(await readdir(dirs[0]!)).toEqual([]);
  }, T);

  it('serves the demo story from both instances, seeded once although both started at once', async () => {
    for (const instance of [a, b]) {
      const { body } = await getJson<{ stories: { slug: string; eventCount: number }[] }>(`${instance.baseUrl}/api/stories`);
      expect(body.stories.map((s) => [s.slug, s.eventCount])).toEqual([[SLUG, 7]]);
      const story = await getJson<Chronology>(`${instance.baseUrl}${API}`);
      expect(story.body.events).toHaveLength(7);
      expect(story.body.story.version).toBe(1);
      const page = await fetch(`${instance.baseUrl}/stories/${SLUG}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('OpenAI : le limogeage de Sam Altman');
    }
    expect(await count('SELECT count(*) AS n FROM stories')).toBe(1);
    expect(await count('SELECT count(*) AS n FROM events')).toBe(7);
    expect(await count('SELECT count(*) AS n FROM revisions')).toBe(1);
    // one of them loaded it; the other found it there
    const loaded = [a, b].filter((i) => i.messages().includes('loaded the demo story'));
    expect(loaded).toHaveLength(1);
  }, T);

  it('reports PostgreSQL, a reachable database and a listening change feed on /healthz', async () => {
    for (const instance of [a, b]) {
      await until(async () => (await getJson<{ listening: boolean }>(`${instance.baseUrl}/healthz`)).body.listening, 5000, `${instance.name} listening`);
      const res = await fetch(`${instance.baseUrl}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toMatchObject({ status: 'ok', storage: 'postgresql', database: 'ok', listening: true });
    }
  }, T);

  it('takes no directory lock with PostgreSQL: a third instance runs on A’s data directory', async () => {
    const c = await start('C', a.options.dataDir);
    try {
      expect((await getJson<Chronology>(`${c.baseUrl}${API}`)).body.events).toHaveLength(7);
      expect((await getJson<{ storage: string }>(`${c.baseUrl}/healthz`)).body.storage).toBe('postgresql');
      // A still serves, and neither wrote anything (no lock file, no lowdb files) into the directory
      expect((await fetch(`${a.baseUrl}${API}`)).status).toBe(200);
      expect(await readdir(a.options.dataDir)).toEqual([]);
      expect(c.messages()).not.toContain('loaded the demo story');
    } finally {
      await c.stop();
    }
    expect((await c.exited).code).toBe(0);
  }, T);

  it('delivers an edit made through B to a reader on A within a second, exactly once', async () => {
    const client = await reader(a);
    const before = await storyVersion(b.baseUrl);
    const { etag } = await getJson(`${b.baseUrl}${API}/events/${EVENT}`);
    const started = performance.now();
    const res = await send(b.baseUrl, token, 'PATCH', `${API}/events/${EVENT}`, { title: 'Plus de 700 salariés menacent de partir' }, { 'If-Match': etag! });
    await expectStatus(res, 200, 'PATCH through B');
    await client.waitFor(() => payloads(client).some((p) => p.id === EVENT && p.kind === 'event.updated'), 5000, 'the edit on A');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1000);
    await sleep(700); // anything sent twice would be here by now
    const got = payloads(client);
    expect(got.map((p) => [p.v, p.kind, p.id])).toEqual([[before + 1, 'event.updated', EVENT]]);
    expect(client.changeIds()).toEqual([before + 1]);
    client.close();
  }, T);

  it('lets exactly one of 50 concurrent PATCHes with the same If-Match through, across both instances', async () => {
    const target = 'microsoft-recrute-sam-altman';
    const beforeStory = (await getJson<Chronology>(`${a.baseUrl}${API}`)).body;
    const beforeEvent = beforeStory.events.find((e) => e.id === target)!;
    const { etag } = await getJson(`${a.baseUrl}${API}/events/${target}`);
    expect(etag).toBe(`"${beforeEvent.version}"`);
    const revisionsBefore = await count('SELECT count(*) AS n FROM revisions');

    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const instance = i % 2 ? b : a;
        const title = `Titre concurrent n° ${i} (via ${instance.name})`;
        const res = await send(instance.baseUrl, token, 'PATCH', `${API}/events/${target}`, { title }, { 'If-Match': etag! });
        const body = (await res.json()) as { event?: EventJson; error?: { code?: string } };
        return { status: res.status, title, body };
      }),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(49);
    const winner = results.find((r) => r.status === 200)!;
    expect(winner.body.event!.title).toBe(winner.title);

    for (const instance of [a, b]) {
      const after = (await getJson<Chronology>(`${instance.baseUrl}${API}`)).body;
      const event = after.events.find((e) => e.id === target)!;
      expect(event.title).toBe(winner.title);
      expect(event.version).toBe(beforeEvent.version + 1);
      expect(after.story.version).toBe(beforeStory.story.version + 1);
      // nothing else changed
      expect(after.events.filter((e) => e.id !== target)).toEqual(beforeStory.events.filter((e) => e.id !== target));
    }
    expect(await count('SELECT count(*) AS n FROM revisions')).toBe(revisionsBefore + 1);
  }, T);

  it('catches up readers when the change feed’s connection is terminated by the database', async () => {
    const onA = await reader(a);
    const onB = await reader(b);
    const listeners = async () => (await sql.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'chrono-listener' AND datname = current_database() ORDER BY pid")).rows.map((r) => r.pid);
    const oldPids = await listeners();
    expect(oldPids).toHaveLength(2);
    const connectedA = a.messages().filter((m) => m === 'listening for changes').length;
    const version = await storyVersion(b.baseUrl);

    // this database only: other test files may have listeners of their own on the cluster
    const { rows } = await sql.query<{ ok: boolean }>(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'chrono-listener' AND datname = current_database()",
    );
    expect(rows.map((r) => r.ok)).toEqual([true, true]);
    const cutAt = performance.now();
    // made at once: the listeners are still waiting out their 250 ms back-off
    const added: EventJson[] = [];
    let firstCommitted = 0;
    for (let i = 0; i < 3; i++) {
      added.push(await append(b.baseUrl, token, { date: `2023-11-23T0${i + 1}:00`, title: `Pendant la coupure du flux n° ${i + 1}` }));
      firstCommitted ||= Date.now();
    }
    const expected = added.map((e, i) => [version + 1 + i, 'event.created', e.id]);

    for (const client of [onA, onB]) await client.waitFor(() => client.changes().length >= 3, 5000, 'the changes made meanwhile');
    expect(performance.now() - cutAt).toBeLessThan(5000); // the catch-up on reconnect, not the 30 s backstop
    await sleep(500);
    for (const client of [onA, onB]) expect(payloads(client).map((p) => [p.v, p.kind, p.id])).toEqual(expected);

    // it did reconnect: new backends, a second "listening" line, and /healthz says so
    await until(async () => {
      const pids = await listeners();
      return pids.length === 2 && pids.every((p) => !oldPids.includes(p));
    }, 5000, 'two new listener connections');
    expect(a.messages().filter((m) => m === 'listening for changes').length).toBe(connectedA + 1);
    // the first change was committed while both listeners were down (its NOTIFY reached no one):
    // the readers got it from the catch-up that follows a reconnect
    for (const instance of [a, b]) expect(instance.timesOf('listening for changes').at(-1)!).toBeGreaterThan(firstCommitted);
    expect(a.messages()).toContain('change listener lost its connection; reconnecting');
    expect((await getJson<{ listening: boolean }>(`${a.baseUrl}/healthz`)).body.listening).toBe(true);

    // and live changes flow again, through the new connections
    const next = await append(b.baseUrl, token, { date: '2023-11-23T05:00', title: 'Après la coupure du flux' });
    await onA.waitFor(() => payloads(onA).some((p) => p.id === next.id), 2000, 'a change after the reconnect');
    onA.close();
    onB.close();
  }, T);

  // this one kills A: it comes last among the tests using A (and starts A again at the end)
  it('lets a reader of a killed instance resume on the other with Last-Event-ID, missing nothing', async () => {
    const client = await reader(a);
    await edit(b.baseUrl, token, EVENT, { title: 'Plus de 700 des 770 salariés menacent de partir' });
    await client.waitFor(() => client.changes().length === 1, 5000, 'the first change on A');
    const lastId = client.parser.lastEventId;
    expect(Number(lastId)).toBe(await storyVersion(b.baseUrl));

    const exit = await a.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    await client.waitForEnd(5000).catch(() => undefined);
    client.close();

    // appended (and edited) through B while the reader has no stream
    const meanwhile: [string, string][] = [];
    for (let i = 0; i < 3; i++) {
      const e = await append(b.baseUrl, token, { date: `2023-11-24T0${i + 1}:00`, title: `Pendant la panne de A n° ${i + 1}` });
      meanwhile.push(['event.created', e.id]);
    }
    await edit(b.baseUrl, token, meanwhile[0]![1], { title: 'Pendant la panne de A n° 1, corrigé' });
    meanwhile.push(['event.updated', meanwhile[0]![1]]);

    const resumed = await reader(b, { 'Last-Event-ID': lastId });
    await resumed.waitFor(() => resumed.changes().length >= 4, 5000, 'the replay');
    // and one more while connected
    const live = await append(b.baseUrl, token, { date: '2023-11-24T09:00', title: 'Après la reprise' });
    meanwhile.push(['event.created', live.id]);
    await resumed.waitFor(() => resumed.changes().length >= 5, 5000, 'the live change');
    await sleep(500);
    const first = Number(lastId) + 1;
    expect(payloads(resumed).map((p) => [p.v, p.kind, p.id])).toEqual(meanwhile.map(([kind, id], i) => [first + i, kind, id]));
    expect(resumed.changeIds()).toEqual([first, first + 1, first + 2, first + 3, first + 4]);
    resumed.close();

    // A starts again on the same directory and database, and serves the latest version
    a = await start('A2', a.options.dataDir);
    expect(await storyVersion(a.baseUrl)).toBe(first + 4);
    expect((await getJson<{ listening: boolean }>(`${a.baseUrl}/healthz`)).body).toMatchObject({ storage: 'postgresql', database: 'ok' });
  }, T);
});

describe('chrono migrate from a lowdb directory', () => {
  const dirs: string[] = [];
  const instances: Instance[] = [];
  const dbs: Awaited<ReturnType<typeof freshDatabase>>[] = [];

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    for (const db of dbs) await db.drop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }, T);

  /**
   * What legitimately differs between two servers rendering the same data: the origin in
   * absolute URLs (canonical link, og:url, JSON-LD, feed links…), which carries each server's
   * own port. Every "http://127.0.0.1:<port>", and its URL-encoded form in query strings (the
   * oEmbed discovery link's url=http%3A%2F%2F127.0.0.1%3A<port>), becomes "ORIGIN"; nothing
   * else is touched.
   */
  const normalise = (text: string) => text.replace(/http:\/\/127\.0\.0\.1:\d+/g, 'ORIGIN').replace(/http%3A%2F%2F127\.0\.0\.1%3A\d+/gi, 'ORIGIN');

  async function dump(url: string): Promise<Record<string, unknown[]>> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const out: Record<string, unknown[]> = {};
      for (const table of ['stories', 'events', 'revisions', 'users', 'tokens', 'sessions']) {
        out[table] = (await client.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
      }
      return out;
    } finally {
      await client.end();
    }
  }

  it('copies stories, events, revisions and accounts; the copy serves the same pages; all or nothing', async () => {
    const lowDir = await tempDir('chrono-scale-low-');
    const pgDir = await tempDir('chrono-scale-pgdir-');
    dirs.push(lowDir, pgDir);
    const low = { dataDir: lowDir };
    // a user and a token in the lowdb directory, through the real CLI (no CHRONO_DATABASE_URL)
    const token = await userWithToken('redaction', low);

    let lowServer = await startInstance('lowdb', low);
    instances.push(lowServer);
    expect((await getJson<{ storage: string }>(`${lowServer.baseUrl}/healthz`)).body.storage).toBe('lowdb');
    const added = await append(lowServer.baseUrl, token, { date: '2023-11-22T06:00', title: 'Sam Altman revient à la tête d’OpenAI', body: 'Un accord de principe est trouvé.' });
    await edit(lowServer.baseUrl, token, added.id, { title: 'Sam Altman revient à la tête d’OpenAI, avec un nouveau conseil' });
    await expectStatus(await send(lowServer.baseUrl, token, 'POST', `${API}/events/microsoft-recrute-sam-altman/retract`, { reason: 'Le recrutement n’a pas eu lieu' }), 200, 'retract');
    await lowServer.stop(); // migrate takes the directory's lock, as an import does

    const target = await freshDatabase();
    dbs.push(target);
    const migrated = await runCli(['migrate', '--to', target.url], low);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout.trim()).toBe('Copied 1 stories (8 events, 4 revisions), 1 users, 1 tokens and 0 sessions into PostgreSQL.');

    // the same data served by lowdb and by PostgreSQL, side by side
    lowServer = await startInstance('lowdb again', low);
    instances.push(lowServer);
    const pgServer = await startInstance('postgresql', { dataDir: pgDir, databaseUrl: target.url });
    instances.push(pgServer);
    expect(pgServer.messages()).not.toContain('loaded the demo story'); // not empty: no demo seeded

    for (const pathname of [`/stories/${SLUG}`, `/stories/${SLUG}/events/${added.id}`, `/stories/${SLUG}/feed.atom`]) {
      const [fromLow, fromPg] = await Promise.all([lowServer, pgServer].map(async (s) => {
        const res = await fetch(`${s.baseUrl}${pathname}`);
        expect(res.status).toBe(200);
        return { etag: res.headers.get('etag'), body: normalise(await res.text()) };
      }));
      expect(fromPg!.body).toBe(fromLow!.body);
      expect(fromPg!.etag).toBe(fromLow!.etag);
    }
    const page = normalise(await (await fetch(`${pgServer.baseUrl}/stories/${SLUG}`)).text());
    expect(page).toContain('Sam Altman revient à la tête d’OpenAI, avec un nouveau conseil');
    expect(page).toContain('Le recrutement n’a pas eu lieu');

    for (const pathname of [API, '/api/stories', `${API}/changes?after=0`, `${API}/events/${added.id}`]) {
      const [fromLow, fromPg] = await Promise.all([lowServer, pgServer].map((s) => getJson<unknown>(`${s.baseUrl}${pathname}`)));
      expect(fromPg!.body).toEqual(fromLow!.body);
    }
    expect((await getJson<Chronology>(`${pgServer.baseUrl}${API}`)).body.story.version).toBe(4);

    // the migrated token (and its user) work on the PostgreSQL instance
    const { revisions } = await expectStatus<{ revisions: unknown[] }>(
      await fetch(`${pgServer.baseUrl}${API}/events/${added.id}/revisions`, { headers: { Authorization: `Bearer ${token}` } }),
      200,
      'revisions with the migrated token',
    );
    expect(revisions).toHaveLength(2);
    const edited = await edit(pgServer.baseUrl, token, EVENT, { title: 'Écrit sur PostgreSQL avec le jeton migré' });
    expect(edited.version).toBe(2);

    // again into the same database: refused, with a message, and nothing changes
    await lowServer.stop();
    const before = await dump(target.url);
    const again = await runCli(['migrate', '--to', target.url], low);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr.trim()).toBe(`chrono: A story "${SLUG}" is already in the database; nothing was copied`);
    expect(await dump(target.url)).toEqual(before);
  }, T);

  it('copies nothing when a conflict comes after the stories were written (a user already there)', async () => {
    const lowDir = await tempDir('chrono-scale-low2-');
    dirs.push(lowDir);
    const low = { dataDir: lowDir };
    await userWithToken('redaction', low);
    const seeded = await startInstance('lowdb seed', low);
    instances.push(seeded);
    await seeded.stop();

    const target = await freshDatabase();
    dbs.push(target);
    // the same user name, made in the database first (the CLI also creates the schema)
    const taken = await runCli(['user', 'add', 'redaction', '--role', 'admin', '--password-stdin'], { dataDir: lowDir, databaseUrl: target.url }, 'another long password\n');
    expect(taken.code).toBe(0);
    const before = await dump(target.url);
    expect(before.stories).toEqual([]);

    const migrated = await runCli(['migrate', '--to', target.url], low);
    expect(migrated.code).toBe(1);
    expect(migrated.stderr.trim()).toBe('chrono: A user "redaction" is already in the database; nothing was copied');
    expect(await dump(target.url)).toEqual(before);
  }, T);
});
