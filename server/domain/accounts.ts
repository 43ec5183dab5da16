export const ROLES = ['admin', 'editor'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  name: string;
  role: Role;
  /** scrypt$N$r$p$salt$hash, never the password */
  passwordHash: string;
  disabled: boolean;
  createdAt: string;
}

export interface ApiToken {
  id: string;
  userName: string;
  label: string;
  /** sha256 of the token: the token itself is shown once and never stored */
  hash: string;
  createdAt: string;
  revokedAt?: string;
}

export interface Session {
  /** sha256 of the cookie value */
  idHash: string;
  userName: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,39}$/;

/** What the rest of the app knows about whoever is acting. */
export interface Actor {
  name: string;
  role: Role;
}

export function canAdminister(actor: Actor): boolean {
  return actor.role === 'admin';
}
