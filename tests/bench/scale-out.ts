// "Scale-out (PostgreSQL)" section of `npm run bench`: two real Chrono instances (A and B,
// `node --import tsx server/index.ts` as in tests/scale/instances.ts, production settings,
// 127.0.0.1 and PORT=0; plus --expose-gc and instance-probe.ts, which only reports memory after
// GC on SIGUSR2) on one PostgreSQL database: a throwaway cluster on loopback started for
// the run (tests/global-setup.ts), or a fresh database on CHRONO_BENCH_DATABASE_URL's server.
//   1. fan-out: PATCH through B's bearer API → a few SSE readers on A, at 1 and at 10 edits/s
//      (open loop: an edit is sent on schedule whether or not the previous one has answered);
//      the same at 10 edits/s through A for comparison;
//   2. writes/s: editors each editing their own event (uncontended), then all of them on one
//      event with If-Match (the hot story: 200 vs 412), spread over both instances, with readers
//      of that story on A (how far behind they are when the writes stop);
//   3. open streams: many SSE readers on A from a separate client process (sse-clients.ts,
//      agent: false): A's RSS before/after, and a few edits through B → every stream on A.
// Every loop is bounded in count and in time; only 127.0.0.1 is used.
//
// Knobs: BENCH_SCALE=0 skips the section (BENCH_SCALE=only runs nothing else, see run.ts);
// BENCH_SCALE_EVENTS (events per story, default 1000), BENCH_SCALE_READERS (5),
// BENCH_SCALE_SLOW_SECONDS (20, at 1 edit/s), BENCH_SCALE_FAST_SECONDS (5, at 10 edits/s),
// BENCH_SCALE_EDITORS (8), BENCH_SCALE_WRITE_SECONDS (5 per write case), BENCH_SCALE_STREAMS (1000),
// BENCH_SCALE_STREAM_EDITS (10); BENCH_PG_FSYNC=0 runs the throwaway cluster without fsync.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ChronoEvent, Story } from '../../server/domain/types.js';
import { PgStore } from '../../server/storage/pg-store.js';
import { findPgBin, startCluster, type Cluster } from '../global-setup.js';
import { freshDatabase } from '../pg.js';
import type { FromClients, ToClients } from './sse-clients.js';
import { kib, latencyRow, log, mib, passFail, percentile, type Rows } from './table.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

const int = (name: string, fallback: number) => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};
const EVENTS = int('BENCH_SCALE_EVENTS', 1000);
const EVENTS_TEXT = EVENTS.toLocaleString('en-US');
const READERS = int('BENCH_SCALE_READERS', 5);
const SLOW_SECONDS = int('BENCH_SCALE_SLOW_SECONDS', 20);
const FAST_SECONDS = int('BENCH_SCALE_FAST_SECONDS', 5);
const EDITORS = int('BENCH_SCALE_EDITORS', 8);
const WRITE_SECONDS = int('BENCH_SCALE_WRITE_SECONDS', 5);
const STREAMS = int('BENCH_SCALE_STREAMS', 1000);
const STREAM_EDITS = int('BENCH_SCALE_STREAM_EDITS', 10);
/** opened and closed on A before its RSS is taken (see benchStreams) */
const WARM_STREAMS = Math.min(STREAMS, 200);
const DURABLE = process.env.BENCH_PG_FSYNC !== '0';
const TARGET_FANOUT_P99_MS = 200;
/** open-loop edits waiting for an answer at once; beyond this an edit is skipped (and counted) */
const MAX_IN_FLIGHT = 20;
/** per write case, per editor */
const MAX_WRITES_PER_EDITOR = 5000;

export interface ScaleContext {
  /** the run's temp dir (removed by run.ts) */
  root: string;
  makeStory(slug: string, eventCount: number, tag: string): { story: Story; events: ChronoEvent[] };
}

const sleep = (msec: number) => new Promise<void>((resolve) => setTimeout(resolve, msec));
const epochMs = () => performance.timeOrigin + performance.now();
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

// ---------- what must be undone if the run is interrupted ----------

const children = new Set<ChildProcess>();
let cluster: Cluster | undefined;

/** For run.ts's signal handler: kills what this section started and stops its cluster, synchronously. */
export function abortScaleOut(): void {
  for (const child of children) child.kill('SIGKILL');
  cluster?.stop();
}

// ---------- instances and the CLI ----------

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  gc: boolean;
}

