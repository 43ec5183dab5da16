import { readFileSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export class DirectoryLockedError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(
      `The data directory ${dir} is in use by another Chrono process (PID ${pid}). ` +
        `Stop that process, or point CHRONO_DATA_DIR elsewhere. If no such process runs, delete ${path.join(dir, LOCK_FILE)}.`,
    );
    this.name = 'DirectoryLockedError';
  }
}

const LOCK_FILE = 'chrono.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DirectoryLock {
  release(): void;
}

/**
 * lowdb files cannot have two writers, so one process owns a data directory. The lock
 * holds the owner's PID; a lock left by a process that no longer runs is taken over.
 */
export function lockDirectory(dir: string, pid = process.pid): DirectoryLock {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${pid}\n`, { flag: 'wx' });
      return {
        release() {
          try {
            if (Number(readFileSync(file, 'utf8').trim()) === pid) unlinkSync(file);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== pid && isAlive(owner)) throw new DirectoryLockedError(dir, owner);
      unlinkSync(file);
    }
  }
  throw new Error(`Could not lock ${dir}: another process keeps taking the lock`);
}
