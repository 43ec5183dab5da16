import type { ApiToken, Session, User } from '../domain/accounts.js';
import { ConflictError } from '../domain/errors.js';
import type { AccountStore } from './account-store.js';

export class MemoryAccountStore implements AccountStore {
  #users = new Map<string, User>();
  #tokens = new Map<string, ApiToken>();
  #sessions = new Map<string, Session>();

  async getUser(name: string) {
    return this.#users.get(name);
  }
  async listUsers() {
    return [...this.#users.values()];
  }
  async putUser(user: User, mode: 'create' | 'replace') {
    if (mode === 'create' && this.#users.has(user.name)) throw new ConflictError('user_exists', `A user "${user.name}" already exists`, 'name');
    this.#users.set(user.name, user);
  }
  async listTokens() {
    return [...this.#tokens.values()];
  }
  async findToken(hash: string) {
    return [...this.#tokens.values()].find((t) => t.hash === hash);
  }
  async putToken(token: ApiToken) {
    this.#tokens.set(token.id, token);
  }
  async getSession(idHash: string) {
    return this.#sessions.get(idHash);
  }
  async putSession(session: Session) {
    this.#sessions.set(session.idHash, session);
  }
  async deleteSession(idHash: string) {
    this.#sessions.delete(idHash);
  }
  async close() {}
}
