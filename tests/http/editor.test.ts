import * as cheerio from 'cheerio';
import request, { type Response } from 'supertest';
import type { Express } from 'express';
import { DEMO_SLUG, demoApp } from './harness.js';
import { login, PASSWORD } from './sessions.js';
import { expectInert } from './inert.js';

const STORY = `/admin/stories/${DEMO_SLUG}`;
const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';

type Fields = Record<string, string | string[]>;

async function setup() {
  const h = await demoApp();
  await h.accounts.createUser('eve', 'editor', PASSWORD);
  await h.accounts.createUser('ada', 'admin', PASSWORD);
  const editor = await login(h.app, 'eve');
  return { ...h, editor };
}

/** The fields a browser would send for a form: inputs, checked boxes and radios, textareas, selects. */
function formFields(html: string, selector: string): Fields {
  const $ = cheerio.load(html);
  const form = $(selector).first();
  if (!form.length) throw new Error(`no form ${selector} on the page`);
  const fields: Fields = {};
  const add = (name: string, value: string) => {
    const current = fields[name];
    if (current === undefined) fields[name] = value;
    else fields[name] = Array.isArray(current) ? [...current, value] : [current, value];
  };
  form.find('input[name], textarea[name], select[name]').each((_i, el) => {
    const field = $(el);
    const name = field.attr('name')!;
    const type = (field.attr('type') ?? '').toLowerCase();
    if (el.tagName === 'textarea') return add(name, field.text());
    if (el.tagName === 'select') return add(name, field.find('option[selected]').attr('value') ?? field.find('option').first().attr('value') ?? '');
    if (type === 'checkbox' || type === 'radio') {
      if (field.attr('checked') !== undefined) add(name, field.attr('value') ?? 'on');
      return;
    }
    if (type === 'submit') return;
    add(name, field.attr('value') ?? '');
  });
  return fields;
}

async function page(app: Express, cookie: string, path: string): Promise<string> {
  const res = await request(app).get(path).set('Cookie', cookie).expect(200);
  return res.text;
}

/** GET a page, take one of its forms as the browser shows it, change some fields, and post it. */
async function submit(app: Express, cookie: string, path: string, selector: string, changes: Fields, action?: string): Promise<Response> {
  const html = await page(app, cookie, path);
  const $ = cheerio.load(html);
  const target = action ?? $(selector).first().attr('action')!;
  return request(app).post(target).set('Cookie', cookie).type('form').send({ ...formFields(html, selector), ...changes });
}

const eventPath = (id: string) => `${STORY}/events/${encodeURIComponent(id)}`;

