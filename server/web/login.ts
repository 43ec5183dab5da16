import express, { Router, type Request, type RequestHandler } from 'express';
import { rateLimit, type Options } from 'express-rate-limit';
import type { AccountService } from '../services/accounts.js';
import { randomToken } from '../services/passwords.js';
import { checkCsrf, privatePage, requireSession, sameSecret, SESSION_COOKIE, sessionCookieOptions } from './auth.js';
import { EDITOR_LABELS } from './editor-i18n.js';
import { HttpError } from './http-error.js';
import { LABELS, SITE_LANGUAGE } from './i18n.js';

const LOGIN_COOKIE = 'chrono_login';
export const LOGIN_ATTEMPTS_PER_MINUTE = 5;

/** Only a path on this site, so a crafted ?next= cannot send an editor elsewhere. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/admin') && !value.startsWith('//') ? value : '/admin';
}

function limiter(keyGenerator?: Options['keyGenerator']): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: LOGIN_ATTEMPTS_PER_MINUTE,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    ...(keyGenerator ? { keyGenerator } : {}),
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
      next(new HttpError(429, 'too_many_attempts', `Too many failed sign-in attempts; try again in ${seconds} s`, undefined, { 'Retry-After': String(seconds) }));
    },
  });
}

export function loginRoutes(accounts: AccountService, options: { secureOrigin: boolean }): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '10kb' });
  const t = EDITOR_LABELS[SITE_LANGUAGE];
  const perAddress = limiter();
  const perAccount = limiter((req) => `account:${String((req.body as Record<string, unknown>)?.name ?? '').toLowerCase()}`);

  const render = (res: Parameters<RequestHandler>[1], status: number, name: string, next: string, error?: string) => {
    const token = randomToken(18);
    res.cookie(LOGIN_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: options.secureOrigin, path: '/login', maxAge: 3600_000 });
    res.status(status).render('editor/login', { lang: SITE_LANGUAGE, labels: LABELS[SITE_LANGUAGE], t, csrf: token, name, next, error });
  };

  router.get('/login', privatePage, (req, res) => {
    if (res.locals.auth) return res.redirect(303, safeNext(req.query.next));
    render(res, 200, '', safeNext(req.query.next));
  });

  router.post('/login', privatePage, form, perAddress, perAccount, async (req, res) => {
    const { name, password, _csrf, next } = req.body as Record<string, unknown>;
    if (!sameSecret(_csrf, String(req.cookies?.[LOGIN_COOKIE] ?? ''))) {
      throw new HttpError(403, 'csrf_failed', 'This form has expired or did not come from Chrono: reload the page and try again');
    }
    const actor = await accounts.checkPassword(String(name ?? ''), String(password ?? ''));
    if (!actor) return render(res, 401, String(name ?? ''), safeNext(next), t.loginFailed);
    const { cookie } = await accounts.startSession(actor);
    res.clearCookie(LOGIN_COOKIE, { path: '/login' });
    res.cookie(SESSION_COOKIE, cookie, sessionCookieOptions(req, options.secureOrigin));
    res.redirect(303, safeNext(next));
  });

  router.post('/logout', privatePage, form, requireSession, checkCsrf, async (req, res) => {
    await accounts.endSession(String(req.cookies[SESSION_COOKIE]));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/');
  });

  return router;
}