interface Instance {
  name: string;
  port: number;
  pid: number;
  /** the last lines it printed */
  tail(): string;
  /** log lines at level error or worse */
  errors(): number;
  /** after collecting garbage (instance-probe.ts, on SIGUSR2) */
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

function instanceEnv(dataDir: string, databaseUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHRONO_DATA_DIR: dataDir, CHRONO_DATABASE_URL: databaseUrl, NODE_ENV: 'production', ...extra };
  delete env.NODE_OPTIONS;
  delete env.CHRONO_BASE_URL;
  return env;
}

function startInstance(name: string, dataDir: string, databaseUrl: string): Promise<Instance> {
  const probe = path.join(HERE, 'instance-probe.ts');
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', probe, 'server/index.ts'], {
    cwd: ROOT,
    env: instanceEnv(dataDir, databaseUrl, { PORT: '0', HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let tail = '';
  let partial = '';
  let errors = 0;
  let port: number | undefined;
  let memory: { n: number; value?: Memory } = { n: 0 };
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  void exited.then(() => children.delete(child));
  // every request is logged (pino-http, as in production): read it all, keep only a tail
  const onText = (text: string) => {
    tail = (tail + text).slice(-16_384);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (/"level":(50|60)/.test(line)) errors++;
      if (line.startsWith('{"benchMemory"')) memory = { n: memory.n + 1, value: (JSON.parse(line) as { benchMemory: Memory }).benchMemory };
      if (port === undefined && line.includes('Chrono listening on http://127.0.0.1:')) {
        try {
          port = (JSON.parse(line) as { port?: number }).port;
        } catch {
          // not JSON after all
        }
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', onText);
  child.stderr!.setEncoding('utf8').on('data', onText);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (alive()) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const readOnce = async (): Promise<Memory> => {
    const seen = memory.n;
    child.kill('SIGUSR2');
    if (!(await until(() => memory.n > seen, 10_000)) || !memory.value) throw new Error(`instance ${name} did not report its memory`);
    return memory.value;
  };
  // twice: pages the first collection freed are not always returned to the system at once
  const readMemory = async (): Promise<Memory> => {
    await readOnce();
    await sleep(500);
    return readOnce();
  };
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + 30_000;
    const poll = setInterval(() => {
      if (port !== undefined) {
        clearInterval(poll);
        resolve({ name, port, pid: child.pid!, tail: () => tail, errors: () => errors, memory: readMemory, stop });
      } else if (!alive() || performance.now() > deadline) {
        clearInterval(poll);
        void stop().then(() => reject(new Error(`instance ${name} did not start:\n${tail}`)));
      }
    }, 25);
  });
}

function runCli(args: string[], dataDir: string, databaseUrl: string, stdin = ''): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { cwd: ROOT, env: instanceEnv(dataDir, databaseUrl), stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, out });
    }),
  );
}

/** `chrono user add` (password on stdin) then `chrono token create`, against the database; the token. */
async function userWithToken(name: string, dataDir: string, databaseUrl: string): Promise<string> {
  const added = await runCli(['user', 'add', name, '--role', 'editor', '--password-stdin'], dataDir, databaseUrl, 'correct horse battery staple\n');
  if (added.code !== 0) throw new Error(`chrono user add failed (${added.code}): ${added.out}`);
  const created = await runCli(['token', 'create', name, '--label', 'bench'], dataDir, databaseUrl);
  const token = created.out.trim().split('\n').at(-1)?.trim();
  if (created.code !== 0 || !token?.startsWith('chrono_')) throw new Error(`chrono token create failed (${created.code}): ${created.out}`);
  return token;
}

// ---------- HTTP ----------

interface Answer {
  status: number;
  etag?: string;
  text: string;
  /** performance.now() when the request was sent, and when the whole answer was in */
  sent: number;
  done: number;
}

function call(agent: http.Agent, port: number, method: string, urlPath: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const sent = performance.now();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag, text, sent, done: performance.now() }));
        res.on('error', (e) => resolve({ status: 0, text: e.message, sent, done: performance.now() }));
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error('timed out after 15 s')));
    req.on('error', (e) => resolve({ status: 0, text: e.message, sent, done: performance.now() }));
    req.end(payload);
  });
}

const versionOf = (etag: string | undefined) => Number(/^"(\d+)"$/.exec(etag ?? '')?.[1] ?? NaN);

