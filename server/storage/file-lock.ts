import { open, readFile, stat, unlink } from 'node:fs/promises';

const STALE_MS = 10_000;

/**
 * Runs `work` while holding `<file>` created exclusively: a short lock for a read-modify-write
 * that several processes (the server and the CLI) may attempt at once. A lock older than
 * 10 s is considered abandoned.
 */
export async function withFileLock<T>(file: string, work: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_MS) await unlink(file).catch(() => undefined);
      else if (Date.now() > deadline) throw new Error(`${file} is held by process ${(await readFile(file, 'utf8').catch(() => '?')).trim()}`);
      else await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(file).catch(() => undefined);
  }
}
