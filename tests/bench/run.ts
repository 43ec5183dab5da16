// `npm run bench`: append latency through StoryService + LowdbStore (real files, real fsync)
// and chronology page render time / throughput through the real Express app.
// Everything lives in a temp dir under os.tmpdir(), removed at the end; only 127.0.0.1 is used.
//
// Knobs (environment): BENCH_APPENDS (per 1,000-event case, default 200),
// BENCH_APPENDS_10K (default 100), BENCH_OTHER_STORIES (default 100), BENCH_LOAD_SECONDS (default 3).
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { slugify } from '../../server/domain/ids.js';
import type { ChronoEvent, Story } from '../../server/domain/types.js';
import { validateEvent } from '../../server/domain/validate.js';
import { systemClock } from '../../server/services/clock.js';
import { StoryService } from '../../server/services/stories.js';
import { DurableJSONFile } from '../../server/storage/durable-json-file.js';
import { LowdbStore } from '../../server/storage/lowdb-store.js';
import type { FromServer, ToServer } from './page-server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEMO = JSON.parse(await readFile(path.join(HERE, '../../data/demo-story.json'), 'utf8')) as {
  events: Array<Partial<ChronoEvent> & { title: string; body: string; date: string }>;
};

const int = (name: string, fallback: number) => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};
const APPENDS = int('BENCH_APPENDS', 200);
const APPENDS_10K = int('BENCH_APPENDS_10K', 100);
const OTHER_STORIES = int('BENCH_OTHER_STORIES', 100);
const LOAD_SECONDS = int('BENCH_LOAD_SECONDS', 3);
const BLOCKS = 10; // (a) and (b) alternate in this many blocks
const WARMUP = 5;
const CONCURRENCY = 10;
const SEQUENTIAL = 50;
const ZONE = 'Europe/Paris';
const TARGET_P50_MS = 10;
const TARGET_RATIO = 1.5;

// ---------- statistics and output ----------

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
const median = (s: readonly number[]) => percentile(s, 50);
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const passFail = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

type Row = { name: string; n?: number; p50?: number; p99?: number; max?: number; value?: string; target?: string; result?: string };

function latencyRow(name: string, samples: readonly number[], extra: Partial<Row> = {}): Row {
  return { name, n: samples.length, p50: median(samples), p99: percentile(samples, 99), max: Math.max(...samples), ...extra };
}

function printTable(rows: readonly (Row | string)[]): void {
  const header = ['Measurement', 'n', 'p50 ms', 'p99 ms', 'max ms', 'Value', 'Target', 'Result'];
  const right = [false, true, true, true, true, true, false, false];
  const cells = rows.map((r) =>
    typeof r === 'string'
      ? r
      : [r.name, r.n?.toString() ?? '', r.p50 === undefined ? '' : ms(r.p50), r.p99 === undefined ? '' : ms(r.p99),
         r.max === undefined ? '' : ms(r.max), r.value ?? '', r.target ?? '', r.result ?? ''],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (typeof c === 'string' ? 0 : c[i]!.length))));
  const line = (c: readonly string[]) => c.map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  console.log(line(header));
  console.log(rule);
  for (const c of cells) console.log(typeof c === 'string' ? (c === '' ? '' : `-- ${c}`) : line(c));
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// ---------- data ----------