/** An SSE reader in this process (agent: false): when each edit, found by the `bench:<key>` marker in its title, arrived. */
class Reader {
  readonly arrivals = new Map<string, number>();
  /** event id → the bench key in the first message about it (undefined: it carried no key) */
  readonly firstAbout = new Map<string, string | undefined>();
  lastV = 0;
  messages = 0;
  refetches = 0;
  ended = false;
  #req: http.ClientRequest | undefined;

  static open(port: number, urlPath: string): Promise<Reader> {
    const reader = new Reader();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reader.close();
        reject(new Error(`SSE ${urlPath}: no answer within 10 s`));
      }, 10_000);
      reader.#req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: { Accept: 'text/event-stream' } }, (res) => {
        clearTimeout(timer);
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`SSE ${urlPath}: status ${res.statusCode}`));
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.once('data', () => resolve(reader));
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            reader.#message(buffer.slice(0, end), at);
            buffer = buffer.slice(end + 2);
          }
        });
        res.on('close', () => (reader.ended = true));
      });
      reader.#req.on('error', (e) => {
        clearTimeout(timer);
        reader.ended = true;
        reject(e);
      });
    });
  }

  #message(text: string, at: number): void {
    const id = /^id: (\d+)$/m.exec(text);
    const event = /^event: (\w+)$/m.exec(text)?.[1];
    if (event === 'refetch') this.refetches++;
    if (!id) return;
    this.messages++;
    this.lastV = Math.max(this.lastV, Number(id[1]));
    const data = /^data: (.*)$/m.exec(text)?.[1];
    const key = data ? /bench:(\w+)/.exec(data)?.[1] : undefined;
    if (key && !this.arrivals.has(key)) this.arrivals.set(key, at);
    const about = data ? /^\{"v":\d+,"kind":"[\w.]+","id":"([^"]+)"/.exec(data)?.[1] : undefined;
    if (about && !this.firstAbout.has(about)) this.firstAbout.set(about, key);
  }

  close(): void {
    this.#req?.destroy();
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
  return false;
}

// ---------- the section ----------

interface Setup {
  a: Instance;
  b: Instance;
  token: string;
  agents: { a: http.Agent; b: http.Agent };
  /** the 1,000-event story the readers follow (fan-out, streams) and the one the editors write (writes/s) */
  follow: { slug: string; ids: string[] };
  desk: { slug: string; ids: string[] };
}

