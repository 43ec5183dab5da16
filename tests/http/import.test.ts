// The editor's import over HTTP: upload → dry-run preview → confirm; bad rows; too large a file.
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { Express } from 'express';
import { toCsv, toTimelineJs, MAX_IMPORT_BYTES } from '../../server/web/interchange.js';
import { DEMO_SLUG, demoApp } from './harness.js';
import { login, PASSWORD, sessionCsrf } from './sessions.js';
import { BAD_CSV } from '../fixtures/csv.js';

const TEMPLATE_CSV = [
  'Year,Month,Day,Time,End Year,End Month,End Day,End Time,Display Date,Headline,Text,Media,Media Credit,Media Caption,Media Thumbnail,Type,Group,Background',
  ',,,,,,,,,Une chronologie importée,"<p>Résumé du fichier</p>",,,,,title,,',
  '1969,7,20,20:17,,,,,,Premiers pas sur la Lune,"<p>Un <i>petit</i> pas</p>",https://example.org/lune.jpg,NASA,La Lune,,,Espace,',
  '1969,,,,1972,,,,,Le programme Apollo,Plusieurs années,,,,,,Espace,',
  '1961,4,12,,,,,,,Gagarine en orbite,,,,,,,,',
].join('\r\n');


async function setup() {
  const h = await demoApp();
  await h.accounts.createUser('ada', 'admin', PASSWORD);
  const cookie = await login(h.app, 'ada');
  const csrf = await sessionCsrf(h.app, cookie, '/admin/import');
  return { ...h, cookie, csrf };
}

function upload(app: Express, cookie: string, csrf: string, file: Buffer | string, name: string, fields: Record<string, string> = {}) {
  let req = request(app).post('/admin/import').set('Cookie', cookie).field('_csrf', csrf);
  for (const [k, v] of Object.entries({ slug: 'importee', title: '', language: 'fr', timeZone: 'Europe/Paris', ...fields })) req = req.field(k, v);
  return req.attach('file', Buffer.isBuffer(file) ? file : Buffer.from(file), name);
}

/** The preview table's rows: line number, date, title and error texts. */
function previewRows(html: string) {
  const $ = cheerio.load(html);
  return $('table.import-table tbody tr')
    .toArray()
    .map((tr) => {
      const cells = $(tr).find('td');
      return {
        row: Number(cells.eq(0).text().trim()),
        title: cells.eq(2).text().trim(),
        errors: cells.eq(3).find('.field-error').toArray().map((e) => $(e).text().trim()),
        bad: $(tr).hasClass('has-error'),
      };
    });
}

