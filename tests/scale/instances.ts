// Real Chrono processes for the multi-instance tests: `node --import tsx server/index.ts` on
// 127.0.0.1 and a free port (PORT=0, the port read from the "Chrono listening" log line), on a
// data directory and (optionally) a PostgreSQL database the caller chooses, so that an instance
// can be killed and started again on the same directory and database. Also the real CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { collect, listeningPort, ROOT, type Exit } from '../browser/server.js';

export type { Exit };

const STOP_TIMEOUT = 15_000;


export interface InstanceOptions {
  dataDir: string;
  /** CHRONO_DATABASE_URL; without it the instance uses lowdb files in dataDir */
  databaseUrl?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Instance {
  readonly name: string;
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  readonly port: number;
  readonly pid: number;
  readonly options: InstanceOptions;
  readonly exited: Promise<Exit>;
  /** everything it printed so far (pino JSON lines) */
  output(): string;
  /** the `msg` of every JSON log line so far */
  messages(): string[];
  /** the `time` (ms since the epoch) of each JSON log line whose msg is `msg` */
  timesOf(msg: string): number[];
  /** sends a signal and waits for the process to be gone */
  kill(signal: NodeJS.Signals): Promise<Exit>;
  /** SIGTERM, SIGKILL after 15 s; safe to call twice and after kill() */
  stop(): Promise<void>;
}

/** The child's environment: no jest NODE_OPTIONS, no database unless asked for, production logging. */
export function childEnv(options: InstanceOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHRONO_DATA_DIR: options.dataDir, NODE_ENV: 'production', ...options.env };
  delete env.NODE_OPTIONS;
  delete env.CHRONO_BASE_URL;
  delete env.CHRONO_DATABASE_URL;
  if (options.databaseUrl) env.CHRONO_DATABASE_URL = options.databaseUrl;
  return env;
}

function logEntries(text: string): { msg: string; time: number }[] {
  const out: { msg: string; time: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; time?: unknown };
      if (typeof entry.msg === 'string') out.push({ msg: entry.msg, time: Number(entry.time) });
    } catch {
      // a partly written line
    }
  }
  return out;
}

export async function startInstance(name: string, options: InstanceOptions): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    cwd: ROOT,
    env: childEnv({ ...options, env: { PORT: '0', HOST: '127.0.0.1', ...options.env } }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = collect(child);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals): Promise<Exit> => {
    if (alive()) child.kill(signal);
    return out.exited;
  };
  const stop = async () => {
    if (!alive()) return void (await out.exited);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT);
    await out.exited;
    clearTimeout(timer);
  };
  try {
    const port = await listeningPort(out.text, out.exited);
    return {
      name,
      baseUrl: `http://127.0.0.1:${port}`,
      port,
      pid: child.pid!,
      options,
      exited: out.exited,
      output: out.text,
      messages: () => logEntries(out.text()).map((e) => e.msg),
      timesOf: (msg) => logEntries(out.text()).filter((e) => e.msg === msg).map((e) => e.time),
      kill,
      stop,
    };
  } catch (error) {
    await kill('SIGKILL');
    throw error;
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx server/cli.ts <args>`, with `stdin` written to it if given. */
export function runCli(args: string[], options: InstanceOptions, stdin?: string): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { cwd: ROOT, env: childEnv(options), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** `chrono user add` (password on stdin) then `chrono token create`; resolves with the token. */
export async function userWithToken(name: string, options: InstanceOptions): Promise<string> {
  const added = await runCli(['user', 'add', name, '--role', 'editor', '--password-stdin'], options, 'correct horse battery staple\n');
  if (added.code !== 0) throw new Error(`chrono user add failed (${added.code}): ${added.stdout}${added.stderr}`);
  const created = await runCli(['token', 'create', name, '--label', 'scale tests'], options);
  const token = created.stdout.trim().split('\n').at(-1)?.trim();
  if (created.code !== 0 || !token?.startsWith('chrono_')) throw new Error(`chrono token create failed (${created.code}): ${created.stdout}${created.stderr}`);
  return token;
}
