import { timingSafeEqual } from 'node:crypto';
import type { CookieOptions, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Actor } from '../domain/accounts.js';
import type { AccountService, SessionInfo } from '../services/accounts.js';
import { SESSION_TTL_MS } from '../services/accounts.js';
import { HttpError } from './http-error.js';

export const SESSION_COOKIE = 'chrono_session';

declare module 'express-serve-static-core' {
  interface Locals {
    auth?: SessionInfo;
    actor?: Actor;
  }
}

export function sameSecret(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function sessionCookieOptions(req: Request, secureOrigin: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: req.secure || secureOrigin, path: '/', maxAge: SESSION_TTL_MS };
}

/** Reads the session cookie, if any; never rejects by itself. */
export function loadSession(accounts: AccountService): RequestHandler {
  return async (req, res, next) => {
    const cookie = req.cookies?.[SESSION_COOKIE];
    if (typeof cookie === 'string' && cookie) {
      const info = await accounts.sessionFor(cookie);
      if (info) {
        res.locals.auth = info;
        res.locals.actor = info.actor;
      }
    }
    next();
  };
}

/** Editor pages: a signed-in editor or admin, else the login page. */
export const requireSession: RequestHandler = (req, res, next) => {
  if (res.locals.auth) return next();
  res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
};

/** Every state-changing form carries the session's CSRF token. */
export const checkCsrf: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const token = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (!res.locals.auth || !sameSecret(token, res.locals.auth.session.csrfToken)) {
    return next(new HttpError(403, 'csrf_failed', 'This form has expired or did not come from Chrono: reload the page and try again'));
  }
  next();
};

/** Editor pages must not be cached or framed. */
export const privatePage: RequestHandler = (_req, res, next) => {
  res.set({ 'Cache-Control': 'private, no-store', 'X-Frame-Options': 'DENY' });
  const csp = res.getHeader('Content-Security-Policy');
  if (typeof csp === 'string') res.setHeader('Content-Security-Policy', csp.replace(/frame-ancestors [^;]*/, "frame-ancestors 'none'"));
  next();
};

/** The API takes bearer tokens only: a session cookie is not proof of intent there. */
export function requireBearer(accounts: AccountService): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const actor = match ? await accounts.actorForToken(match[1]!) : undefined;
    if (!actor) {
      const error = match ? 'error="invalid_token"' : '';
      return next(
        new HttpError(401, 'unauthorized', match ? 'This token is not valid (unknown, revoked, or its user is disabled)' : 'Send an API token: Authorization: Bearer <token>', undefined, {
          'WWW-Authenticate': `Bearer realm="chrono"${error ? `, ${error}` : ''}`,
        }),
      );
    }
    res.locals.actor = actor;
    res.set('Cache-Control', 'private, no-store');
    next();
  };
}
