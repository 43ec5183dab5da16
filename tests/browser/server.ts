// A real Chrono server for browser tests: the production entry point (server/index.ts) run by
// Node with tsx, on 127.0.0.1 and a free port, on a fresh temporary data directory that starts
// with the demo story. Accounts are made with the real `chrono user add` command beforehand.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_SLUG = 'openai-limogeage-sam-altman';
export const DEMO_TITLE = 'OpenAI : le limogeage de Sam Altman';

const START_TIMEOUT = 30_000;
const STOP_TIMEOUT = 15_000;

export interface TestUser {
  name: string;
  role: 'admin' | 'editor';
  password: string;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  baseUrl: string;
  port: number;
  dataDir: string;
  /** What the server printed so far (pino JSON lines on stdout, anything else on stderr). */
  output(): string;
  /** SIGTERM (SIGKILL if it does not stop), then removes the data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** The child's environment: no jest NODE_OPTIONS, production logging (the "listening" line is at info). */
function childEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHRONO_DATA_DIR: dataDir, NODE_ENV: 'production', ...extra };
  delete env.NODE_OPTIONS;
  delete env.CHRONO_BASE_URL;
  delete env.CHRONO_DATABASE_URL;
  return env;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Everything a child prints, and its exit. */
export function collect(child: ChildProcess): { text: () => string; exited: Promise<Exit> } {
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (text += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (text += c));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { text: () => text, exited };
}

/** `chrono user add <name> --role <role> --password-stdin` on the data directory, through the real CLI. */
export async function addUser(dataDir: string, user: TestUser): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'user', 'add', user.name, '--role', user.role, '--password-stdin'], {
    cwd: ROOT,
    env: childEnv(dataDir),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = collect(child);
  child.stdin!.end(`${user.password}\n`);
  const exit = await out.exited;
  if (exit.code !== 0) throw new Error(`chrono user add ${user.name} failed (${JSON.stringify(exit)}):\n${out.text()}`);
}

/** Resolves with the port from the JSON log line "Chrono listening on http://127.0.0.1:<port>". */
export function listeningPort(output: () => string, exited: Promise<Exit>): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timer);
      fn();
    };
    const poll = setInterval(() => {
      for (const line of output().split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg?.startsWith('Chrono listening on http://127.0.0.1:') && typeof entry.port === 'number') {
            const port = entry.port;
            return finish(() => resolve(port));
          }
        } catch {
          // a partly written line: read it again on the next poll
        }
      }
    }, 25);
    const timer = setTimeout(() => finish(() => reject(new Error(`the server did not start within ${START_TIMEOUT} ms:\n${output()}`))), START_TIMEOUT);
    void exited.then((exit) => finish(() => reject(new Error(`the server exited before listening (${JSON.stringify(exit)}):\n${output()}`))));
  });
}

/**
 * Starts `node --import tsx server/index.ts` on a new temporary data directory, after adding
 * `users` with the CLI. The caller must call stop() (afterAll), which also removes the directory.
 */
export async function startServer(options: { users?: TestUser[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunningServer> {
  // realpath: the server resolves CHRONO_DATA_DIR, so what it logs names this exact path
  const dataDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'chrono-browser-')));
  let child: ChildProcess | undefined;
  let exited: Promise<Exit> = Promise.resolve({ code: 0, signal: null });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), STOP_TIMEOUT);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    for (const user of options.users ?? []) await addUser(dataDir, user);
    child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
      cwd: ROOT,
      env: childEnv(dataDir, { PORT: '0', HOST: '127.0.0.1', ...options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = collect(child);
    exited = out.exited;
    const port = await listeningPort(out.text, exited);
    return { baseUrl: `http://127.0.0.1:${port}`, port, dataDir, output: out.text, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
