// Signing in over HTTP, as a browser does: the login page's cookie and hidden token, then the form.
import * as cheerio from 'cheerio';
import request, { type Response } from 'supertest';
import type { Express } from 'express';

/** Long enough for the account rules (at least 12 characters). */
export const PASSWORD = 'correct horse battery staple';

/** Every Set-Cookie line of a response. */
export function setCookies(res: Response): string[] {
  const header = res.headers['set-cookie'] as unknown;
  if (Array.isArray(header)) return header.map(String);
  return typeof header === 'string' ? [header] : [];
}

/** The whole Set-Cookie line for one cookie, attributes included. */
export function setCookieLine(res: Response, name: string): string | undefined {
  return setCookies(res).find((line) => line.startsWith(`${name}=`));
}

/** `name=value`, ready to send back in a Cookie header. */
export function cookiePair(res: Response, name: string): string | undefined {
  return setCookieLine(res, name)?.split(';')[0];
}

/** The value of the first hidden `_csrf` input on a page. */
export function csrfField(html: string): string {
  const value = cheerio.load(html)('input[name="_csrf"]').first().attr('value');
  if (!value) throw new Error('no _csrf field on the page');
  return value;
}

/** GET /login: the login cookie and the form's matching token. */
export async function loginForm(app: Express): Promise<{ cookie: string; csrf: string }> {
  const page = await request(app).get('/login').expect(200);
  const cookie = cookiePair(page, 'chrono_login');
  if (!cookie) throw new Error('GET /login set no chrono_login cookie');
  return { cookie, csrf: csrfField(page.text) };
}

/** Posts the login form once (with a fresh login cookie unless one is given). */
export async function postLogin(app: Express, name: string, password: string, form?: { cookie: string; csrf: string }): Promise<Response> {
  const { cookie, csrf } = form ?? (await loginForm(app));
  return request(app).post('/login').set('Cookie', cookie).type('form').send({ name, password, _csrf: csrf });
}

/** Signs in and returns the `chrono_session=…` pair to send as a Cookie. */
export async function login(app: Express, name: string, password = PASSWORD): Promise<string> {
  const res = await postLogin(app, name, password);
  if (res.status !== 303) throw new Error(`login as ${name} answered ${res.status}`);
  const cookie = cookiePair(res, 'chrono_session');
  if (!cookie) throw new Error('login set no chrono_session cookie');
  return cookie;
}

/** The session's CSRF token, read from a hidden field on an editor page. */
export async function sessionCsrf(app: Express, cookie: string, path = '/admin'): Promise<string> {
  const page = await request(app).get(path).set('Cookie', cookie).expect(200);
  return csrfField(page.text);
}