/** Adds an event through the story editor's form; returns its id. */
async function addEvent(app: Express, cookie: string, changes: Fields): Promise<string> {
  const res = await submit(app, cookie, STORY, 'form.event-form', { action: 'save', ...changes });
  expect(res.status).toBe(303);
  const match = /\?saved=([^#]+)#event-/.exec(res.headers.location as string);
  if (!match) throw new Error(`unexpected redirect ${res.headers.location}`);
  return decodeURIComponent(match[1]!);
}

async function apiEvent(app: Express, id: string) {
  const res = await request(app).get(`/api/stories/${DEMO_SLUG}/events/${encodeURIComponent(id)}`);
  return res.status === 200 ? res.body.event : undefined;
}

async function publicPage(app: Express) {
  const res = await request(app).get(`/stories/${DEMO_SLUG}`).expect(200);
  return cheerio.load(res.text);
}


describe('editor over HTTP', () => {
  it('offers the add-event form starting today in the story’s zone', async () => {
    const { app, editor } = await setup();
    const html = await page(app, editor, STORY);
    const $ = cheerio.load(html);
    const form = $('form.event-form');
    expect(form.attr('action')).toBe(`${STORY}/events`);
    expect(form.find('#year').val()).toBe('2023');
    expect(form.find('#month').val()).toBe('11');
    expect(form.find('#day').val()).toBe('20');
    expect(form.find('input[name="precision"][checked]').val()).toBe('day');
    expect(form.find('#f-timeZone').val()).toBe('Europe/Paris');
    expect(form.find('input[name="version"]').length).toBe(0);
  });

  it('keeps every typed value and explains the date in French when the date is impossible', async () => {
    const { app, editor, service } = await setup();
    const typed = {
      action: 'save',
      year: '2023',
      month: '02',
      day: '30',
      title: 'Le conseil se réunit',
      body: 'Réunion **extraordinaire** du conseil.',
      'sources[0][label]': 'The Verge',
      'sources[0][url]': 'https://www.theverge.com/2023/11/20/openai',
      newTags: 'Conseil, Crise',
    };
    const res = await submit(app, editor, STORY, 'form.event-form', typed);
    expect(res.status).toBe(400);
    const $ = cheerio.load(res.text);
    const date = $('fieldset#f-date');
    expect(date.find('.field-error').text()).toBe('Date impossible : vérifiez le jour, le mois et l’année (et l’heure au format HH:MM).');
    expect(date.find('#year').attr('aria-invalid')).toBe('true');
    expect($('.error-summary').text()).toContain('Date');
    expect($('#year').val()).toBe('2023');
    expect($('#month').val()).toBe('02');
    expect($('#day').val()).toBe('30');
    expect($('#f-title').val()).toBe('Le conseil se réunit');
    expect($('#f-body').text()).toBe('Réunion **extraordinaire** du conseil.');
    expect($('#f-sources-0-label').val()).toBe('The Verge');
    expect($('#f-sources-0-url').val()).toBe('https://www.theverge.com/2023/11/20/openai');
    expect($('#f-newTags').val()).toBe('Conseil, Crise');
    expect($('.field-error').length).toBe(1);
    expect((await service.getStory(DEMO_SLUG)).story.version).toBe(1);
  });

  it('saves a valid event, redirects to it in the list, and shows it on the public page', async () => {
    const { app, editor } = await setup();
    const res = await submit(app, editor, STORY, 'form.event-form', {
      action: 'save',
      day: '22',
      title: 'Sam Altman revient chez OpenAI',
      body: 'Accord de principe.',
      'sources[0][label]': 'OpenAI',
      'sources[0][url]': 'https://openai.com/blog',
      newTags: 'Sam Altman, Retour',
    });
    expect(res.status).toBe(303);
    const id = 'sam-altman-revient-chez-openai';
    expect(res.headers.location).toBe(`${STORY}?saved=${id}#event-${id}`);
    const list = cheerio.load(await page(app, editor, `${STORY}?saved=${id}`));
    expect(list('[role="status"]').text()).toContain('Événement enregistré.');
    expect(list(`li#event-${id}`).hasClass('is-saved')).toBe(true);
    expect(await apiEvent(app, id)).toMatchObject({ date: '2023-11-22', title: 'Sam Altman revient chez OpenAI', sources: [{ label: 'OpenAI', url: 'https://openai.com/blog' }], tags: ['Sam Altman', 'Retour'] });
    const $ = await publicPage(app);
    expect($(`article#${id}`).text()).toContain('Sam Altman revient chez OpenAI');
  });

  it('edits an event from its form version and refuses a stale one with a side-by-side conflict page', async () => {
    const { app, editor } = await setup();
    const id = 'lettre-des-salaries';
    const before = await page(app, editor, eventPath(id));
    const stale = formFields(before, 'form.event-form');
    expect(stale.version).toBe('1');

    const first = await request(app).post(eventPath(id)).set('Cookie', editor).type('form').send({ ...stale, action: 'save', title: 'Plus de 700 salariés menacent de partir' });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe(`${STORY}?saved=${id}#event-${id}`);
    expect(await apiEvent(app, id)).toMatchObject({ title: 'Plus de 700 salariés menacent de partir', version: 2 });

    const second = await request(app).post(eventPath(id)).set('Cookie', editor).type('form').send({ ...stale, action: 'save', title: '490 salariés signent la lettre' });
    expect(second.status).toBe(409);
    const $ = cheerio.load(second.text);
    expect($('h1').text()).toBe('Modification concurrente');
    const sides = $('.side-by-side > section');
    expect(sides.length).toBe(2);
    expect(sides.eq(0).find('h2').text()).toBe('Votre version (non enregistrée)');
    expect(sides.eq(0).find('article').text()).toContain('490 salariés signent la lettre');
    expect(sides.eq(1).find('h2').text()).toBe('Version actuelle');
    expect(sides.eq(1).find('article').text()).toContain('Plus de 700 salariés menacent de partir');
    // nothing overwritten; the form on the page is based on the current version
    expect(await apiEvent(app, id)).toMatchObject({ title: 'Plus de 700 salariés menacent de partir', version: 2 });
    const reapply = formFields(second.text, 'form.event-form');
    expect(reapply.version).toBe('2');
    expect(reapply.title).toBe('490 salariés signent la lettre');
    const again = await request(app).post(eventPath(id)).set('Cookie', editor).type('form').send({ ...reapply, action: 'save' });
    expect(again.status).toBe(303);
    expect(await apiEvent(app, id)).toMatchObject({ title: '490 salariés signent la lettre', version: 3 });
  });

  it('publishes a correction made through the form', async () => {
    const { app, editor } = await setup();
    const id = 'lettre-des-salaries';
    const res = await submit(app, editor, eventPath(id), 'form.event-form', {
      action: 'save',
      title: 'Quelque 500 salariés menacent de rejoindre Microsoft',
      correction: 'on',
      correctionNote: 'Le nombre de signataires a été mis à jour.',
    });
    expect(res.status).toBe(303);
    expect(await apiEvent(app, id)).toMatchObject({ version: 2, corrections: [{ note: 'Le nombre de signataires a été mis à jour.' }] });
    const $ = await publicPage(app);
    const card = $(`article#${id}`);
    expect(card.text()).toContain('Corrigé le');
    expect(card.text()).toContain('Le nombre de signataires a été mis à jour.');
    expect($('section.corrections').text()).toContain('Le nombre de signataires a été mis à jour.');
  });

  it('asks for a note when a correction is ticked without one', async () => {
    const { app, editor } = await setup();
    const res = await submit(app, editor, eventPath('lettre-des-salaries'), 'form.event-form', { action: 'save', correction: 'on', correctionNote: '' });
    expect(res.status).toBe(400);
    expect(cheerio.load(res.text)('#f-correction-note-error').text()).toBe('Champ obligatoire.');
    expect(await apiEvent(app, 'lettre-des-salaries')).toMatchObject({ version: 1 });
  });

  it('retracts an event through the form', async () => {
    const { app, editor } = await setup();
    const id = 'lettre-des-salaries';
    const res = await submit(app, editor, eventPath(id), `form[action="${eventPath(id)}/retract"]`, { reason: 'La lettre n’a pas été authentifiée.' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(eventPath(id));
    const $ = await publicPage(app);
    const card = $(`article#${id}`);
    expect(card.find('s').first().text()).toBe('Quelque 490 salariés menacent de rejoindre Microsoft');
    expect(card.text()).toContain('La lettre n’a pas été authentifiée.');
    // the editor now shows the retracted card, and no form to edit it
    const editorPage = cheerio.load(await page(app, editor, eventPath(id)));
    expect(editorPage('form.event-form').length).toBe(0);
    expect(editorPage(`article#${id} s`).text()).toBe('Quelque 490 salariés menacent de rejoindre Microsoft');
    expect(cheerio.load(await page(app, editor, STORY))(`li#event-${id} s`).text()).toBe('Quelque 490 salariés menacent de rejoindre Microsoft');
  });

  it('lets an admin delete an event through the form, but not an editor', async () => {
    const { app, editor, service } = await setup();
    const id = 'lettre-des-salaries';
    const editorPage = await page(app, editor, eventPath(id));
    expect(cheerio.load(editorPage)(`form[action="${eventPath(id)}/delete"]`).length).toBe(0);
    const csrf = cheerio.load(editorPage)('input[name="_csrf"]').first().attr('value')!;
    await request(app).post(`${eventPath(id)}/delete`).set('Cookie', editor).type('form').send({ _csrf: csrf }).expect(403);
    expect(await apiEvent(app, id)).toBeDefined();
    expect((await service.getStory(DEMO_SLUG)).story.version).toBe(1);

    const admin = await login(app, 'ada');
    const res = await submit(app, admin, eventPath(id), `form[action="${eventPath(id)}/delete"]`, {});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(STORY);
    expect(await apiEvent(app, id)).toBeUndefined();
    expect((await publicPage(app))(`article#${id}`).length).toBe(0);
    await request(app).get(eventPath(id)).set('Cookie', admin).expect(404);
  });

  it('lists who changed what in the event’s history', async () => {
    const { app, editor } = await setup();
    const id = await addEvent(app, editor, { day: '21', title: 'Le conseil négocie' });
    const admin = await login(app, 'ada');
    await submit(app, admin, eventPath(id), 'form.event-form', { action: 'save', title: 'Le conseil négocie avec Sam Altman' });
    const $ = cheerio.load(await page(app, editor, eventPath(id)));
    const items = $('section.history > ol > li');
    expect(items.length).toBe(2);
    // newest first
    expect(items.eq(0).find('strong').text()).toBe('Modification');
    expect(items.eq(0).text()).toContain('par ada');
    expect(items.eq(0).find('time').attr('datetime')).toBe('2023-11-20T13:02:00.000Z');
    expect(items.eq(0).find('.changes code').text()).toBe('title');
    expect(items.eq(0).find('.changes del').text()).toBe('"Le conseil négocie"');
    expect(items.eq(0).find('.changes ins').text()).toBe('"Le conseil négocie avec Sam Altman"');
    expect(items.eq(1).find('strong').text()).toBe('Création');
    expect(items.eq(1).text()).toContain('par eve');
  });
});

describe('editor pages with hostile input', () => {
  const hostile: Fields = {
    day: '21',
    title: `${SCRIPT} ${IMG}`,
    body: `${SCRIPT}\n\n${IMG}\n\n[clic](javascript:alert(1))`,
    'sources[0][label]': `${SCRIPT}${IMG}`,
    'sources[0][url]': 'https://example.org/source',
    newTags: `${SCRIPT}, ${IMG}`,
  };

  async function hostileEvent() {
    const h = await setup();
    const id = await addEvent(h.app, h.editor, hostile);
    return { ...h, id };
  }

  it('stores the text as typed', async () => {
    const { app, id } = await hostileEvent();
    expect(await apiEvent(app, id)).toMatchObject({
      title: `${SCRIPT} ${IMG}`,
      sources: [{ label: `${SCRIPT}${IMG}`, url: 'https://example.org/source' }],
      tags: [SCRIPT, IMG],
    });
  });

  it('is inert in the story editor’s list and in the event editor, and shown as typed', async () => {
    const { app, editor, id } = await hostileEvent();
    const list = await page(app, editor, `${STORY}?saved=${encodeURIComponent(id)}`);
    expectInert(list);
    expect(list).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(cheerio.load(list)(`li#event-${id} a`).text()).toBe(`${SCRIPT} ${IMG}`);

    const edit = await page(app, editor, eventPath(id));
    expectInert(edit);
    const $ = cheerio.load(edit);
    expect($('#f-title').val()).toBe(`${SCRIPT} ${IMG}`);
    expect($('#f-body').text()).toBe(hostile.body);
    expect($('#f-sources-0-label').val()).toBe(`${SCRIPT}${IMG}`);
    expect($('input[name="tags"][checked]').toArray().map((el) => $(el).attr('value')).sort()).toEqual([SCRIPT, IMG].sort());
  });

  it('is inert in the preview (action=preview) of a new event and of an edit', async () => {
    const { app, editor, id, service } = await hostileEvent();
    const version = (await service.getStory(DEMO_SLUG)).story.version;
    const fresh = await submit(app, editor, STORY, 'form.event-form', { ...hostile, action: 'preview' });
    expect(fresh.status).toBe(200);
    expectInert(fresh.text);
    const card = cheerio.load(fresh.text)('.preview article');
    expect(card.length).toBe(1);
    expect(card.find('.event__title').text()).toContain(`${SCRIPT} ${IMG}`);

    const edit = await submit(app, editor, eventPath(id), 'form.event-form', { action: 'preview', body: `${IMG}\n\n${SCRIPT}` });
    expect(edit.status).toBe(200);
    expectInert(edit.text);
    expect(cheerio.load(edit.text)('.preview article').length).toBe(1);

    const html = cheerio.load(await page(app, editor, STORY));
    const csrf = html('form.event-form input[name="_csrf"]').attr('value')!;
    const json = await request(app).post(`${STORY}/preview`).set('Cookie', editor).type('form').send({ ...formFields(await page(app, editor, STORY), 'form.event-form'), ...hostile, _csrf: csrf }).expect(200);
    expect(typeof json.body.html).toBe('string');
    expect(json.body.html).toContain('&lt;script&gt;');
    expectInert(json.body.html);
    // a preview stores nothing
    expect((await service.getStory(DEMO_SLUG)).story.version).toBe(version);
  });

  it('is inert on the page that reports an invalid date', async () => {
    const { app, editor } = await setup();
    const res = await submit(app, editor, STORY, 'form.event-form', { ...hostile, action: 'save', month: '02', day: '30' });
    expect(res.status).toBe(400);
    expectInert(res.text);
    expect(cheerio.load(res.text)('#f-title').val()).toBe(`${SCRIPT} ${IMG}`);
  });

  it('is inert on the conflict page', async () => {
    const { app, editor, id } = await hostileEvent();
    const stale = formFields(await page(app, editor, eventPath(id)), 'form.event-form');
    const first = await request(app).post(eventPath(id)).set('Cookie', editor).type('form').send({ ...stale, action: 'save', body: `${IMG} ${SCRIPT}` });
    expect(first.status).toBe(303);
    const res = await request(app)
      .post(eventPath(id))
      .set('Cookie', editor)
      .type('form')
      .send({ ...stale, action: 'save', title: `${IMG} ${SCRIPT}`, newTags: `${IMG}`, 'sources[0][label]': `${IMG}` });
    expect(res.status).toBe(409);
    expectInert(res.text);
    const $ = cheerio.load(res.text);
    expect($('.side-by-side article').length).toBe(2);
    expect($('#f-title').val()).toBe(`${IMG} ${SCRIPT}`);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
