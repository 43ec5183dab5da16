// One process owns a data directory: a second server on the same directory must refuse to
// start and say why, the owner must release its lock on SIGTERM, and a lock left behind by a
// process that no longer runs must not stop the next start.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryLockedError, lockDirectory } from '../../server/storage/dir-lock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO_SLUG = (JSON.parse(readFileSync(path.join(ROOT, 'data', 'demo-story.json'), 'utf8')) as { story: { slug: string } }).story.slug;
const START_TIMEOUT = 20_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ServerProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  exit: Exit | undefined;
}

const started: ServerProcess[] = [];

function serverEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', CHRONO_DATA_DIR: dataDir, NODE_ENV: 'production' };
  // production logs at info, so the "Chrono listening on" line (with the port) shows
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not for the server
  delete env.CHRONO_BASE_URL;
  return env;
}

function startServer(dataDir: string): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], { cwd: ROOT, env: serverEnv(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const proc: ServerProcess = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exit: undefined,
    exited: new Promise<Exit>((resolve) =>
      child.on('close', (code, signal) => {
        proc.exit = { code, signal };
        resolve(proc.exit);
      }),
    ),
  };
  started.push(proc);
  return proc;
}

function describeProcess(proc: ServerProcess): string {
  return `exit ${JSON.stringify(proc.exit)}\n--- stdout\n${proc.stdout()}\n--- stderr\n${proc.stderr()}`;
}

async function waitFor<T>(what: string, proc: ServerProcess, check: () => T | undefined, timeout = START_TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (proc.exit) throw new Error(`the server exited while waiting for ${what}\n${describeProcess(proc)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${describeProcess(proc)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits for the JSON log line "Chrono listening on http://127.0.0.1:<port>" and returns the port. */
function listening(proc: ServerProcess): Promise<number> {
  return waitFor('"Chrono listening on"', proc, () => {
    for (const line of proc.stdout().split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg?.startsWith('Chrono listening on http://127.0.0.1:') && typeof entry.port === 'number') return entry.port;
    }
    return undefined;
  });
}

async function exitOf(proc: ServerProcess, timeout = START_TIMEOUT): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server did not exit\n${describeProcess(proc)}`)), timeout);
  });
  try {
    return await Promise.race([proc.exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function getJson(port: number, pathname: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`);
  return { status: res.status, body: await res.json() };
}

/** A PID that certainly belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  const pid = child.pid!;
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  return pid;
}

const lockFileOf = (dataDir: string) => path.join(dataDir, 'chrono.lock');
const lockOwner = async (dataDir: string) => Number((await readFile(lockFileOf(dataDir), 'utf8')).trim());

let dataDir: string;

beforeEach(async () => {
  // realpath: the server resolves CHRONO_DATA_DIR, so messages name this exact path
  dataDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'chrono-lock-')));
});

afterEach(async () => {
  for (const proc of started.splice(0)) {
    if (!proc.exit) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('lockDirectory', () => {
  test('creates the directory and a lock file holding the PID; release removes it', async () => {
    const dir = path.join(dataDir, 'nested', 'data');
    const lock = lockDirectory(dir);
    expect(await lockOwner(dir)).toBe(process.pid);
    lock.release();
    expect(existsSync(lockFileOf(dir))).toBe(false);
    lock.release(); // twice is harmless
  });

  test('a lock held by a running process is refused with DirectoryLockedError', async () => {
    const lock = lockDirectory(dataDir); // held by this (running) process
    const otherPid = await deadPid(); // any PID other than ours
    let error: unknown;
    try {
      lockDirectory(dataDir, otherPid);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DirectoryLockedError);
    expect(error).toMatchObject({ dir: dataDir, pid: process.pid });
    expect((error as Error).message).toContain(`The data directory ${dataDir} is in use by another Chrono process (PID ${process.pid})`);
    expect((error as Error).message).toContain(lockFileOf(dataDir));
    expect(await lockOwner(dataDir)).toBe(process.pid); // the refused attempt left the lock alone
    lock.release();
  });

  test('a lock left by a process that no longer runs is taken over', async () => {
    await writeFile(lockFileOf(dataDir), `${await deadPid()}\n`);
    const lock = lockDirectory(dataDir);
    expect(await lockOwner(dataDir)).toBe(process.pid);
    lock.release();
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
  });

  test.each([['empty', ''], ['garbage', 'not a pid\n']])('an unreadable (%s) lock file is taken over', async (_name, content) => {
    await writeFile(lockFileOf(dataDir), content);
    const lock = lockDirectory(dataDir);
    expect(await lockOwner(dataDir)).toBe(process.pid);
    lock.release();
  });

  test('release does not remove a lock that another process has since taken', async () => {
    const mine = lockDirectory(dataDir);
    const other = await deadPid();
    await writeFile(lockFileOf(dataDir), `${other}\n`);
    mine.release();
    expect(await lockOwner(dataDir)).toBe(other);
  });
});

describe('two servers on one data directory', () => {
  test('the second refuses to start and names the directory; the first stops cleanly on SIGTERM', async () => {
    const first = startServer(dataDir);
    const port = await listening(first);
    expect(await lockOwner(dataDir)).toBe(first.child.pid);
    expect(existsSync(path.join(dataDir, 'stories', `${DEMO_SLUG}.json`))).toBe(true);
    expect(await getJson(port, '/healthz')).toMatchObject({ status: 200, body: { status: 'ok', storage: 'lowdb' } });

    const second = startServer(dataDir);
    const secondExit = await exitOf(second);
    expect(secondExit.code).not.toBe(0);
    expect(secondExit.code).not.toBeNull();
    expect(second.stderr()).toContain(`The data directory ${dataDir} is in use by another Chrono process (PID ${first.child.pid})`);
    expect(second.stdout()).not.toContain('Chrono listening');

    // the refused server left the first one and its lock alone
    expect(first.exit).toBeUndefined();
    expect(await lockOwner(dataDir)).toBe(first.child.pid);
    const { status, body } = await getJson(port, '/api/stories');
    expect(status).toBe(200);
    expect((body as { stories: { slug: string }[] }).stories.map((s) => s.slug)).toEqual([DEMO_SLUG]);

    first.child.kill('SIGTERM');
    expect(await exitOf(first)).toEqual({ code: 0, signal: null });
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
    expect(existsSync(path.join(dataDir, 'stories', `${DEMO_SLUG}.json`))).toBe(true);

    // once the first is gone, the directory is free again, and its data is kept
    const third = startServer(dataDir);
    const thirdPort = await listening(third);
    expect(await lockOwner(dataDir)).toBe(third.child.pid);
    const again = await getJson(thirdPort, '/api/stories');
    expect((again.body as { stories: { slug: string }[] }).stories.map((s) => s.slug)).toEqual([DEMO_SLUG]);
    third.child.kill('SIGTERM');
    expect(await exitOf(third)).toEqual({ code: 0, signal: null });
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
  }, 60_000);

  test('a stale lock whose PID no longer runs is taken over, and the server starts', async () => {
    const stale = await deadPid();
    await writeFile(lockFileOf(dataDir), `${stale}\n`);

    const server = startServer(dataDir);
    const port = await listening(server);
    expect(await lockOwner(dataDir)).toBe(server.child.pid);
    expect(await getJson(port, '/healthz')).toMatchObject({ status: 200, body: { status: 'ok', storage: 'lowdb' } });

    server.child.kill('SIGTERM');
    expect(await exitOf(server)).toEqual({ code: 0, signal: null });
    expect(existsSync(lockFileOf(dataDir))).toBe(false);
  }, 60_000);
});