export async function benchScaleOut(out: Rows, ctx: ScaleContext): Promise<void> {
  const bin = process.env.CHRONO_BENCH_DATABASE_URL ? undefined : findPgBin();
  if (!process.env.CHRONO_BENCH_DATABASE_URL && !bin) {
    out.push('Scale-out (PostgreSQL): SKIPPED: no PostgreSQL binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH, and no CHRONO_BENCH_DATABASE_URL');
    log('scale-out: skipped (no PostgreSQL binaries and no CHRONO_BENCH_DATABASE_URL)');
    return;
  }
  const began = performance.now();
  const dirs = path.join(ctx.root, 'scale');
  await mkdir(path.join(dirs, 'a'), { recursive: true });
  await mkdir(path.join(dirs, 'b'), { recursive: true });
  const instances: Instance[] = [];
  const agents = { a: new http.Agent({ keepAlive: true, maxSockets: 64 }), b: new http.Agent({ keepAlive: true, maxSockets: 64 }) };
  let drop: (() => Promise<void>) | undefined;
  let where: string;
  try {
    let adminUrl: string;
    if (process.env.CHRONO_BENCH_DATABASE_URL) {
      adminUrl = process.env.CHRONO_BENCH_DATABASE_URL;
      where = 'the server named by CHRONO_BENCH_DATABASE_URL';
    } else {
      log(`scale-out: starting a throwaway PostgreSQL ${bin!.version} cluster on 127.0.0.1${DURABLE ? '' : ' (fsync off)'}`);
      cluster = await startCluster(bin!, DURABLE);
      adminUrl = cluster.url;
      where = `a throwaway PostgreSQL ${bin!.version} cluster on 127.0.0.1 (${DURABLE ? 'fsync and synchronous_commit on' : 'fsync and synchronous_commit OFF'})`;
    }
    // a role that may not create databases gets its bench stories in its own database
    const fresh = await freshDatabase(adminUrl).catch(() => undefined);
    const databaseUrl = fresh?.url ?? adminUrl;
    drop = fresh?.drop;
    // with a database of someone else's, names that cannot collide with what is there
    const suffix = fresh ? '' : `-${Date.now().toString(36)}`;
    if (!fresh) where += ' (no CREATE DATABASE: its own database, bench stories and user added to it)';

    log(`scale-out: seeding two ${EVENTS_TEXT}-event stories; user and token with the CLI; starting A and B`);
    const seeder = await PgStore.open(databaseUrl, { max: 2 });
    const stories = { follow: `bench-follow${suffix}`, desk: `bench-desk${suffix}` };
    const ids: Record<string, string[]> = {};
    try {
      for (const slug of Object.values(stories)) {
        const { story, events } = ctx.makeStory(slug, EVENTS, slug);
        await seeder.createStory(story, events, 'bench');
        ids[slug] = events.map((e) => e.id);
      }
    } finally {
      await seeder.close();
    }
    const token = await userWithToken(`bench${suffix}`, path.join(dirs, 'a'), databaseUrl);
    const [a, b] = await Promise.all([startInstance('A', path.join(dirs, 'a'), databaseUrl), startInstance('B', path.join(dirs, 'b'), databaseUrl)]);
    instances.push(a, b);
    for (const i of [a, b]) {
      const ok = await until(async () => JSON.parse((await call(agents.a, i.port, 'GET', '/healthz')).text || '{}').listening === true, 10_000);
      if (!ok) throw new Error(`instance ${i.name} is not listening for changes:\n${i.tail()}`);
    }
    const setup: Setup = {
      a,
      b,
      token,
      agents,
      follow: { slug: stories.follow, ids: ids[stories.follow]! },
      desk: { slug: stories.desk, ids: ids[stories.desk]! },
    };
    const setupSeconds = (performance.now() - began) / 1000;

    out.push('');
    out.push(
      `Scale-out (PostgreSQL): instances A and B (server/index.ts, production, pool of 10 each) on one database of ${where}; ` +
        `${EVENTS_TEXT}-event stories; edits are PATCH /api/stories/:slug/events/:id with a bearer token and If-Match, sent by this process; setup ${setupSeconds.toFixed(1)} s`,
    );
    await benchFanout(setup, out);
    await benchWrites(setup, out);
    await benchStreams(setup, out);
    const errors = instances.map((i) => `${i.name} ${i.errors()}`).join(', ');
    out.push(`  error log lines: ${errors}; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs; section took ${((performance.now() - began) / 1000).toFixed(0)} s`);
  } finally {
    agents.a.destroy();
    agents.b.destroy();
    await Promise.all(instances.map((i) => i.stop()));
    await drop?.().catch((e: unknown) => log(`scale-out: could not drop the bench database: ${(e as Error).message}`));
    cluster?.stop();
    cluster = undefined;
    await rm(dirs, { recursive: true, force: true });
  }
}

function patchEvent(s: Setup, via: Instance, slug: string, id: string, version: number, title: string): Promise<Answer> {
  const agent = via === s.a ? s.agents.a : s.agents.b;
  return call(agent, via.port, 'PATCH', `/api/stories/${slug}/events/${encodeURIComponent(id)}`, { Authorization: `Bearer ${s.token}`, 'If-Match': `"${version}"` }, { title });
}

async function storyVersion(s: Setup, via: Instance, slug: string): Promise<number> {
  const r = await call(via === s.a ? s.agents.a : s.agents.b, via.port, 'GET', `/api/stories/${slug}`);
  if (r.status !== 200) throw new Error(`GET /api/stories/${slug} on ${via.name}: ${r.status} ${r.text.slice(0, 200)}`);
  return (JSON.parse(r.text) as { story: { version: number } }).story.version;
}

async function openReaders(s: Setup, slug: string, count: number): Promise<Reader[]> {
  const since = await storyVersion(s, s.a, slug);
  const readers = await Promise.all(Array.from({ length: count }, () => Reader.open(s.a.port, `/stories/${slug}/live?since=${since}`)));
  for (const r of readers) r.lastV = since;
  return readers;
}

// ---- 1. fan-out: a commit on B → readers on A ----

