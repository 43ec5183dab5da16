import * as cheerio from 'cheerio';
import request from 'supertest';
import { DEMO_SLUG, demoApp } from './harness.js';
import { cookiePair, csrfField, login, loginForm, PASSWORD, postLogin, sessionCsrf, setCookieLine } from './sessions.js';

const LOGIN_FAILED = 'Identifiant ou mot de passe incorrect.';

async function setup() {
  const h = await demoApp();
  await h.accounts.createUser('eve', 'editor', PASSWORD);
  return h;
}

/** The login page without what legitimately differs between two renders: its random token and the typed name. */
function normalised(html: string, name: string): string {
  return html.replace(/(name="_csrf" value=")[^"]*"/, '$1…"').replace(`value="${name}"`, 'value="…"');
}

describe('login page', () => {
  it('answers a wrong password and an unknown user alike', async () => {
    const { app } = await setup();
    const wrong = await postLogin(app, 'eve', 'not the right password');
    const unknown = await postLogin(app, 'nobody', 'not the right password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(wrong.status);
    const error = (html: string) => cheerio.load(html)('[role="alert"]').text().trim();
    expect(error(wrong.text)).toBe(LOGIN_FAILED);
    expect(error(unknown.text)).toBe(error(wrong.text));
    expect(normalised(unknown.text, 'nobody')).toBe(normalised(wrong.text, 'eve'));
    expect(cookiePair(wrong, 'chrono_session')).toBeUndefined();
    expect(cookiePair(unknown, 'chrono_session')).toBeUndefined();
  });

  it('refuses a disabled user as it refuses a wrong password', async () => {
    const { app, accounts } = await setup();
    await accounts.disableUser('eve');
    const res = await postLogin(app, 'eve', PASSWORD);
    expect(res.status).toBe(401);
    expect(cheerio.load(res.text)('[role="alert"]').text().trim()).toBe(LOGIN_FAILED);
  });

  it('signs in with 303 to /admin and an HttpOnly, SameSite=Lax session cookie (not Secure over http)', async () => {
    const { app } = await setup();
    const res = await postLogin(app, 'eve', PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin');
    const line = setCookieLine(res, 'chrono_session');
    expect(line).toBeDefined();
    const attributes = line!.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=lax');
    expect(attributes).toContain('path=/');
    expect(attributes.some((a) => a === 'secure')).toBe(false);
    const admin = await request(app).get('/admin').set('Cookie', cookiePair(res, 'chrono_session')!).expect(200);
    expect(admin.text).toContain('eve');
  });

  it('goes back to the page asked for, but never off the site', async () => {
    const { app } = await setup();
    const form = await loginForm(app);
    const back = await request(app).post('/login').set('Cookie', form.cookie).type('form').send({ name: 'eve', password: PASSWORD, _csrf: form.csrf, next: `/admin/stories/${DEMO_SLUG}` }).expect(303);
    expect(back.headers.location).toBe(`/admin/stories/${DEMO_SLUG}`);
    for (const next of ['https://evil.example/admin', '//evil.example/admin', '/stories/x']) {
      const res = await request(app).post('/login').set('Cookie', form.cookie).type('form').send({ name: 'eve', password: PASSWORD, _csrf: form.csrf, next }).expect(303);
      expect(res.headers.location).toBe('/admin');
    }
  });

  it('sends a signed-out reader from an editor page to the login page', async () => {
    const { app } = await setup();
    const res = await request(app).get(`/admin/stories/${DEMO_SLUG}`).expect(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(`/admin/stories/${DEMO_SLUG}`)}`);
  });

  it('gives a new session id at each login', async () => {
    const { app } = await setup();
    const first = await login(app, 'eve');
    const second = await login(app, 'eve');
    expect(first).toMatch(/^chrono_session=.{20,}/);
    expect(second).not.toBe(first);
  });

  it('ends the session on logout: the old cookie no longer opens /admin', async () => {
    const { app } = await setup();
    const cookie = await login(app, 'eve');
    const csrf = await sessionCsrf(app, cookie);
    const out = await request(app).post('/logout').set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(303);
    expect(out.headers.location).toBe('/');
    expect(setCookieLine(out, 'chrono_session')).toMatch(/Expires=Thu, 01 Jan 1970/);
    const after = await request(app).get('/admin').set('Cookie', cookie).expect(303);
    expect(after.headers.location).toBe('/login?next=%2Fadmin');
  });

  it('does not log out without the session’s CSRF token', async () => {
    const { app } = await setup();
    const cookie = await login(app, 'eve');
    await request(app).post('/logout').set('Cookie', cookie).type('form').send({}).expect(403);
    await request(app).post('/logout').set('Cookie', cookie).type('form').send({ _csrf: 'guess' }).expect(403);
    await request(app).get('/admin').set('Cookie', cookie).expect(200);
  });

  it('answers the sixth failed attempt within a minute for one account with 429 and Retry-After', async () => {
    const { app } = await setup();
    const form = await loginForm(app);
    for (let i = 0; i < 5; i++) {
      const res = await postLogin(app, 'eve', `wrong password ${i}`, form);
      expect(res.status).toBe(401);
    }
    const sixth = await postLogin(app, 'eve', 'wrong password 6', form);
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    expect(sixth.headers['retry-after']).toMatch(/^\d+$/);
    // the right password does not get through either while the limit holds
    const right = await postLogin(app, 'eve', PASSWORD, form);
    expect(right.status).toBe(429);
    expect(cookiePair(right, 'chrono_session')).toBeUndefined();
  });

  it('refuses a login form posted without the login CSRF cookie', async () => {
    const { app } = await setup();
    const { csrf } = await loginForm(app);
    const res = await request(app).post('/login').type('form').send({ name: 'eve', password: PASSWORD, _csrf: csrf }).expect(403);
    expect(cookiePair(res, 'chrono_session')).toBeUndefined();
    const other = await loginForm(app);
    await request(app).post('/login').set('Cookie', other.cookie).type('form').send({ name: 'eve', password: PASSWORD, _csrf: csrf }).expect(403);
    await request(app).post('/login').set('Cookie', other.cookie).type('form').send({ name: 'eve', password: PASSWORD }).expect(403);
  });

  it('refuses a cross-site form post to an editor route without the CSRF token, storing nothing', async () => {
    const { app, service } = await setup();
    const cookie = await login(app, 'eve');
    const fields = { precision: 'day', year: '2023', month: '11', day: '22', timeZone: 'Europe/Paris', title: 'Intrusion', verification: 'confirmed', action: 'save' };
    await request(app).post(`/admin/stories/${DEMO_SLUG}/events`).set('Cookie', cookie).set('Origin', 'https://evil.example').type('form').send(fields).expect(403);
    await request(app).post(`/admin/stories/${DEMO_SLUG}/events`).set('Cookie', cookie).type('form').send({ ...fields, _csrf: 'forged' }).expect(403);
    const record = await service.getStory(DEMO_SLUG);
    expect(record.story.version).toBe(1);
    expect(record.events.map((e) => e.title)).not.toContain('Intrusion');
    // the same form with the token is accepted, so the refusal was the token's doing
    const csrf = await sessionCsrf(app, cookie, `/admin/stories/${DEMO_SLUG}`);
    await request(app).post(`/admin/stories/${DEMO_SLUG}/events`).set('Cookie', cookie).type('form').send({ ...fields, _csrf: csrf }).expect(303);
    expect((await service.getStory(DEMO_SLUG)).events.map((e) => e.title)).toContain('Intrusion');
  });

  it('does not accept the login page’s token as a session token', async () => {
    const { app, service } = await setup();
    const cookie = await login(app, 'eve');
    const { csrf } = await loginForm(app);
    await request(app).post(`/admin/stories/${DEMO_SLUG}/events`).set('Cookie', cookie).type('form').send({ _csrf: csrf, year: '2023', month: '11', day: '22', title: 'x' }).expect(403);
    expect((await service.getStory(DEMO_SLUG)).story.version).toBe(1);
  });

  it.each(['/admin', `/admin/stories/${DEMO_SLUG}`, `/admin/stories/${DEMO_SLUG}/events/lettre-des-salaries`])('sends %s uncached and unframeable', async (path) => {
    const { app } = await setup();
    const cookie = await login(app, 'eve');
    const res = await request(app).get(path).set('Cookie', cookie).expect(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('sends the login page uncached and unframeable', async () => {
    const { app } = await setup();
    const res = await request(app).get('/login').expect(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(csrfField(res.text)).toBeTruthy();
  });

  it('never changes state on GET: GET /logout is 404 and the session still works', async () => {
    const { app } = await setup();
    const cookie = await login(app, 'eve');
    await request(app).get('/logout').set('Cookie', cookie).expect(404);
    await request(app).get('/admin').set('Cookie', cookie).expect(200);
    const signedIn = await request(app).get('/login').set('Cookie', cookie).expect(303);
    expect(signedIn.headers.location).toBe('/admin');
  });

  it('closes the sessions of a disabled user', async () => {
    const { app, accounts } = await setup();
    const cookie = await login(app, 'eve');
    await accounts.disableUser('eve');
    await request(app).get('/admin').set('Cookie', cookie).expect(303);
  });

  it('ends a session after its lifetime', async () => {
    const { app, clock } = await setup();
    const cookie = await login(app, 'eve');
    clock.advance(7 * 24 * 3600 * 1000 + 1000);
    await request(app).get('/admin').set('Cookie', cookie).expect(303);
  });
});
