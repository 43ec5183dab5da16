import path from 'node:path';
import * as cheerio from 'cheerio';
import { pino } from 'pino';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../server/app.js';
import { APP_ROOT } from '../../server/config.js';
import { AccountService } from '../../server/services/accounts.js';
import { fixedClock } from '../../server/services/clock.js';
import { loadDemoIfEmpty } from '../../server/services/demo.js';
import { StoryService, type Change } from '../../server/services/stories.js';
import { MemoryAccountStore } from '../../server/storage/memory-account-store.js';
import { MemoryStore } from '../../server/storage/memory-store.js';
import { LiveHub } from '../../server/web/live.js';
import { DEMO_SLUG, demoApp } from './harness.js';
import { login, PASSWORD } from './sessions.js';

const NOW = '2023-11-20T13:02:00.000Z';
const EVENT = 'microsoft-recrute-sam-altman';
const EVENT_TITLE = 'Microsoft recrute Sam Altman et Greg Brockman';
const API = `/api/stories/${DEMO_SLUG}`;

type Harness = Awaited<ReturnType<typeof demoApp>>;

/** The demo app with an admin (ada) and an editor (eve), each with an API token. */
async function withUsers(h: Harness) {
  await h.accounts.createUser('ada', 'admin', PASSWORD);
  await h.accounts.createUser('eve', 'editor', PASSWORD);
  const admin = await h.accounts.createToken('ada', 'tests');
  const editor = await h.accounts.createToken('eve', 'tests');
  return { ...h, admin: admin.token, editor: editor.token, adminTokenId: admin.record.id };
}

async function setup() {
  return withUsers(await demoApp());
}

/** Like demoApp, but the StoryService publishes into `changes` (emptied after the demo is loaded). */
async function publishingApp() {
  const store = new MemoryStore();
  const clock = fixedClock(NOW);
  const changes: Change[] = [];
  const live = new LiveHub({ changesSince: (slug, after) => store.changesSince(slug, after), maxStreams: 100, heartbeatMs: 15_000, maxReplay: 500 });
  const publish = (change: Change) => {
    changes.push(change);
    live.publish(change);
  };
  const service = new StoryService({ store, clock, publish });
  await loadDemoIfEmpty(service, path.join(APP_ROOT, 'data', 'demo-story.json'));
  changes.length = 0;
  const accounts = new AccountService({ accounts: new MemoryAccountStore(), clock });
  const app = createApp({ service, live, accounts, clock, config: { env: 'test', baseUrl: undefined }, logger: pino({ level: 'silent' }) });
  return { ...(await withUsers({ app, service, store, clock, accounts, live })), changes };
}

const bearer = (token: string) => `Bearer ${token}`;

async function storyVersion(app: Express, slug = DEMO_SLUG): Promise<string> {
  const res = await request(app).get(`/api/stories/${slug}`).expect(200);
  return res.headers.etag as string;
}

async function publicPage(app: Express, slug = DEMO_SLUG) {
  const res = await request(app).get(`/stories/${slug}`).expect(200).expect('Content-Type', /html/);
  return cheerio.load(res.text);
}

const NEW_STORY = { slug: 'retour-altman', title: 'Le retour de Sam Altman', language: 'fr', timeZone: 'Europe/Paris' };