function dayString(offsetDays: number): string {
  return new Date(Date.UTC(2015, 0, 1) + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** A valid event modelled on the demo story, on day ⌊i/3⌋; every 4th event has a (daytime) time of day. */
function makeEvent(i: number, at: string, tag: string): ChronoEvent {
  const t = DEMO.events[i % DEMO.events.length]!;
  const day = Math.floor(i / 3);
  const date = i % 4 === 0 ? `${dayString(day)}T${String(9 + (i % 11)).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}` : dayString(day);
  const event: ChronoEvent = {
    id: `${slugify(t.title, 60)}-${i + 1}`,
    date,
    timeZone: t.timeZone && date.length > 10 ? t.timeZone : ZONE,
    approximate: i % 17 === 0,
    title: `${t.title} (${tag} ${i + 1})`.slice(0, 200),
    body: t.body,
    sources: t.sources ?? [],
    tags: t.tags ?? [],
    importance: t.importance ?? 'normal',
    verification: t.verification ?? 'confirmed',
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  if (t.endDate && date.length === 10) event.endDate = dayString(day + 1);
  return event;
}

function makeStory(slug: string, eventCount: number, tag: string): { story: Story; events: ChronoEvent[] } {
  const at = new Date().toISOString();
  const story: Story = {
    slug,
    title: `Bench story ${tag}`,
    summary: 'Generated by tests/bench/run.ts.',
    language: 'fr',
    timeZone: ZONE,
    status: 'developing',
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const events = Array.from({ length: eventCount }, (_, i) => makeEvent(i, at, tag));
  return { story, events };
}

/** What a newsroom client would POST: no id (the service derives it from the title), no bookkeeping. */
function appendInput(n: number): Record<string, unknown> {
  const t = DEMO.events[n % DEMO.events.length]!;
  return {
    date: `${dayString(4000 + Math.floor(n / 5))}T${String(8 + (n % 12)).padStart(2, '0')}:${String((n * 13) % 60).padStart(2, '0')}`,
    title: `Mise à jour ${n} : ${t.title}`.slice(0, 200),
    body: t.body,
    sources: t.sources ?? [],
    tags: t.tags ?? [],
    importance: n % 10 === 0 ? 'key' : 'normal',
    verification: 'confirmed',
  };
}

/** Creates the stories in `dir` (one createStory write each), then reopens the directory as the server would. */
async function seed(dir: string, stories: Array<{ slug: string; events: number; tag: string }>): Promise<LowdbStore> {
  const builder = await LowdbStore.open(dir);
  for (const s of stories) {
    const { story, events } = makeStory(s.slug, s.events, s.tag);
    await builder.createStory(story, events);
  }
  await builder.close();
  return LowdbStore.open(dir);
}

// ---------- append benchmark ----------

class Appender {
  readonly service: StoryService;
  readonly samples: number[] = [];
  #n = 0;
  constructor(readonly store: LowdbStore, readonly slug: string) {
    this.service = new StoryService({ store, clock: systemClock });
  }
  async run(count: number, record = true): Promise<void> {
    for (let i = 0; i < count; i++) {
      const input = appendInput(this.#n++);
      const start = performance.now();
      await this.service.appendEvent(this.slug, input);
      const elapsed = performance.now() - start;
      if (record) this.samples.push(elapsed);
    }
  }
}

// ---------- page benchmark ----------

let pageChild: ChildProcess | undefined;

function startPageServer(dataDir: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  // Same runtime flags as this process (tsx's loader), so the child runs TypeScript too.
  const child = fork(path.join(HERE, 'page-server.ts'), [dataDir], { execArgv: process.execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('page server did not start within 30 s')), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`page server exited early (code ${code})`)));
    child.on('message', (m: FromServer) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({ child, port: m.port });
      }
    });
  });
}

function ask<T extends FromServer['type']>(child: ChildProcess, message: ToServer, reply: T): Promise<Extract<FromServer, { type: T }>> {
  return new Promise((resolve) => {
    const on = (m: FromServer) => {
      if (m.type === reply) {
        child.off('message', on);
        resolve(m as Extract<FromServer, { type: T }>);
      }
    };
    child.on('message', on);
    child.send(message);
  });
}

interface Fetched {
  status: number;
  bytes: number;
  ms: number;
  body?: string;
}