async function benchFanout(s: Setup, out: Rows): Promise<void> {
  const { slug, ids } = s.follow;
  const readers = await openReaders(s, slug, READERS);
  const versions = new Map<string, number>(ids.map((id) => [id, 1]));
  let n = 0;
  /** one edit through `via` of the next event in turn; its key is in the title */
  const edit = async (via: Instance, tag: string): Promise<{ key: string; id: string; r: Answer }> => {
    const key = `${tag}${n}`;
    const id = ids[n++ % Math.min(ids.length, 200)]!;
    const r = await patchEvent(s, via, slug, id, versions.get(id)!, `Mise à jour bench:${key} du récit`);
    if (r.status === 200) versions.set(id, versionOf(r.etag));
    return { key, id, r };
  };
  try {
    // warm-up: first renders of the live partials, first queries on every pooled connection
    for (let i = 0; i < 20; i++) {
      const { key } = await edit(i % 2 ? s.a : s.b, 'w');
      await until(() => readers.every((r) => r.arrivals.has(key)), 5000);
    }
    const run = async (via: Instance, rate: number, seconds: number, label: string) => {
      log(`scale-out: fan-out, ${rate} edit/s through ${via.name} for ${seconds} s, ${READERS} readers on A`);
      const count = rate * seconds;
      const sent: Promise<{ key: string; id: string; r: Answer }>[] = [];
      let inFlight = 0;
      let skipped = 0;
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        const wait = t0 + (i * 1000) / rate - performance.now();
        if (wait > 0) await sleep(wait);
        if (inFlight >= MAX_IN_FLIGHT) {
          skipped++;
          continue;
        }
        inFlight++;
        sent.push(edit(via, rate === 1 ? 's' : via === s.a ? 'l' : 'f').finally(() => inFlight--));
      }
      const edits = await Promise.all(sent);
      const ok = edits.filter((e) => e.r.status === 200);
      await until(() => readers.every((r) => ok.every((e) => r.arrivals.has(e.key))), 5000);
      const fromSent: number[] = [];
      const fromAnswer: number[] = [];
      let missed = 0;
      let stale = 0;
      for (const e of ok)
        for (const r of readers) {
          const at = r.arrivals.get(e.key);
          if (at === undefined) {
            missed++;
            // its change message came, but with the event as it was before this edit
            if (r.firstAbout.has(e.id) && r.firstAbout.get(e.id) !== e.key) stale++;
          } else {
            fromSent.push(at - e.r.sent);
            fromAnswer.push(at - e.r.done);
          }
        }
      const failed = edits.length - ok.length;
      const p99 = percentile(fromSent, 99);
      const notes = [
        `${fromSent.length}/${ok.length * readers.length} msgs`,
        stale ? `${stale} with the pre-edit event` : '',
        failed ? `${failed} edits failed` : '',
        skipped ? `${skipped} skipped` : '',
      ]
        .filter(Boolean)
        .join(', ');
      out.push(
        latencyRow(`[scale] ${label}: PATCH sent → reader on A`, fromSent, {
          value: notes,
          target: `p99 ≤ ${TARGET_FANOUT_P99_MS} ms (as live)`,
          result: passFail(p99 <= TARGET_FANOUT_P99_MS && missed === 0 && failed === 0 && skipped === 0),
        }),
      );
      out.push(latencyRow(`[scale]   PATCH on ${via.name}: sent → 200 answer`, ok.map((e) => e.r.done - e.r.sent)));
      out.push(latencyRow(`[scale]   ${via.name}'s 200 answer → reader on A`, fromAnswer));
    };
    out.push(`Fan-out: ${READERS} SSE readers on A (this process, agent: false); open loop, each edit a different event; B commits, A learns by LISTEN/NOTIFY and reads the change`);
    await run(s.b, 1, SLOW_SECONDS, '1 edit/s via B');
    await run(s.b, 10, FAST_SECONDS, '10 edits/s via B');
    await run(s.a, 10, FAST_SECONDS, '10 edits/s via A (same instance)');
    const ended = readers.filter((r) => r.ended).length;
    if (ended) out.push(`  ${ended} reader stream(s) ended during the fan-out runs`);
  } finally {
    for (const r of readers) r.close();
  }
}

// ---- 2. writes/s ----

interface WriteStats {
  ok: number;
  conflicts: number;
  other: Map<string, number>;
  okLatency: number[];
  /** hot case: from an edit's first attempt to its 200, re-reads and retries included */
  landed: number[];
  /** hot case: 200s per editor, and how long each editor's last edit had been trying when time ran out (0: none pending) */
  perEditor: number[];
  unlanded: number[];
  reads: number;
  seconds: number;
  lastOk: number;
}