describe('write API: stories', () => {
  it('lets an admin create a story: 201, Location and ETag', async () => {
    const { app, admin } = await setup();
    const res = await request(app).post('/api/stories').set('Authorization', bearer(admin)).send(NEW_STORY).expect(201).expect('Content-Type', /json/);
    expect(res.headers.location).toBe('/api/stories/retour-altman');
    expect(res.headers.etag).toBe('"1"');
    expect(res.body.story).toMatchObject({ ...NEW_STORY, summary: '', status: 'developing', version: 1, createdAt: NOW, updatedAt: NOW });
    const read = await request(app).get('/api/stories/retour-altman').expect(200);
    expect(read.body).toEqual({ story: res.body.story, events: [] });
  });

  it('refuses story creation to an editor with 403 and stores nothing', async () => {
    const { app, editor } = await setup();
    const res = await request(app).post('/api/stories').set('Authorization', bearer(editor)).send(NEW_STORY).expect(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden' });
    await request(app).get('/api/stories/retour-altman').expect(404);
  });

  it('updates a story with If-Match: 200 and a new ETag', async () => {
    const { app, editor } = await setup();
    const res = await request(app).patch(API).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ status: 'concluded' }).expect(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body.story).toMatchObject({ slug: DEMO_SLUG, status: 'concluded', version: 2 });
    expect(await storyVersion(app)).toBe('"2"');
  });

  it('refuses a story update from a stale version with 412 and one without If-Match with 428', async () => {
    const { app, editor } = await setup();
    await request(app).patch(API).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ title: 'Premier titre' }).expect(200);
    const stale = await request(app).patch(API).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ title: 'Titre périmé' }).expect(412);
    expect(stale.body.error).toMatchObject({ code: 'version_mismatch' });
    const none = await request(app).patch(API).set('Authorization', bearer(editor)).send({ title: 'Sans version' }).expect(428);
    expect(none.body.error).toMatchObject({ code: 'precondition_required', field: 'If-Match' });
    const weak = await request(app).patch(API).set('Authorization', bearer(editor)).set('If-Match', 'W/"2"').send({ title: 'Faible' }).expect(412);
    expect(weak.body.error).toMatchObject({ code: 'precondition_failed' });
    const read = await request(app).get(API).expect(200);
    expect(read.body.story).toMatchObject({ title: 'Premier titre', version: 2 });
  });
});

