import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import type { ApiToken, Session, User } from '../domain/accounts.js';
import { ConflictError, StorageError } from '../domain/errors.js';
import type { AccountStore } from './account-store.js';
import { DurableJSONFile } from './durable-json-file.js';
import { withFileLock } from './file-lock.js';

interface Accounts {
  users: User[];
  tokens: ApiToken[];
}
interface Sessions {
  sessions: Session[];
}

/**
 * accounts.json (users, tokens) is written by the server and the CLI alike, each under a
 * short exclusive lock and after re-reading it; readers reload it when it changed on disk.
 * sessions.json belongs to the server process alone.
 */
export class LowdbAccountStore implements AccountStore {
  readonly #accountsFile: string;
  readonly #accounts: Low<Accounts>;
  readonly #sessions: Low<Sessions>;
  #seen = '';
  #sessionQueue: Promise<unknown> = Promise.resolve();

  private constructor(dataDir: string) {
    this.#accountsFile = path.join(dataDir, 'accounts.json');
    this.#accounts = new Low(new DurableJSONFile<Accounts>(this.#accountsFile), { users: [], tokens: [] });
    this.#sessions = new Low(new DurableJSONFile<Sessions>(path.join(dataDir, 'sessions.json')), { sessions: [] });
  }

  static async open(dataDir: string): Promise<LowdbAccountStore> {
    await mkdir(dataDir, { recursive: true });
    const store = new LowdbAccountStore(dataDir);
    await store.#fresh();
    await store.#sessions.read();
    return store;
  }

  async #fresh(): Promise<Accounts> {
    const s = await stat(this.#accountsFile).catch(() => undefined);
    const signature = s ? `${s.ino}:${s.mtimeMs}:${s.size}` : 'none';
    if (signature !== this.#seen) {
      await this.#accounts.read();
      this.#seen = signature;
    }
    return this.#accounts.data;
  }

  async #changeAccounts(change: (current: Accounts) => Accounts): Promise<void> {
    await withFileLock(`${this.#accountsFile}.lock`, async () => {
      this.#seen = '';
      const previous = await this.#fresh();
      this.#accounts.data = change(previous);
      try {
        await this.#accounts.write();
      } catch (error) {
        this.#accounts.data = previous;
        throw new StorageError(`Could not save the account change: ${(error as Error).message}`, error);
      }
    });
  }

  async getUser(name: string) {
    return (await this.#fresh()).users.find((u) => u.name === name);
  }
  async listUsers() {
    return [...(await this.#fresh()).users];
  }
  putUser(user: User, mode: 'create' | 'replace') {
    return this.#changeAccounts((current) => {
      const exists = current.users.some((u) => u.name === user.name);
      if (mode === 'create' && exists) throw new ConflictError('user_exists', `A user "${user.name}" already exists`, 'name');
      return { ...current, users: [...current.users.filter((u) => u.name !== user.name), user] };
    });
  }
  async listTokens() {
    return [...(await this.#fresh()).tokens];
  }
  async findToken(hash: string) {
    return (await this.#fresh()).tokens.find((t) => t.hash === hash);
  }
  putToken(token: ApiToken) {
    return this.#changeAccounts((current) => ({ ...current, tokens: [...current.tokens.filter((t) => t.id !== token.id), token] }));
  }

  async getSession(idHash: string) {
    return this.#sessions.data.sessions.find((s) => s.idHash === idHash);
  }
  putSession(session: Session) {
    // a new session is also the moment to drop the ones that expired before it began
    return this.#changeSessions((all) => [...all.filter((s) => s.idHash !== session.idHash && s.expiresAt > session.createdAt), session]);
  }
  deleteSession(idHash: string) {
    return this.#changeSessions((all) => all.filter((s) => s.idHash !== idHash));
  }

  #changeSessions(change: (all: Session[]) => Session[]): Promise<void> {
    const run = this.#sessionQueue.then(async () => {
      const previous = this.#sessions.data;
      this.#sessions.data = { sessions: change(previous.sessions) };
      try {
        await this.#sessions.write();
      } catch (error) {
        this.#sessions.data = previous;
        throw new StorageError(`Could not save the session: ${(error as Error).message}`, error);
      }
    });
    this.#sessionQueue = run.catch(() => undefined);
    return run;
  }

  /** Every session, for `chrono migrate`. */
  async listSessions(): Promise<Session[]> {
    return [...this.#sessions.data.sessions];
  }

  async close() {
    await this.#sessionQueue;
  }
}