describe('editor import', () => {
  it('previews every event without storing anything, then stores them all on confirmation', async () => {
    const { app, store, cookie, csrf } = await setup();
    const before = await store.listStories();
    const preview = await upload(app, cookie, csrf, TEMPLATE_CSV, 'modele.csv').expect(200);
    expect(preview.headers['cache-control']).toMatch(/no-store/);
    const rows = previewRows(preview.text);
    expect(rows).toEqual([
      { row: 3, title: 'Premiers pas sur la Lune', errors: [], bad: false },
      { row: 4, title: 'Le programme Apollo', errors: [], bad: false },
      { row: 5, title: 'Gagarine en orbite', errors: [], bad: false },
    ]);
    const $ = cheerio.load(preview.text);
    expect($('.notice').text()).toContain('3 événements prêts à être importés dans la nouvelle chronique « importee »');
    const form = $('form[action^="/admin/import/"]');
    expect(form).toHaveLength(1);
    expect(form.find('button[type="submit"]').text()).toBe('Importer');
    // a dry run: nothing stored yet
    expect(await store.getStory('importee')).toBeUndefined();
    expect(await store.listStories()).toEqual(before);

    const confirm = await request(app).post(form.attr('action')!).set('Cookie', cookie).type('form').send({ _csrf: form.find('input[name="_csrf"]').attr('value') }).expect(303);
    expect(confirm.headers.location).toBe('/admin/stories/importee');
    const record = (await store.getStory('importee'))!;
    expect(record.story).toMatchObject({ title: 'Une chronologie importée', summary: 'Résumé du fichier', language: 'fr', timeZone: 'Europe/Paris' });
    expect(record.events.map((e) => [e.title, e.date, e.endDate])).toEqual([
      ['Premiers pas sur la Lune', '1969-07-20T20:17', undefined],
      ['Le programme Apollo', '1969', '1972'],
      ['Gagarine en orbite', '1961-04-12', undefined],
    ]);
    expect(record.revisions.map((r) => [r.kind, r.actor])).toEqual([['story.created', 'ada']]);
    const editor = await request(app).get(confirm.headers.location!).set('Cookie', cookie).expect(200);
    expect(editor.text).toContain('Premiers pas sur la Lune');
    // the public page shows them too
    await request(app).get('/stories/importee').expect(200);

    // the same confirmation cannot be used twice
    const again = await request(app).post(form.attr('action')!).set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(410);
    expect(again.text).toContain('Cet import a expiré');
    expect((await store.getStory('importee'))!.events).toHaveLength(3);
  });

  it('adds to an existing story, and takes TimelineJS JSON', async () => {
    const { app, store, service, cookie, csrf } = await setup();
    const other = await demoApp({ demo: false });
    await other.service.createStory({ slug: 'source', title: 'Source', language: 'fr', timeZone: 'Europe/Paris' }, [
      { id: 'nouveau-a', date: '2023-11-22', title: 'Nouveau A' },
      { id: 'nouveau-b', date: '2023-11-23T12:00', title: 'Nouveau B' },
    ]);
    const json = JSON.stringify(toTimelineJs(await other.service.getStory('source')));
    const count = (await service.getStory(DEMO_SLUG)).events.length;
    const preview = await upload(app, cookie, csrf, json, 'source.json', { slug: DEMO_SLUG }).expect(200);
    expect(previewRows(preview.text).map((r) => r.title)).toEqual(['Nouveau A', 'Nouveau B']);
    expect(cheerio.load(preview.text)('h1').text()).toContain('timelinejs');
    expect((await service.getStory(DEMO_SLUG)).events).toHaveLength(count);
    const form = cheerio.load(preview.text)('form[action^="/admin/import/"]');
    await request(app).post(form.attr('action')!).set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(303).expect('Location', `/admin/stories/${DEMO_SLUG}`);
    const record = (await store.getStory(DEMO_SLUG))!;
    expect(record.events).toHaveLength(count + 2);
    expect(record.revisions.at(-1)!.kind).toBe('events.imported');
  });

  it('lists each bad row with its error, offers no confirmation and stores nothing', async () => {
    const { app, store, cookie, csrf } = await setup();
    const before = await store.listStories();
    const res = await upload(app, cookie, csrf, BAD_CSV, 'mauvais.csv', { slug: 'mauvaise' }).expect(400);
    const rows = previewRows(res.text);
    expect(rows.map((r) => [r.row, r.bad])).toEqual([
      [2, false],
      [3, true],
      [4, true],
      [5, true],
      [6, false],
    ]);
    expect(rows[1]!.errors).toEqual([expect.stringMatching(/^date — Date impossible/)]);
    expect(rows[2]!.errors).toEqual([expect.stringMatching(/^title — Champ obligatoire/)]);
    expect(rows[3]!.errors).toEqual([expect.stringMatching(/^timeZone — Fuseau horaire inconnu/)]);
    const $ = cheerio.load(res.text);
    expect($('.error-summary').text()).toContain('3 ligne(s) en erreur : rien ne sera importé');
    expect($('form[action^="/admin/import/"]')).toHaveLength(0);
    expect($('button').filter((_i, el) => $(el).text().trim() === 'Importer')).toHaveLength(0);
    expect(await store.getStory('mauvaise')).toBeUndefined();
    expect(await store.listStories()).toEqual(before);
  });

  it('refuses a 10 MB file with 413 and an error message, storing nothing', async () => {
    const { app, store, cookie, csrf } = await setup();
    const before = structuredClone(await store.getStory(DEMO_SLUG));
    const stories = await store.listStories();
    const line = '2023,11,20,,,,,,,Ligne,\n';
    const big = Buffer.from(`Year,Month,Day,Time,End Year,End Month,End Day,End Time,Display Date,Headline,Text\n${line.repeat(Math.ceil((10 * 1024 * 1024) / line.length))}`);
    expect(big.length).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    expect(big.length).toBeGreaterThan(MAX_IMPORT_BYTES);
    for (const slug of ['enorme', DEMO_SLUG]) {
      const res = await upload(app, cookie, csrf, big, 'big.csv', { slug }).expect(413);
      const $ = cheerio.load(res.text);
      expect($('.error-summary').text()).toContain('Fichier trop volumineux : 5 Mo au plus.');
      expect($('form.import-form')).toHaveLength(1);
    }
    expect(await store.getStory('enorme')).toBeUndefined();
    expect(await store.listStories()).toEqual(stories);
    expect(await store.getStory(DEMO_SLUG)).toEqual(before);
  });

  it('needs the session’s CSRF token and a file', async () => {
    const { app, store, cookie } = await setup();
    const before = await store.listStories();
    await upload(app, cookie, 'not-the-token', TEMPLATE_CSV, 'modele.csv').expect(403);
    const none = await request(app).post('/admin/import').set('Cookie', cookie).field('_csrf', await sessionCsrf(app, cookie, '/admin/import')).field('slug', 'importee').expect(400);
    expect(cheerio.load(none.text)('.error-summary').text()).toContain('Choisissez un fichier.');
    expect(await store.listStories()).toEqual(before);
  });

  it('exports a story for download', async () => {
    const { app, service, cookie } = await setup();
    const record = await service.getStory(DEMO_SLUG);
    const csv = await request(app).get(`/admin/stories/${DEMO_SLUG}/export.csv`).set('Cookie', cookie).expect(200).expect('Content-Type', /text\/csv/);
    expect(csv.headers['content-disposition']).toContain(`${DEMO_SLUG}.csv`);
    expect(csv.text).toBe(toCsv(record));
    const tjs = await request(app).get(`/admin/stories/${DEMO_SLUG}/export.timelinejs.json`).set('Cookie', cookie).buffer(true).parse((res, cb) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (data += chunk));
      res.on('end', () => cb(null, data));
    }).expect(200);
    expect(JSON.parse(tjs.body as string)).toEqual(toTimelineJs(record));
    // not without a session
    const anonymous = await request(app).get(`/admin/stories/${DEMO_SLUG}/export.csv`).expect(303);
    expect(anonymous.headers.location).toBe(`/login?next=${encodeURIComponent(`/admin/stories/${DEMO_SLUG}/export.csv`)}`);
  });
});
