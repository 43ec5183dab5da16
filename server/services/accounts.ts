import { randomBytes } from 'node:crypto';
import { ROLES, USER_NAME_PATTERN, type Actor, type ApiToken, type Role, type Session, type User } from '../domain/accounts.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { AccountStore } from '../storage/account-store.js';
import type { Clock } from './clock.js';
import { DUMMY_HASH, hashPassword, randomToken, sha256, verifyPassword } from './passwords.js';

export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
export const MIN_PASSWORD = 12;

export interface SessionInfo {
  actor: Actor;
  session: Session;
}

/** Users, tokens and sessions: who may act, and proof of it. */
export class AccountService {
  constructor(private readonly deps: { accounts: AccountStore; clock: Clock }) {}

  async createUser(name: string, role: string, password: string): Promise<User> {
    const problems = [];
    if (!USER_NAME_PATTERN.test(name)) problems.push({ field: 'name', code: 'invalid_format', message: 'use 2-40 lowercase letters, digits, dots, dashes or underscores' });
    if (!(ROLES as readonly string[]).includes(role)) problems.push({ field: 'role', code: 'invalid_choice', message: `must be one of ${ROLES.join(', ')}` });
    if (password.length < MIN_PASSWORD) problems.push({ field: 'password', code: 'too_short', message: `must have at least ${MIN_PASSWORD} characters` });
    if (problems.length) throw new ValidationError(problems);
    const user: User = { name, role: role as Role, passwordHash: await hashPassword(password), disabled: false, createdAt: this.#now() };
    await this.deps.accounts.putUser(user, 'create');
    return user;
  }

  listUsers(): Promise<User[]> {
    return this.deps.accounts.listUsers();
  }

  async disableUser(name: string): Promise<void> {
    const user = await this.deps.accounts.getUser(name);
    if (!user) throw new NotFoundError('user', name);
    await this.deps.accounts.putUser({ ...user, disabled: true }, 'replace');
  }

  /** Returns the token itself once; only its hash is kept. */
  async createToken(userName: string, label: string): Promise<{ token: string; record: ApiToken }> {
    const user = await this.deps.accounts.getUser(userName);
    if (!user || user.disabled) throw new NotFoundError('user', userName);
    const token = `chrono_${randomToken(32)}`;
    // hex: an id must never start with '-', or the CLI would read it as an option
    const record: ApiToken = { id: randomBytes(5).toString('hex'), userName, label, hash: sha256(token), createdAt: this.#now() };
    await this.deps.accounts.putToken(record);
    return { token, record };
  }

  listTokens(): Promise<ApiToken[]> {
    return this.deps.accounts.listTokens();
  }

  async revokeToken(id: string): Promise<void> {
    const token = (await this.deps.accounts.listTokens()).find((t) => t.id === id);
    if (!token) throw new NotFoundError('token', id);
    await this.deps.accounts.putToken({ ...token, revokedAt: this.#now() });
  }

  async actorForToken(token: string): Promise<Actor | undefined> {
    const record = await this.deps.accounts.findToken(sha256(token));
    if (!record || record.revokedAt) return undefined;
    return this.#activeActor(record.userName);
  }

  /** Checks a password; an unknown user costs the same scrypt as a wrong password. */
  async checkPassword(name: string, password: string): Promise<Actor | undefined> {
    const user = await this.deps.accounts.getUser(name);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    return ok && user && !user.disabled ? { name: user.name, role: user.role } : undefined;
  }

  /** A fresh session (a new id at every login); returns the cookie value. */
  async startSession(actor: Actor): Promise<{ cookie: string; session: Session }> {
    const cookie = randomToken(32);
    const now = this.deps.clock.now();
    const session: Session = {
      idHash: sha256(cookie),
      userName: actor.name,
      csrfToken: randomToken(24),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    };
    await this.deps.accounts.putSession(session);
    return { cookie, session };
  }

  async sessionFor(cookie: string): Promise<SessionInfo | undefined> {
    const session = await this.deps.accounts.getSession(sha256(cookie));
    if (!session || session.expiresAt <= this.#now()) return undefined;
    const actor = await this.#activeActor(session.userName);
    return actor && { actor, session };
  }

  endSession(cookie: string): Promise<void> {
    return this.deps.accounts.deleteSession(sha256(cookie));
  }

  async #activeActor(name: string): Promise<Actor | undefined> {
    const user = await this.deps.accounts.getUser(name);
    return user && !user.disabled ? { name: user.name, role: user.role } : undefined;
  }

  #now(): string {
    return this.deps.clock.now().toISOString();
  }
}
