import type { ApiToken, Session, User } from '../domain/accounts.js';

/**
 * Users, API tokens and editor sessions. Users and tokens may be changed by the `chrono`
 * CLI while the server runs, so adapters must see such changes on the next call.
 * Every adapter passes tests/storage/account-contract.ts.
 */
export interface AccountStore {
  getUser(name: string): Promise<User | undefined>;
  listUsers(): Promise<User[]>;
  /** Creates or replaces; `create` rejects with ConflictError `user_exists` when the name is taken. */
  putUser(user: User, mode: 'create' | 'replace'): Promise<void>;
  listTokens(): Promise<ApiToken[]>;
  findToken(hash: string): Promise<ApiToken | undefined>;
  putToken(token: ApiToken): Promise<void>;
  getSession(idHash: string): Promise<Session | undefined>;
  putSession(session: Session): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  close(): Promise<void>;
}