describe('write API: events', () => {
  it('appends an event: 201, Location, ETag "1" and the event with its computed start', async () => {
    const { app, editor } = await setup();
    const res = await request(app)
      .post(`${API}/events`)
      .set('Authorization', bearer(editor))
      .send({ date: '2023-11-22T05:00', timeZone: 'America/Los_Angeles', title: 'Sam Altman revient chez OpenAI', tags: ['Sam Altman'] })
      .expect(201);
    expect(res.headers.location).toBe(`${API}/events/sam-altman-revient-chez-openai`);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toEqual({
      event: {
        id: 'sam-altman-revient-chez-openai',
        date: '2023-11-22T05:00',
        timeZone: 'America/Los_Angeles',
        approximate: false,
        title: 'Sam Altman revient chez OpenAI',
        body: '',
        sources: [],
        tags: ['Sam Altman'],
        importance: 'normal',
        verification: 'confirmed',
        createdAt: NOW,
        updatedAt: NOW,
        version: 1,
        start: '2023-11-22T14:00:00+01:00',
      },
    });
    expect(await storyVersion(app)).toBe('"2"');
  });

  it('reads one event with a strong ETag', async () => {
    const { app } = await setup();
    const res = await request(app).get(`${API}/events/${EVENT}`).expect(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body.event).toMatchObject({ id: EVENT, title: EVENT_TITLE, version: 1, start: '2023-11-20T08:53:00+01:00' });
  });

  it('edits an event with If-Match: 200 and the new ETag', async () => {
    const { app, editor } = await setup();
    const res = await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ title: 'Microsoft embauche Sam Altman' }).expect(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body.event).toMatchObject({ id: EVENT, title: 'Microsoft embauche Sam Altman', version: 2, date: '2023-11-19T23:53', start: '2023-11-20T08:53:00+01:00' });
    const read = await request(app).get(`${API}/events/${EVENT}`).expect(200);
    expect(read.headers.etag).toBe('"2"');
    expect(read.body.event.title).toBe('Microsoft embauche Sam Altman');
  });

  it('refuses an event edit from a stale version with 412, and one without If-Match with 428', async () => {
    const { app, editor } = await setup();
    await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ title: 'Première modification' }).expect(200);
    const stale = await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ title: 'Modification périmée' }).expect(412);
    expect(stale.body.error).toMatchObject({ code: 'version_mismatch' });
    const none = await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).send({ title: 'Sans version' }).expect(428);
    expect(none.body.error).toMatchObject({ code: 'precondition_required', field: 'If-Match' });
    const read = await request(app).get(`${API}/events/${EVENT}`).expect(200);
    expect(read.body.event).toMatchObject({ title: 'Première modification', version: 2 });
  });

  it('lets exactly one of two concurrent edits from the same version through, and keeps that one', async () => {
    const { app, editor } = await setup();
    const edit = (title: string) => request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ title });
    const [a, b] = await Promise.all([edit('Version A'), edit('Version B')]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const winner = a.status === 200 ? 'Version A' : 'Version B';
    const loser = a.status === 200 ? b : a;
    expect(loser.body.error).toMatchObject({ code: 'version_mismatch' });
    const read = await request(app).get(`${API}/events/${EVENT}`).expect(200);
    expect(read.body.event).toMatchObject({ title: winner, version: 2 });
    expect(await storyVersion(app)).toBe('"2"');
  });

  it('publishes a correction note on the event and in the story’s corrections', async () => {
    const { app, editor } = await setup();
    const res = await request(app)
      .patch(`${API}/events/${EVENT}`)
      .set('Authorization', bearer(editor))
      .set('If-Match', '"1"')
      .send({ title: 'Microsoft recrute Sam Altman', correction: { note: 'Greg Brockman n’était pas cité dans l’annonce.' } })
      .expect(200);
    expect(res.body.event.corrections).toEqual([{ at: NOW, note: 'Greg Brockman n’était pas cité dans l’annonce.' }]);
    const $ = await publicPage(app);
    const card = $(`article#${EVENT}`);
    expect(card.text()).toContain('Corrigé le');
    expect(card.text()).toContain('Greg Brockman n’était pas cité dans l’annonce.');
    const corrections = $('section.corrections');
    expect(corrections.find('h2').text()).toBe('Corrections');
    expect(corrections.text()).toContain('Microsoft recrute Sam Altman');
    expect(corrections.text()).toContain('Greg Brockman n’était pas cité dans l’annonce.');
  });

  it('refuses a correction without a note, or with unknown keys in it', async () => {
    const { app, editor } = await setup();
    const empty = await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ correction: { note: '  ' } }).expect(400);
    expect(empty.body.error).toMatchObject({ code: 'required', field: 'correction.note' });
    const extra = await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ correction: { note: 'ok', by: 'x' } }).expect(400);
    expect(extra.body.error).toMatchObject({ code: 'unknown_field', field: 'correction.by' });
    expect(await storyVersion(app)).toBe('"1"');
  });

  it('retracts an event: struck through with its reason, still on the page', async () => {
    const { app, editor } = await setup();
    const res = await request(app).post(`${API}/events/${EVENT}/retract`).set('Authorization', bearer(editor)).send({ reason: 'Annonce démentie par Microsoft' }).expect(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body.event).toMatchObject({ id: EVENT, version: 2, retraction: { at: NOW, reason: 'Annonce démentie par Microsoft' } });
    const $ = await publicPage(app);
    const card = $(`article#${EVENT}`);
    expect(card.length).toBe(1);
    expect(card.find('s').first().text()).toBe(EVENT_TITLE);
    expect(card.text()).toContain('Annonce démentie par Microsoft');
    expect($('section.corrections').text()).toContain('Annonce démentie par Microsoft');
    await request(app).get(`${API}/events/${EVENT}`).expect(200);
  });

  it('refuses to retract twice, to retract without a reason, and to edit a retracted event', async () => {
    const { app, editor } = await setup();
    const noReason = await request(app).post(`${API}/events/${EVENT}/retract`).set('Authorization', bearer(editor)).send({}).expect(400);
    expect(noReason.body.error).toMatchObject({ code: 'required', field: 'reason' });
    await request(app).post(`${API}/events/${EVENT}/retract`).set('Authorization', bearer(editor)).send({ reason: 'Démenti' }).expect(200);
    const again = await request(app).post(`${API}/events/${EVENT}/retract`).set('Authorization', bearer(editor)).send({ reason: 'Encore' }).expect(409);
    expect(again.body.error).toMatchObject({ code: 'event_retracted' });
    const edit = await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"2"').send({ title: 'x' }).expect(409);
    expect(edit.body.error).toMatchObject({ code: 'event_retracted' });
    expect(await storyVersion(app)).toBe('"2"');
  });

  it('retracts only from the expected version when If-Match is sent', async () => {
    const { app, editor } = await setup();
    await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ title: 'Modifié' }).expect(200);
    await request(app).post(`${API}/events/${EVENT}/retract`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ reason: 'Démenti' }).expect(412);
    await request(app).post(`${API}/events/${EVENT}/retract`).set('Authorization', bearer(editor)).set('If-Match', '"2"').send({ reason: 'Démenti' }).expect(200);
  });

  it('lets an admin delete an event (204, gone from the page and the API) but not an editor (403)', async () => {
    const { app, admin, editor } = await setup();
    const refused = await request(app).delete(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).expect(403);
    expect(refused.body.error).toMatchObject({ code: 'forbidden' });
    expect((await publicPage(app))(`article#${EVENT}`).length).toBe(1);
    expect(await storyVersion(app)).toBe('"1"');

    const res = await request(app).delete(`${API}/events/${EVENT}`).set('Authorization', bearer(admin)).expect(204);
    expect(res.text).toBe('');
    expect((await publicPage(app))(`article#${EVENT}`).length).toBe(0);
    const missing = await request(app).get(`${API}/events/${EVENT}`).expect(404);
    expect(missing.body.error).toMatchObject({ code: 'event_not_found', field: 'id' });
    const story = await request(app).get(API).expect(200);
    expect(story.body.events.map((e: { id: string }) => e.id)).not.toContain(EVENT);
    await request(app).delete(`${API}/events/${EVENT}`).set('Authorization', bearer(admin)).expect(404);
  });

  it('lists an event’s revisions: who, when, and each field before and after', async () => {
    const { app, editor, admin, clock } = await setup();
    const created = await request(app).post(`${API}/events`).set('Authorization', bearer(editor)).send({ date: '2023-11-22', title: 'Accord de principe' }).expect(201);
    const id = created.body.event.id as string;
    clock.advance(5 * 60_000);
    const editedAt = clock.now().toISOString();
    await request(app).patch(`${API}/events/${id}`).set('Authorization', bearer(admin)).set('If-Match', '"1"').send({ title: 'Accord pour le retour de Sam Altman', importance: 'key' }).expect(200);

    const res = await request(app).get(`${API}/events/${id}/revisions`).set('Authorization', bearer(editor)).expect(200);
    expect(res.body).toEqual({
      revisions: [
        { storyVersion: 2, kind: 'event.created', at: NOW, actor: 'eve', eventId: id, changes: [] },
        {
          storyVersion: 3,
          kind: 'event.updated',
          at: editedAt,
          actor: 'ada',
          eventId: id,
          changes: [
            { field: 'title', before: 'Accord de principe', after: 'Accord pour le retour de Sam Altman' },
            { field: 'importance', before: 'normal', after: 'key' },
          ],
        },
      ],
    });
    expect(editedAt).toBe('2023-11-20T13:07:00.000Z');
    await request(app).get(`${API}/events/${id}/revisions`).expect(401);
    await request(app).get(`${API}/events/no-such-event/revisions`).set('Authorization', bearer(editor)).expect(404);
  });

  it('keeps the revisions of a deleted event, with what it was', async () => {
    const { app, admin } = await setup();
    await request(app).delete(`${API}/events/${EVENT}`).set('Authorization', bearer(admin)).expect(204);
    const res = await request(app).get(`${API}/events/${EVENT}/revisions`).set('Authorization', bearer(admin)).expect(200);
    expect(res.body.revisions).toEqual([
      { storyVersion: 2, kind: 'event.deleted', at: NOW, actor: 'ada', eventId: EVENT, changes: [{ field: 'event', before: expect.objectContaining({ id: EVENT, title: EVENT_TITLE }), after: null }] },
    ]);
  });
});