async function benchWrites(s: Setup, out: Rows): Promise<void> {
  const { slug, ids } = s.desk;
  const readers = await openReaders(s, slug, READERS);
  const via = (k: number) => (k % 2 === 0 ? s.a : s.b);
  try {
    out.push(
      `Writes: ${EDITORS} editors (half through A, half through B; one keep-alive connection each), ${WRITE_SECONDS} s per case (≤ ${MAX_WRITES_PER_EDITOR} each), on another ${EVENTS_TEXT}-event story with ${READERS} readers on A`,
    );
    const tally = (stats: WriteStats, r: Answer) => {
      if (r.status === 200) {
        stats.ok++;
        stats.okLatency.push(r.done - r.sent);
        stats.lastOk = Math.max(stats.lastOk, r.done);
      } else if (r.status === 412) stats.conflicts++;
      else {
        const why = `${r.status}${r.status ? '' : ` ${r.text}`}`;
        stats.other.set(why, (stats.other.get(why) ?? 0) + 1);
      }
    };
    const newStats = (): WriteStats => ({ ok: 0, conflicts: 0, other: new Map(), okLatency: [], landed: [], perEditor: [], unlanded: [], reads: 0, seconds: 0, lastOk: 0 });
    const editorAgents = Array.from({ length: EDITORS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const patch = (k: number, id: string, version: number, title: string) =>
      call(editorAgents[k]!, via(k).port, 'PATCH', `/api/stories/${slug}/events/${encodeURIComponent(id)}`, { Authorization: `Bearer ${s.token}`, 'If-Match': `"${version}"` }, { title });
    const read = async (k: number, id: string): Promise<number> => versionOf((await call(editorAgents[k]!, via(k).port, 'GET', `/api/stories/${slug}/events/${encodeURIComponent(id)}`)).etag);

    /** waits for A's readers to have `target`; ms from `from` (performance.now()) until they all do */
    const catchUp = async (target: number, from: number) => {
      const ok = await until(() => readers.every((r) => r.lastV >= target || r.ended), 20_000);
      return ok ? performance.now() - from : NaN;
    };
    const report = async (label: string, stats: WriteStats, before: number, hot: boolean) => {
      const after = await storyVersion(s, s.a, slug);
      const lag = await catchUp(after, stats.lastOk);
      const attempts = stats.ok + stats.conflicts + [...stats.other.values()].reduce((x, y) => x + y, 0);
      const other = [...stats.other].map(([k, v]) => `${v}× ${k}`).join(', ');
      out.push(
        latencyRow(`[writes] ${label}: 200 answers`, stats.okLatency, {
          value: `${(stats.ok / stats.seconds).toFixed(1)} writes/s${hot ? `, ${pct(stats.conflicts / Math.max(1, stats.ok + stats.conflicts))} 412` : ''}`,
          target: '',
        }),
      );
      out.push({
        name: `[writes]   ${label}: attempts`,
        n: attempts,
        value: `${stats.ok}× 200, ${stats.conflicts}× 412${other ? `, ${other}` : ''}${hot ? `; ${stats.reads} re-reads` : ''}; ${(attempts / stats.seconds).toFixed(1)}/s`,
      });
      if (hot) {
        const stuck = stats.unlanded.filter((t) => t > 0);
        out.push(latencyRow(`[writes]   ${label}: edit landed (412s + re-reads included)`, stats.landed, { value: `${stuck.length} still trying at the end` }));
        const never = stats.perEditor.filter((n) => n === 0).length;
        out.push({
          name: `[writes]   ${label}: 200s per editor`,
          n: stats.perEditor.length,
          value: `${[...stats.perEditor].sort((x, y) => y - x).join(' ')}${never ? `; ${never} landed nothing, trying for up to ${Math.max(...stuck).toFixed(0)} ms` : ''}`,
        });
      }
      const versionsOk = after - before === stats.ok;
      const behind = readers.map((r) => after - r.lastV).filter((x) => x > 0);
      out.push({
        name: `[writes]   readers on A: last 200 → have every change`,
        value: Number.isFinite(lag) ? `${lag.toFixed(0)} ms` : `NOT caught up in 20 s (${behind.join('/')} behind)`,
        result: versionsOk ? '' : `story +${after - before} ≠ ${stats.ok} writes`,
      });
    };

    // (a) uncontended: editor k edits its own event, with the ETag of its last write
    log(`scale-out: writes, ${EDITORS} editors each on its own event for ${WRITE_SECONDS} s`);
    {
      const before = await storyVersion(s, s.a, slug);
      const stats = newStats();
      const t0 = performance.now();
      const end = t0 + WRITE_SECONDS * 1000;
      await Promise.all(
        Array.from({ length: EDITORS }, async (_, k) => {
          const id = ids[k]!;
          let version = 1;
          for (let i = 0; i < MAX_WRITES_PER_EDITOR && performance.now() < end; i++) {
            const r = await patch(k, id, version, `Édition bench:u${k}x${i}`);
            tally(stats, r);
            version = r.status === 200 ? versionOf(r.etag) : await read(k, id);
          }
        }),
      );
      stats.seconds = (performance.now() - t0) / 1000;
      await report('own event each', stats, before, false);
    }

    // (b) the hot story: everyone on one event; a 412 means re-read it (GET, its ETag) and try again
    log(`scale-out: writes, ${EDITORS} editors on one event with If-Match for ${WRITE_SECONDS} s`);
    {
      const before = await storyVersion(s, s.a, slug);
      const stats = newStats();
      const id = ids[EDITORS]!;
      const t0 = performance.now();
      const end = t0 + WRITE_SECONDS * 1000;
      await Promise.all(
        Array.from({ length: EDITORS }, async (_, k) => {
          let version = await read(k, id);
          let first = performance.now();
          let pending = false;
          stats.perEditor[k] = 0;
          for (let i = 0; i < MAX_WRITES_PER_EDITOR && performance.now() < end; i++) {
            pending = true;
            const r = await patch(k, id, version, `Édition bench:h${k}x${i}`);
            tally(stats, r);
            if (r.status === 200) {
              stats.landed.push(r.done - first);
              stats.perEditor[k]++;
              pending = false;
              version = versionOf(r.etag);
              first = performance.now();
            } else {
              stats.reads++;
              version = await read(k, id);
            }
          }
          stats.unlanded[k] = pending ? performance.now() - first : 0;
        }),
      );
      stats.seconds = (performance.now() - t0) / 1000;
      await report('one hot event', stats, before, true);
    }
    for (const agent of editorAgents) agent.destroy();
    const refetches = readers.reduce((x, r) => x + r.refetches, 0);
    const ended = readers.filter((r) => r.ended).length;
    if (refetches || ended) out.push(`  readers on A: ${refetches} refetch messages, ${ended} streams ended`);
  } finally {
    for (const r of readers) r.close();
  }
}

// ---- 3. open streams on one instance ----

function request<M extends { type: string }, T extends M['type']>(child: ChildProcess, message: unknown, reply: T, timeoutMs: number): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.off('message', on);
      child.off('exit', onExit);
    };
    const on = (m: M) => {
      if (m.type === reply) {
        done();
        resolve(m as Extract<M, { type: T }>);
      }
    };
    const onExit = () => {
      done();
      reject(new Error(`the SSE client process exited while waiting for ${reply}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${reply} reply within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', on);
    child.once('exit', onExit);
    child.send(message as never);
  });
}

async function streamsOn(s: Setup, instance: Instance): Promise<number> {
  const r = await call(s.agents.a, instance.port, 'GET', '/healthz');
  return (JSON.parse(r.text || '{}') as { streams?: number }).streams ?? NaN;
}

async function startClients(): Promise<ChildProcess> {
  const child = fork(path.join(HERE, 'sse-clients.ts'), [], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  await request<FromClients, 'pong'>(child, { type: 'ping' } satisfies ToClients, 'pong', 30_000);
  return child;
}

function closeClients(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      children.delete(child);
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', done);
    child.send({ type: 'close' } satisfies ToClients);
    setTimeout(() => child.kill(), 5000).unref();
  });
}

/** RSS of A with `count` streams of `urlPath` opened by a client process that then goes away: the heap an opening burst grows. */
async function openAndClose(s: Setup, urlPath: string, count: number): Promise<void> {
  const child = await startClients();
  try {
    await request<FromClients, 'opened'>(child, { type: 'open', port: s.a.port, path: urlPath, count, parallel: 50, timeoutMs: 10_000 } satisfies ToClients, 'opened', 30_000);
  } finally {
    await closeClients(child);
  }
  await until(async () => (await streamsOn(s, s.a)) === 0, 5000);
}

async function benchStreams(s: Setup, out: Rows): Promise<void> {
  const { slug, ids } = s.follow;
  const since = await storyVersion(s, s.b, slug);
  const live = `/stories/${slug}/live?since=${since}`;
  await until(async () => (await streamsOn(s, s.a)) === 0, 5000);
  const cold = await s.a.memory();
  // Each open reads (and parses) the whole story: open and close a warm-up burst first, so that
  // the burst's garbage and the code it warms up are not counted as the streams' own memory.
  log(`scale-out: ${WARM_STREAMS} warm-up streams on A, opened and closed`);
  await openAndClose(s, live, WARM_STREAMS);
  const before = await s.a.memory();
  const memB = await s.b.memory();
  log(`scale-out: a client process opens ${STREAMS} SSE streams on A`);
  const clients = await startClients();
  try {
    const opened = await request<FromClients, 'opened'>(
      clients,
      { type: 'open', port: s.a.port, path: live, count: STREAMS, parallel: 50, timeoutMs: 10_000 } satisfies ToClients,
      'opened',
      60_000,
    );
    await until(async () => (await streamsOn(s, s.a)) >= opened.open, 10_000);
    const counted = await streamsOn(s, s.a);
    const after = await s.a.memory();
    log(`scale-out: ${opened.open} open (${opened.failed} failed${opened.errors.length ? `: ${opened.errors.join('; ')}` : ''}) in ${opened.ms.toFixed(0)} ms; A counts ${counted}`);

    // a few edits through B, one at a time: each waits until every stream on A has it (at most 5 s)
    const versions = new Map<string, number>();
    const starts = new Map<number, number>();
    const lastStream: number[] = [];
    let incomplete = 0;
    let v = since;
    const deadline = performance.now() + 60_000;
    for (let i = 0; i < STREAM_EDITS && performance.now() < deadline; i++) {
      const id = ids[200 + i]!;
      const start = epochMs();
      const r = await patchEvent(s, s.b, slug, id, versions.get(id) ?? 1, `Mise à jour bench:m${i} pour tous`);
      if (r.status !== 200) throw new Error(`PATCH through B: ${r.status} ${r.text.slice(0, 200)}`);
      versions.set(id, versionOf(r.etag));
      starts.set(++v, start);
      const done = await request<FromClients, 'complete'>(clients, { type: 'watch', v } satisfies ToClients, 'complete', 5000).catch(() => undefined);
      if (done) lastStream.push(done.at - start);
      else incomplete++;
      await sleep(50);
    }
    const report = await request<FromClients, 'report'>(clients, { type: 'report' } satisfies ToClients, 'report', 30_000);
    const received: number[] = [];
    for (const [version, start] of starts) for (const t of report.arrivals[String(version)] ?? []) received.push(t - start);
    const expected = starts.size * opened.open;
    const afterEdits = await s.a.memory();

    out.push(
      `Open streams: ${STREAMS} SSE readers of the ${EVENTS_TEXT}-event story on A from one client process (sse-clients.ts, agent: false, 50 opening at a time), after ${WARM_STREAMS} opened and closed; memory after GC (instance-probe.ts)`,
    );
    out.push({
      name: `[streams] open ${STREAMS} on A`,
      n: opened.open,
      value: `${(opened.ms / 1000).toFixed(2)} s, ${(opened.open / (opened.ms / 1000)).toFixed(0)}/s${opened.failed ? `, ${opened.failed} failed (${opened.errors.join('; ')})` : ''}; A counts ${counted}`,
      result: opened.open === STREAMS ? '' : 'FAIL',
    });
    const perStream = (x: number) => kib(x / Math.max(1, opened.open));
    out.push({
      name: '[streams] A RSS (after GC): before → with streams',
      value: `${mib(before.rss)} → ${mib(after.rss)} (${mib(afterEdits.rss)} after the edits; ${mib(cold.rss)} before the warm-up)${before.gc ? '' : ' NO GC'}`,
    });
    out.push({ name: '[streams] memory per open stream (RSS / JS heap delta)', value: `${perStream(after.rss - before.rss)} / ${perStream(after.heapUsed - before.heapUsed)}` });
    out.push({ name: '[streams] B RSS (no readers), for reference', value: mib(memB.rss) });
    out.push(
      latencyRow(`[streams] PATCH via B → received, ${opened.open} streams on A`, received, {
        value: `${received.length}/${expected} msgs`,
        target: `p99 ≤ ${TARGET_FANOUT_P99_MS} ms (as live)`,
        result: passFail(percentile(received, 99) <= TARGET_FANOUT_P99_MS && received.length === expected && opened.open === STREAMS),
      }),
    );
    out.push(latencyRow('[streams] PATCH via B → last stream received (per edit)', lastStream, { value: incomplete ? `${incomplete} incomplete` : '' }));
    if (report.dropped) out.push(`  ${report.dropped} streams dropped during the edits`);
  } finally {
    await closeClients(clients);
  }
}