function get(agent: http.Agent, port: number, urlPath: string, keepBody = false): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent, headers: { Accept: 'text/html' } }, (res) => {
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keepBody) chunks.push(c);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - start, body: keepBody ? Buffer.concat(chunks).toString('utf8') : undefined }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function benchPage(dataDir: string, url: string, label: string, env: NodeJS.ProcessEnv, out: (Row | string)[]): Promise<void> {
  log(`page (${label}): starting the server (child process)`);
  const { child, port } = await startPageServer(dataDir, env);
  pageChild = child;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const first = await get(agent, port, url, true);
    const articles = first.body?.match(/<article id="/g)?.length ?? 0;
    if (first.status !== 200 || articles !== 1000) throw new Error(`GET ${url}: status ${first.status}, ${articles} events rendered (expected 200, 1000)`);
    for (let i = 0; i < 5; i++) await get(agent, port, url);
    await ask(child, { type: 'take' }, 'times');

    // Sequential: one request at a time (at most SEQUENTIAL, at most 15 s); server time comes from the child.
    log(`page (${label}): up to ${SEQUENTIAL} sequential requests`);
    const sequential: number[] = [];
    const deadline = performance.now() + 15_000;
    for (let i = 0; i < SEQUENTIAL && performance.now() < deadline; i++) sequential.push((await get(agent, port, url)).ms);
    const serverTimes = (await ask(child, { type: 'take' }, 'times')).times;

    // Load: CONCURRENCY clients start requests for LOAD_SECONDS (and at most 50,000 in all).
    log(`page (${label}): ${CONCURRENCY} concurrent clients for ${LOAD_SECONDS} s`);
    const loaded: number[] = [];
    let failures = 0;
    const loadStart = performance.now();
    const loadEnd = loadStart + LOAD_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < loadEnd && loaded.length + failures < 50_000) {
          const r = await get(agent, port, url);
          if (r.status === 200) loaded.push(r.ms);
          else failures++;
        }
      }),
    );
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const loadServerTimes = (await ask(child, { type: 'take' }, 'times')).times;
    const rps = loaded.length / loadSeconds;

    out.push(latencyRow(`[${label}] server render (request → res.end)`, serverTimes));
    out.push(latencyRow(`[${label}] client latency, sequential`, sequential));
    out.push(latencyRow(`[${label}] server render, ${CONCURRENCY} concurrent`, loadServerTimes));
    out.push(
      latencyRow(`[${label}] client latency, ${CONCURRENCY} concurrent`, loaded, {
        value: `${rps.toFixed(1)} req/s${failures ? ` (${failures} failed)` : ''}`,
      }),
    );
    out.push({ name: `[${label}] page size`, value: kib(first.bytes) });
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.send({ type: 'close' } satisfies ToServer);
      setTimeout(() => child.kill(), 5000).unref();
    });
    pageChild = undefined;
  }
}

// ---------- main ----------