describe('write API: errors', () => {
  it('answers a validation error with 400, a code, a message and the field', async () => {
    const { app, editor } = await setup();
    const res = await request(app).post(`${API}/events`).set('Authorization', bearer(editor)).send({ date: '2023-02-30', title: 'Date impossible' }).expect(400).expect('Content-Type', /json/);
    expect(res.body.error).toMatchObject({ code: 'invalid_date', field: 'date', message: expect.stringContaining('date') });
    expect(res.body.error.problems).toEqual([{ field: 'date', code: 'invalid_date', message: expect.any(String) }]);
    const missing = await request(app).post(`${API}/events`).set('Authorization', bearer(editor)).send({ date: '2023-11-22' }).expect(400);
    expect(missing.body.error).toMatchObject({ code: 'required', field: 'title' });
    const patch = await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ date: '2023-13-01' }).expect(400);
    expect(patch.body.error).toMatchObject({ code: 'invalid_date', field: 'date' });
    expect(await storyVersion(app)).toBe('"1"');
  });

  it('refuses a changed event id', async () => {
    const { app, editor } = await setup();
    const res = await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ id: 'autre' }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'immutable', field: 'id' });
  });

  const unknownField: [string, 'post' | 'patch', string, Record<string, unknown>][] = [
    ['a new story', 'post', '/api/stories', { ...NEW_STORY, owner: 'x' }],
    ['a story edit', 'patch', API, { title: 'x', owner: 'x' }],
    ['a new event', 'post', `${API}/events`, { date: '2023-11-22', title: 'x', owner: 'x' }],
    ['an event edit', 'patch', `${API}/events/${EVENT}`, { title: 'x', owner: 'x' }],
    ['a retraction', 'post', `${API}/events/${EVENT}/retract`, { reason: 'x', owner: 'x' }],
  ];
  it.each(unknownField)('refuses an unknown field in %s with 400 unknown_field and stores nothing', async (_what, method, url, body) => {
    const { app, admin, service } = await setup();
    const res = await request(app)[method](url).set('Authorization', bearer(admin)).set('If-Match', '"1"').send(body).expect(400);
    expect(res.body.error).toMatchObject({ code: 'unknown_field', field: 'owner' });
    expect(await storyVersion(app)).toBe('"1"');
    expect((await service.listStories()).map((s) => s.slug)).toEqual([DEMO_SLUG]);
  });

  const targets: [string, 'post' | 'patch', string, string][] = [
    ['a new story', 'post', '/api/stories', '"slug":"piege","title":"Piège","language":"fr","timeZone":"Europe/Paris"'],
    ['a story edit', 'patch', API, '"title":"Piège"'],
    ['a new event', 'post', `${API}/events`, '"date":"2023-11-22","title":"Piège"'],
    ['an event edit', 'patch', `${API}/events/${EVENT}`, '"title":"Piège"'],
    ['a retraction', 'post', `${API}/events/${EVENT}/retract`, '"reason":"Piège"'],
  ];
  const hostileKeys: [string, string][] = [
    ['__proto__', '"__proto__":{"importance":"key","status":"concluded","polluted":true}'],
    ['constructor', '"constructor":{"prototype":{"polluted":true}}'],
  ];
  const cases = targets.flatMap(([what, method, url, fields]) => hostileKeys.map(([key, extra]) => [key, what, method, url, `{${fields},${extra}}`] as const));
  it.each(cases)('refuses a %s key in %s with 400 and stores nothing', async (key, _what, method, url, raw) => {
    const { app, admin, service } = await setup();
    const res = await request(app)[method](url).set('Authorization', bearer(admin)).set('If-Match', '"1"').set('Content-Type', 'application/json').send(raw).expect(400);
    expect(res.body.error).toMatchObject({ code: 'unknown_field', field: key });
    expect(await storyVersion(app)).toBe('"1"');
    expect((await service.listStories()).map((s) => s.slug)).toEqual([DEMO_SLUG]);
    const event = await request(app).get(`${API}/events/${EVENT}`).expect(200);
    expect(event.body.event).toMatchObject({ title: EVENT_TITLE, version: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a __proto__ key inside a correction', async () => {
    const { app, admin } = await setup();
    const raw = '{"title":"x","correction":{"note":"n","__proto__":{"x":1}}}';
    const res = await request(app).patch(`${API}/events/${EVENT}`).set('Authorization', bearer(admin)).set('If-Match', '"1"').set('Content-Type', 'application/json').send(raw).expect(400);
    expect(res.body.error).toMatchObject({ code: 'unknown_field', field: 'correction.__proto__' });
    expect(await storyVersion(app)).toBe('"1"');
  });

  it('answers a missing token with 401 and WWW-Authenticate: Bearer', async () => {
    const { app } = await setup();
    const res = await request(app).post(`${API}/events`).send({ date: '2023-11-22', title: 'x' }).expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
    expect(res.body.error).toMatchObject({ code: 'unauthorized' });
    const bad = await request(app).post(`${API}/events`).set('Authorization', 'Bearer chrono_not-a-token').send({ date: '2023-11-22', title: 'x' }).expect(401);
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    await request(app).delete(`${API}/events/${EVENT}`).expect(401);
    expect(await storyVersion(app)).toBe('"1"');
  });

  it('does not take a valid session cookie as authorization for the API', async () => {
    const { app } = await setup();
    const cookie = await login(app, 'ada');
    await request(app).get('/admin').set('Cookie', cookie).expect(200);
    const res = await request(app).post(`${API}/events`).set('Cookie', cookie).send({ date: '2023-11-22', title: 'Par cookie' }).expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
    await request(app).delete(`${API}/events/${EVENT}`).set('Cookie', cookie).expect(401);
    await request(app).patch(`${API}/events/${EVENT}`).set('Cookie', cookie).set('If-Match', '"1"').send({ title: 'Par cookie' }).expect(401);
    expect(await storyVersion(app)).toBe('"1"');
  });

  it('refuses a revoked token', async () => {
    const { app, admin, adminTokenId, accounts } = await setup();
    await request(app).post(`${API}/events`).set('Authorization', bearer(admin)).send({ date: '2023-11-22', title: 'Avant' }).expect(201);
    await accounts.revokeToken(adminTokenId);
    const res = await request(app).post(`${API}/events`).set('Authorization', bearer(admin)).send({ date: '2023-11-22', title: 'Après' }).expect(401);
    expect(res.headers['www-authenticate']).toContain('invalid_token');
    expect(await storyVersion(app)).toBe('"2"');
  });

  it('refuses the token of a disabled user', async () => {
    const { app, editor, accounts } = await setup();
    await accounts.disableUser('eve');
    await request(app).post(`${API}/events`).set('Authorization', bearer(editor)).send({ date: '2023-11-22', title: 'x' }).expect(401);
    expect(await storyVersion(app)).toBe('"1"');
  });

  it('refuses a 2 MB body with 413', async () => {
    const { app, editor } = await setup();
    const body = JSON.stringify({ date: '2023-11-22', title: 'Gros', body: 'x'.repeat(2 * 1024 * 1024) });
    const res = await request(app).post(`${API}/events`).set('Authorization', bearer(editor)).set('Content-Type', 'application/json').send(body).expect(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large' });
    expect(await storyVersion(app)).toBe('"1"');
  });

  it('refuses a text/plain body with 415', async () => {
    const { app, editor } = await setup();
    const res = await request(app).post(`${API}/events`).set('Authorization', bearer(editor)).set('Content-Type', 'text/plain').send('{"date":"2023-11-22","title":"x"}').expect(415);
    expect(res.body.error).toMatchObject({ code: 'unsupported_media_type' });
    expect(await storyVersion(app)).toBe('"1"');
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const { app, editor } = await setup();
    const res = await request(app).post(`${API}/events`).set('Authorization', bearer(editor)).set('Content-Type', 'application/json').send('{"title":').expect(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_json' });
  });

  it('answers an unknown story or event with a JSON 404', async () => {
    const { app, editor } = await setup();
    const story = await request(app).post('/api/stories/nope/events').set('Authorization', bearer(editor)).send({ date: '2023-11-22', title: 'x' }).expect(404).expect('Content-Type', /json/);
    expect(story.body).toEqual({ error: { code: 'story_not_found', message: 'No story "nope"', field: 'slug' } });
    await request(app).patch('/api/stories/nope').set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ title: 'x' }).expect(404);
    const event = await request(app).patch(`${API}/events/nope`).set('Authorization', bearer(editor)).set('If-Match', '"1"').send({ title: 'x' }).expect(404);
    expect(event.body.error).toMatchObject({ code: 'event_not_found', field: 'id' });
    await request(app).get(`${API}/events/nope`).expect(404).expect('Content-Type', /json/);
  });
});

