#!/usr/bin/env node
// The operator's `chrono` command; what each command does is in cli/commands.ts.
import { createInterface } from 'node:readline';
import { readFile, writeFile } from 'node:fs/promises';
import { runCli, type CliIo, type StoriesAccess } from './cli/commands.js';
import { ConfigError, loadConfig } from './config.js';
import { DomainError, ValidationError } from './domain/errors.js';
import { AccountService } from './services/accounts.js';
import { systemClock } from './services/clock.js';
import { LowdbAccountStore } from './storage/lowdb-account-store.js';
import { DirectoryLockedError, lockDirectory } from './storage/dir-lock.js';
import { LowdbStore } from './storage/lowdb-store.js';
import { PgAccountStore, PgStore } from './storage/pg-store.js';
import type { AccountStore } from './storage/account-store.js';
import { StoryService } from './services/stories.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return Promise.reject(new DomainError('no_terminal', 'No terminal to ask for a password: use --password-stdin'));
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  let muted = false;
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (!muted || s.includes('\n')) process.stdout.write(muted ? '\n' : s);
  };
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      resolve(answer);
    });
    muted = true;
  });
}

async function main(): Promise<number> {
  const config = loadConfig();
  // with CHRONO_DATABASE_URL, users, tokens and stories live in PostgreSQL, as for the server
  const database = config.databaseUrl ? await PgStore.open(config.databaseUrl) : undefined;
  const accountStore: AccountStore = database ? new PgAccountStore(database.pool) : await LowdbAccountStore.open(config.dataDir);
  const io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l), readPassword, readStdin };
  try {
    const stories: StoriesAccess = {
      async open(forWriting) {
        if (database) return { service: new StoryService({ store: database, clock: systemClock }), close: async () => undefined };
        // the server owns the directory while it runs: an import waits for it to stop
        const lock = forWriting ? lockDirectory(config.dataDir) : undefined;
        const storyStore = await LowdbStore.open(config.dataDir);
        return {
          service: new StoryService({ store: storyStore, clock: systemClock }),
          async close() {
            await storyStore.close();
            lock?.release();
          },
        };
      },
      async migrate(url) {
        const lock = lockDirectory(config.dataDir);
        const from = await LowdbStore.open(config.dataDir);
        const accounts = await LowdbAccountStore.open(config.dataDir);
        const to = await PgStore.open(url);
        try {
          const summaries = await from.listStories();
          const records = await Promise.all(summaries.map(async (s) => (await from.getStory(s.slug))!));
          const data = { records, users: await accounts.listUsers(), tokens: await accounts.listTokens(), sessions: await accounts.listSessions() };
          await to.importAll(data);
          return {
            stories: records.length,
            events: records.reduce((n, r) => n + r.events.length, 0),
            revisions: records.reduce((n, r) => n + r.revisions.length, 0),
            users: data.users.length,
            tokens: data.tokens.length,
            sessions: data.sessions.length,
          };
        } finally {
          await to.close();
          await accounts.close();
          await from.close();
          lock.release();
        }
      },
      readFile: (path) => readFile(path, 'utf8'),
      writeFile: (path, body) => writeFile(path, body),
    };
    return await runCli(process.argv.slice(2), new AccountService({ accounts: accountStore, clock: systemClock }), io, stories);
  } finally {
    await accountStore.close();
    await database?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ValidationError) console.error(`chrono: ${error.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
    else if (error instanceof DomainError || error instanceof ConfigError || error instanceof DirectoryLockedError) console.error(`chrono: ${error.message}`);
    else console.error(error);
    process.exit(1);
  },
);