const ROOT = await mkdtemp(path.join(os.tmpdir(), 'chrono-bench-'));
const onSignal = () => {
  pageChild?.kill();
  rmSync(ROOT, { recursive: true, force: true });
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

const rows: (Row | string)[] = [];
const began = performance.now();
const stores: LowdbStore[] = [];

try {
  // Sanity: the generated events pass the real validation (a sample; createStory skips it).
  const probe = makeStory('probe', 10_000, 'probe');
  for (let i = 0; i < probe.events.length; i += 37) {
    const { id, createdAt, updatedAt, version, ...input } = probe.events[i]!;
    validateEvent({ ...input, id }, probe.story);
  }

  const TARGET = 'target';
  const dirA = path.join(ROOT, 'lone');
  const dirB = path.join(ROOT, 'crowded');
  const dirC = path.join(ROOT, 'big');
  const dirPage = path.join(ROOT, 'page');
  const dirFloor = path.join(ROOT, 'floor');

  log(`data under ${ROOT}`);
  log('seeding (a): one 1,000-event story');
  const storeA = await seed(dirA, [{ slug: TARGET, events: 1000, tag: 'a' }]);
  stores.push(storeA);
  log(`seeding (b): ${OTHER_STORIES} other 1,000-event stories + the 1,000-event target`);
  const storeB = await seed(dirB, [
    ...Array.from({ length: OTHER_STORIES }, (_, i) => ({ slug: `other-${i + 1}`, events: 1000, tag: `o${i + 1}` })),
    { slug: TARGET, events: 1000, tag: 'b' },
  ]);
  stores.push(storeB);
  if ((await storeB.listStories()).length !== OTHER_STORIES + 1) throw new Error('crowded store did not reopen with every story');
  const fileSize1k = (await stat(path.join(dirA, 'stories', `${TARGET}.json`))).size;

  // (a)/(b), plus a disk floor (a durable write of a tiny file), in alternating blocks.
  const a = new Appender(storeA, TARGET);
  const b = new Appender(storeB, TARGET);
  const floorFile = new DurableJSONFile<{ n: number; pad: string }>(path.join(dirFloor, 'floor.json'));
  await mkdir(dirFloor, { recursive: true });
  const floor: number[] = [];
  const floorWrites = async (count: number, record: boolean) => {
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await floorFile.write({ n: i, pad: 'x'.repeat(1000) });
      if (record) floor.push(performance.now() - start);
    }
  };
  await a.run(WARMUP, false);
  await b.run(WARMUP, false);
  await floorWrites(WARMUP, false);
  const perBlock = Math.ceil(APPENDS / BLOCKS);
  log(`appends (a)/(b): ${BLOCKS} alternating blocks of ${perBlock}`);
  for (let block = 0; block < BLOCKS; block++) {
    const order = block % 2 === 0 ? [a, b] : [b, a];
    for (const appender of order) await appender.run(perBlock);
    await floorWrites(5, true);
  }

  log('seeding (c): one 10,000-event story');
  const storeC = await seed(dirC, [{ slug: TARGET, events: 10_000, tag: 'c' }]);
  stores.push(storeC);
  const fileSize10k = (await stat(path.join(dirC, 'stories', `${TARGET}.json`))).size;
  const c = new Appender(storeC, TARGET);
  await c.run(3, false);
  log(`appends (c): ${APPENDS_10K}`);
  await c.run(APPENDS_10K);

  const p50a = median(a.samples);
  const p50b = median(b.samples);
  const ratio = p50b / p50a;
  const target1 = `append p50 ≤ ${TARGET_P50_MS} ms at 1,000 events`;
  rows.push(`Append via StoryService.appendEvent → LowdbStore (fsync); 1,000-event file ≈ ${kib(fileSize1k)}, 10,000-event ≈ ${kib(fileSize10k)}`);
  rows.push(latencyRow('(a) 1,000-event story, alone in data dir', a.samples, { target: target1, result: passFail(p50a <= TARGET_P50_MS) }));
  rows.push(
    latencyRow(`(b) 1,000-event story + ${OTHER_STORIES} × 1,000-event stories`, b.samples, { target: target1, result: passFail(p50b <= TARGET_P50_MS) }),
  );
  rows.push({
    name: 'ratio (b)/(a) of p50',
    value: `${ratio.toFixed(2)}×`,
    target: `with/without other stories ratio ≤ ${TARGET_RATIO}`,
    result: passFail(ratio <= TARGET_RATIO),
  });
  rows.push(latencyRow('(c) 10,000-event story, alone', c.samples));
  rows.push(latencyRow('disk floor: durable write of a 1 KiB file', floor, { value: 'reference' }));

  for (const s of stores.splice(0)) await s.close();

  // ---------- page ----------
  log('seeding the page story: 1,000 events');
  await (await seed(dirPage, [{ slug: TARGET, events: 1000, tag: 'page' }])).close();
  rows.push('');
  rows.push(`GET /stories/:slug, 1,000 events, the composed app (as npm start) in a child process on 127.0.0.1`);
  await benchPage(dirPage, `/stories/${TARGET}`, 'page', process.env, rows);
} finally {
  for (const s of stores) await s.close();
  await rm(ROOT, { recursive: true, force: true });
}

console.log('');
console.log(`Chrono benchmark — Node ${process.version}, ${os.platform()} ${os.arch()}, ${os.cpus().length} CPUs, temp data in ${os.tmpdir()}`);
console.log(`medians of alternating (a)/(b) blocks; total ${((performance.now() - began) / 1000).toFixed(0)} s`);
console.log('');
printTable(rows);
process.removeListener('SIGINT', onSignal);
process.removeListener('SIGTERM', onSignal);
// Everything is closed; if a handle still leaks, say so rather than hang.
setTimeout(() => {
  console.error('[bench] a handle kept the process alive; exiting');
  process.exit(0);
}, 2000).unref();