describe('write API: versions and published changes', () => {
  it('bumps the story version and publishes one change per accepted write, none for a refused one', async () => {
    const { app, admin, editor, changes } = await publishingApp();
    const slug = NEW_STORY.slug;
    const story = `/api/stories/${slug}`;
    const kinds = () => changes.map((c) => c.revision.kind);
    const auth = bearer(admin);

    // refused writes: nothing published, nothing bumped
    const refused = async () => {
      const before = changes.length;
      const version = await storyVersion(app, slug);
      await request(app).post(`${story}/events`).send({ date: '2023-11-22', title: 'x' }).expect(401);
      await request(app).post(`${story}/events`).set('Authorization', auth).send({ date: '2023-02-30', title: 'x' }).expect(400);
      await request(app).post(`${story}/events`).set('Authorization', auth).send({ date: '2023-11-22', title: 'x', owner: 'x' }).expect(400);
      await request(app).post(`${story}/events`).set('Authorization', auth).set('Content-Type', 'text/plain').send('x').expect(415);
      await request(app).patch(story).set('Authorization', auth).send({ title: 'x' }).expect(428);
      await request(app).patch(story).set('Authorization', auth).set('If-Match', '"999"').send({ title: 'x' }).expect(412);
      await request(app).post('/api/stories').set('Authorization', bearer(editor)).send({ ...NEW_STORY, slug: 'autre' }).expect(403);
      expect(changes).toHaveLength(before);
      expect(await storyVersion(app, slug)).toBe(version);
    };

    await request(app).post('/api/stories').set('Authorization', auth).send(NEW_STORY).expect(201);
    expect(kinds()).toEqual(['story.created']);
    expect(await storyVersion(app, slug)).toBe('"1"');
    await refused();

    await request(app).patch(story).set('Authorization', auth).set('If-Match', '"1"').send({ summary: 'Cinq jours de crise' }).expect(200);
    expect(await storyVersion(app, slug)).toBe('"2"');

    const created = await request(app).post(`${story}/events`).set('Authorization', bearer(editor)).send({ date: '2023-11-22', title: 'Sam Altman revient' }).expect(201);
    const id = created.body.event.id as string;
    expect(await storyVersion(app, slug)).toBe('"3"');
    await refused();

    await request(app).patch(`${story}/events/${id}`).set('Authorization', auth).set('If-Match', '"1"').send({ importance: 'key' }).expect(200);
    expect(await storyVersion(app, slug)).toBe('"4"');
    await request(app).patch(`${story}/events/${id}`).set('Authorization', auth).set('If-Match', '"1"').send({ importance: 'normal' }).expect(412);
    await request(app).patch(`${story}/events/${id}`).set('Authorization', auth).set('If-Match', '"2"').send({ correction: { note: 'Précision' } }).expect(200);
    expect(await storyVersion(app, slug)).toBe('"5"');
    await request(app).post(`${story}/events/${id}/retract`).set('Authorization', auth).send({ reason: 'Démenti' }).expect(200);
    expect(await storyVersion(app, slug)).toBe('"6"');
    await request(app).delete(`${story}/events/${id}`).set('Authorization', bearer(editor)).expect(403);
    await request(app).delete(`${story}/events/${id}`).set('Authorization', auth).expect(204);
    expect(await storyVersion(app, slug)).toBe('"7"');
    await refused();

    expect(kinds()).toEqual(['story.created', 'story.updated', 'event.created', 'event.updated', 'event.corrected', 'event.retracted', 'event.deleted']);
    expect(changes.map((c) => c.story.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(changes.map((c) => c.revision.storyVersion)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(changes.every((c) => c.story.slug === slug)).toBe(true);
    expect(changes.map((c) => c.revision.actor)).toEqual(['ada', 'ada', 'eve', 'ada', 'ada', 'ada', 'ada']);
    expect(changes.map((c) => c.event?.version)).toEqual([undefined, undefined, 1, 2, 3, 4, undefined]);
    expect(changes[5]?.event?.retraction).toEqual({ at: NOW, reason: 'Démenti' });
    // the demo story was not touched by any of this
    expect(await storyVersion(app)).toBe('"1"');
  });
});
