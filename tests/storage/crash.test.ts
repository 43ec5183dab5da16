// Crash durability: a child process appends events in a loop and reports each append only
// after the store acknowledged it; we SIGKILL it at a random moment and check that every
// acknowledged append is on disk and that the story file still opens.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LowdbStore } from '../../server/storage/lowdb-store.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = path.join(ROOT, 'tests', 'fixtures', 'append-loop.ts');
const SLUG = 'crash-test'; // the fixture's story
const ROUNDS = 25;
const MIN_ACKS_BEFORE_KILL = 3;

interface Run {
  child: ChildProcess;
  acked: string[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `n` appends were acknowledged; rejects if the child exits first. */
  acks(n: number): Promise<void>;
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not for the child
  return env;
}

function startChild(dataDir: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let pending = '';
  let stderr = '';
  const waiters: { n: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  const settle = () => {
    for (const w of [...waiters]) {
      if (acked.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!; // only whole lines count: a torn last line was never fully reported
    for (const line of lines) if (line) acked.push(line);
    settle();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`child exited (code ${code}, signal ${signal}) after ${acked.length} acks:\n${stderr}`));
      resolve({ code, signal });
    }),
  );
  return {
    child,
    acked,
    stderr: () => stderr,
    exited,
    acks: (n) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ n, resolve, reject });
        settle();
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LowdbStore crash durability (SIGKILL during appends)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'chrono-crash-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test(`every acknowledged append survives a SIGKILL, ${ROUNDS} rounds`, async () => {
    const everAcked: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const run = startChild(dataDir);
      try {
        await run.acks(MIN_ACKS_BEFORE_KILL);
        await sleep(Math.floor(Math.random() * 151));
      } finally {
        run.child.kill('SIGKILL');
      }
      const { signal } = await run.exited;
      expect(signal).toBe('SIGKILL'); // killed by us, not died on its own
      const acked = [...run.acked]; // nothing can arrive after 'close'
      expect(acked.length).toBeGreaterThanOrEqual(MIN_ACKS_BEFORE_KILL);
      everAcked.push(...acked);

      const store = await LowdbStore.open(dataDir); // throws if the story file is torn
      try {
        const record = await store.getStory(SLUG);
        expect(record).toBeDefined();
        const onDisk = new Set(record!.events.map((e) => e.id));
        expect(onDisk.size).toBe(record!.events.length); // no duplicated ids
        expect(record!.story.version).toBe(record!.events.length + 1); // created at 1, +1 per append
        const lost = everAcked.filter((id) => !onDisk.has(id));
        expect({ round, lost }).toEqual({ round, lost: [] });
        // this run's acknowledged appends are on disk in the order they were made
        const ackedNow = new Set(acked);
        expect(record!.events.map((e) => e.id).filter((id) => ackedNow.has(id))).toEqual(acked);
      } finally {
        await store.close();
      }
      // the only file a crash may leave besides the story is the write's temp file
      const leftovers = (await readdir(path.join(dataDir, 'stories'))).filter((f) => f !== `${SLUG}.json` && f !== `.${SLUG}.json.tmp`);
      expect(leftovers).toEqual([]);
    }
    expect(everAcked.length).toBeGreaterThanOrEqual(ROUNDS * MIN_ACKS_BEFORE_KILL);
  }, 120_000);
});
