// A throwaway PostgreSQL cluster on loopback for the tests (and the benchmark), unless
// CHRONO_TEST_DATABASE_URL names one already (CI starts its own). PostgreSQL refuses to run as
// root, so as root it runs as the `postgres` user. Jest loads this file without its module
// mapping, so it imports nothing of the project's; tests/bench imports it.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const BASE = '/usr/lib/postgresql';

/** initdb/pg_ctl from the newest /usr/lib/postgresql/<version>/bin, else from PATH; undefined if neither has them. */
export function findPgBin(): { dir: string | undefined; version: string } | undefined {
  const versions = existsSync(BASE) ? readdirSync(BASE).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const dir = path.join(BASE, v, 'bin');
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return { dir, version: v };
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb && command -v pg_ctl'], { encoding: 'utf8' });
  if (which.status === 0) return { dir: undefined, version: 'PATH' };
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`running as root, but there is no "${name}" user to run PostgreSQL as`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function run(command: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', timeout: 60_000 })
    : spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout || result.error}`);
}

export interface Cluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  dir: string;
  durable: boolean;
  /** synchronous; safe to call twice (and from a signal handler) */
  stop(): void;
}

export async function startCluster(bin: { dir: string | undefined }, durable: boolean): Promise<Cluster> {
  const exe = (name: string) => (bin.dir ? path.join(bin.dir, name) : name);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chrono-pg-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = userIds('postgres');
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      if (existsSync(path.join(data, 'postmaster.pid'))) run(exe('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    } catch {
      // already gone
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const port = await freePort();
    run(exe('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    const settings = durable ? '' : ' -c fsync=off -c synchronous_commit=off';
    run(exe('pg_ctl'), ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', '-o', `-h 127.0.0.1 -p ${port} -k ${dir} -c max_connections=300${settings}`, 'start']);
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, dir, durable, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

export default async function globalSetup(): Promise<void> {
  if (process.env.CHRONO_TEST_DATABASE_URL) return;
  const bin = findPgBin();
  if (!bin) throw new Error('The tests need PostgreSQL (initdb, pg_ctl): apt-get install postgresql, or set CHRONO_TEST_DATABASE_URL');
  // the tests do not need durability, and run faster without fsync
  const cluster = await startCluster(bin, false);
  // test workers are started after this and inherit the environment
  process.env.CHRONO_TEST_DATABASE_URL = cluster.url;
  (globalThis as { stopTestCluster?: () => void }).stopTestCluster = cluster.stop;
}
