// The embeddable chronology: /embed/:slug (and one event), /embed.js, and the "as of" versions.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { Express } from 'express';
import { APP_ROOT } from '../../server/config.js';
import { articleIds, DEMO_SLUG, demoApp } from './harness.js';
import { login, PASSWORD, setCookies } from './sessions.js';

/** A fixed Host, so absolute URLs (built from the request) are the same on every request. */
const HOST = 'chrono.test';
const ORIGIN = `http://${HOST}`;
const ADMIN = { name: 't', role: 'admin' } as const;

const get = (app: Express, url: string) => request(app).get(url).set('Host', HOST);

/** The desc order of the full story page, the order the embed also starts from. */
async function storyOrder(app: Express, slug = DEMO_SLUG): Promise<string[]> {
  const res = await get(app, `/stories/${slug}?order=desc`).expect(200);
  return articleIds(res.text);
}

function csp(res: request.Response): string {
  return String(res.headers['content-security-policy'] ?? '');
}

describe('GET /embed/:slug', () => {
  it('renders every card without the site chrome, opening links outside the frame', async () => {
    const { app, service } = await demoApp();
    const res = await get(app, `/embed/${DEMO_SLUG}`).expect(200).expect('Content-Type', /text\/html/);
    const $ = cheerio.load(res.text);
    expect($('.sitebar')).toHaveLength(0);
    expect($('a.skip')).toHaveLength(0);
    expect($('body').hasClass('embed')).toBe(true);
    expect($('html').attr('lang')).toBe('fr');
    expect($('html').attr('data-theme')).toBeUndefined();
    expect($('base').attr('target')).toBe('_blank');
    expect($('head base')).toHaveLength(1);
    expect($('meta[name="robots"]').attr('content')).toBe('noindex');
    const record = await service.getStory(DEMO_SLUG);
    expect(articleIds(res.text)).toEqual(await storyOrder(app));
    expect(articleIds(res.text)).toHaveLength(record.events.length);
    // the header links to the full chronology on its absolute address
    expect($('.embed-head__full').attr('href')).toBe(`${ORIGIN}/stories/${DEMO_SLUG}`);
    expect($('.embed-head__full').text()).toContain('Voir la chronologie complète');
    // everything is shown, so no "more" link at the bottom
    expect($('.embed-more')).toHaveLength(0);
    // a live embed keeps itself up to date
    expect($('#chronology').attr('data-live')).toBe(`/stories/${DEMO_SLUG}/live`);
    expect($('#chronology').attr('data-embed')).toBe('1');
  });

  it('shows the latest N events with `limit` and links to the full chronology', async () => {
    const { app } = await demoApp();
    const order = await storyOrder(app);
    const res = await get(app, `/embed/${DEMO_SLUG}?limit=2`).expect(200);
    expect(articleIds(res.text)).toEqual(order.slice(0, 2));
    const $ = cheerio.load(res.text);
    const more = $('.embed-more a');
    expect(more).toHaveLength(1);
    expect(more.attr('href')).toBe(`${ORIGIN}/stories/${DEMO_SLUG}`);
    expect(more.text()).toContain('Voir la chronologie complète');

    // the latest N, shown oldest first with order=asc
    const asc = await get(app, `/embed/${DEMO_SLUG}?limit=3&order=asc`).expect(200);
    expect(articleIds(asc.text)).toEqual(order.slice(0, 3).reverse());
    expect(cheerio.load(asc.text)('.embed-more a').attr('href')).toBe(`${ORIGIN}/stories/${DEMO_SLUG}`);

    // a limit at or above the number of events shows all of them, without the "more" link
    const all = await get(app, `/embed/${DEMO_SLUG}?limit=${order.length}`).expect(200);
    expect(articleIds(all.text)).toEqual(order);
    expect(cheerio.load(all.text)('.embed-more')).toHaveLength(0);
  });

  it('orders oldest first with order=asc', async () => {
    const { app } = await demoApp();
    const order = await storyOrder(app);
    const res = await get(app, `/embed/${DEMO_SLUG}?order=asc`).expect(200);
    expect(articleIds(res.text)).toEqual([...order].reverse());
    expect(cheerio.load(res.text)('#chronology').attr('data-order')).toBe('asc');
  });

  it('keeps only events with every tag in `tags`, and only key events with key=1', async () => {
    const { app, service } = await demoApp();
    const { events } = await service.getStory(DEMO_SLUG);
    const order = await storyOrder(app);
    const withTags = (tags: string[]) => order.filter((id) => tags.every((t) => events.find((e) => e.id === id)!.tags.includes(t)));

    const microsoft = await get(app, `/embed/${DEMO_SLUG}?tags=Microsoft`).expect(200);
    expect(articleIds(microsoft.text)).toEqual(withTags(['Microsoft']));
    expect(articleIds(microsoft.text).length).toBeGreaterThan(0);

    const both = await get(app, `/embed/${DEMO_SLUG}?tags=${encodeURIComponent('OpenAI,Mira Murati')}`).expect(200);
    expect(articleIds(both.text)).toEqual(withTags(['OpenAI', 'Mira Murati']));
    expect(articleIds(both.text).length).toBeLessThan(withTags(['OpenAI']).length);

    const key = await get(app, `/embed/${DEMO_SLUG}?key=1`).expect(200);
    const keyIds = order.filter((id) => events.find((e) => e.id === id)!.importance === 'key');
    expect(keyIds.length).toBeGreaterThan(0);
    expect(keyIds.length).toBeLessThan(order.length);
    expect(articleIds(key.text)).toEqual(keyIds);
    expect(JSON.parse(cheerio.load(key.text)('#chronology').attr('data-filter')!)).toMatchObject({ keyOnly: true });
  });

  it('takes a dark theme and English labels and dates', async () => {
    const { app } = await demoApp();
    const fr = cheerio.load((await get(app, `/embed/${DEMO_SLUG}`).expect(200)).text);
    const res = await get(app, `/embed/${DEMO_SLUG}?theme=dark&lang=en`).expect(200);
    const $ = cheerio.load(res.text);
    expect($('html').attr('data-theme')).toBe('dark');
    expect($('html').attr('lang')).toBe('en');
    expect($('.embed-head__full').text()).toContain('See the full timeline');
    expect(res.text).not.toContain('Voir la chronologie complète');
    expect($('.day__heading').first().text()).toBe('Monday November 20, 2023');
    expect(fr('.day__heading').first().text()).toBe('lundi 20 novembre 2023');
    expect($('.event__sources').first().text()).toMatch(/^Sources:/);
    expect($('.status').text()).toBe('Developing');
    expect(fr('.status').text()).toBe('En cours');
    // the light theme is named too; anything else is the reader's own preference
    expect(cheerio.load((await get(app, `/embed/${DEMO_SLUG}?theme=light`)).text)('html').attr('data-theme')).toBe('light');
    expect(cheerio.load((await get(app, `/embed/${DEMO_SLUG}?theme=pink&lang=xx`)).text)('html').attr('data-theme')).toBeUndefined();
    expect(cheerio.load((await get(app, `/embed/${DEMO_SLUG}?lang=xx`)).text)('html').attr('lang')).toBe('fr');
  });

  it('answers 404 for an unknown story', async () => {
    const { app } = await demoApp();
    await get(app, '/embed/no-such-story').expect(404);
  });
});

describe('embed headers and sessions', () => {
  it('may be framed by any site, while story pages only by Chrono and editor pages by nobody', async () => {
    const { app, accounts } = await demoApp();
    const embed = await get(app, `/embed/${DEMO_SLUG}`).expect(200);
    expect(embed.headers['x-frame-options']).toBeUndefined();
    expect(csp(embed)).toMatch(/(^|;)\s*frame-ancestors \*\s*(;|$)/);
    const one = await get(app, `/embed/${DEMO_SLUG}/events/microsoft-recrute-sam-altman`).expect(200);
    expect(one.headers['x-frame-options']).toBeUndefined();
    expect(csp(one)).toMatch(/(^|;)\s*frame-ancestors \*\s*(;|$)/);

    const story = await get(app, `/stories/${DEMO_SLUG}`).expect(200);
    expect(csp(story)).toMatch(/(^|;)\s*frame-ancestors 'self'\s*(;|$)/);
    expect(csp(story)).not.toMatch(/frame-ancestors \*/);
    expect(story.headers['x-frame-options']).toBe('SAMEORIGIN');

    await accounts.createUser('ada', 'admin', PASSWORD);
    const cookie = await login(app, 'ada');
    for (const url of ['/admin', `/admin/stories/${DEMO_SLUG}`, '/admin/import']) {
      const admin = await get(app, url).set('Cookie', cookie).expect(200);
      expect(csp(admin)).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
      expect(admin.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('sets no cookie and ignores a session cookie', async () => {
    const { app, accounts } = await demoApp();
    await accounts.createUser('ada', 'admin', PASSWORD);
    const cookie = await login(app, 'ada');
    for (const url of [`/embed/${DEMO_SLUG}`, `/embed/${DEMO_SLUG}?limit=2&theme=dark`, `/embed/${DEMO_SLUG}/events/microsoft-recrute-sam-altman`]) {
      const anonymous = await get(app, url).expect(200);
      const signedIn = await get(app, url).set('Cookie', cookie).expect(200);
      expect(setCookies(anonymous)).toEqual([]);
      expect(setCookies(signedIn)).toEqual([]);
      expect(signedIn.text).toBe(anonymous.text);
      expect(signedIn.headers['cache-control']).toBe(anonymous.headers['cache-control']);
      expect(signedIn.headers['cache-control']).toMatch(/^public/);
      // nothing from the newsroom shows in an embed
      expect(signedIn.text).not.toContain('/admin');
      expect(signedIn.text).not.toContain('_csrf');
    }
  });
});

describe('GET /embed/:slug/events/:id', () => {
  it('shows one event card, linking to it in the full chronology', async () => {
    const { app } = await demoApp();
    const id = 'microsoft-recrute-sam-altman';
    const res = await get(app, `/embed/${DEMO_SLUG}/events/${id}`).expect(200).expect('Content-Type', /text\/html/);
    const $ = cheerio.load(res.text);
    expect(articleIds(res.text)).toEqual([id]);
    expect($('h1.event__title').text()).toContain('Microsoft recrute Sam Altman et Greg Brockman');
    expect($('.kicker').text()).toBe('OpenAI : le limogeage de Sam Altman');
    expect($('.sitebar')).toHaveLength(0);
    expect($('base').attr('target')).toBe('_blank');
    expect($('.embed-more a').attr('href')).toBe(`${ORIGIN}/stories/${DEMO_SLUG}#${id}`);
    expect($('.embed-more a').text()).toContain('Voir dans la chronologie');

    const en = cheerio.load((await get(app, `/embed/${DEMO_SLUG}/events/${id}?lang=en&theme=dark`).expect(200)).text);
    expect(en('html').attr('lang')).toBe('en');
    expect(en('html').attr('data-theme')).toBe('dark');
    expect(en('.embed-more a').text()).toContain('See it in the timeline');
    expect(en('.event__date time').first().text()).toBe('November 20, 2023, 8:53 AM');
  });

  it('answers 404 for an unknown event or story', async () => {
    const { app } = await demoApp();
    await get(app, `/embed/${DEMO_SLUG}/events/no-such-event`).expect(404);
    await get(app, '/embed/no-such-story/events/microsoft-recrute-sam-altman').expect(404);
  });
});

describe('GET /embed.js', () => {
  it('is served as JavaScript, the file shipped in server/public', async () => {
    const { app } = await demoApp();
    const res = await get(app, '/embed.js').expect(200);
    expect(res.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toMatch(/public/);
    expect(res.text).toBe(await readFile(path.join(APP_ROOT, 'server', 'public', 'embed.js'), 'utf8'));
    expect(res.text.length).toBeGreaterThan(0);
  });
});

describe('GET /embed/:slug?asof=…', () => {
  /**
   * A story with a history, on the fixed clock (UTC; the story is in Paris, UTC+1 in November):
   *   09:00 created with A          10:00 B added         11:00 C added
   *   12:00 B's title and body edited   12:30 B corrected  13:00 C retracted
   *   14:00 A deleted               15:00 D added
   */
  async function history() {
    const h = await demoApp({ demo: false });
    const slug = 'histoire';
    h.clock.set('2023-11-20T09:00:00.000Z');
    await h.service.createStory({ slug, title: 'Une histoire', summary: 'Avec un passé', language: 'fr', timeZone: 'Europe/Paris' }, [
      { id: 'a', date: '2023-11-20T08:00', title: 'A, supprimé plus tard', body: 'Texte de A' },
    ]);
    h.clock.set('2023-11-20T10:00:00.000Z');
    await h.service.appendEvent(slug, { id: 'b', date: '2023-11-20T09:00', title: 'B, titre initial', body: 'Ancien texte de B' }, ADMIN);
    h.clock.set('2023-11-20T11:00:00.000Z');
    await h.service.appendEvent(slug, { id: 'c', date: '2023-11-20T10:00', title: 'C, retiré plus tard', body: 'Texte de C' }, ADMIN);
    h.clock.set('2023-11-20T12:00:00.000Z');
    await h.service.updateEvent(slug, 'b', { title: 'B, titre modifié', body: 'Nouveau texte de B' }, 1, ADMIN);
    h.clock.set('2023-11-20T12:30:00.000Z');
    await h.service.updateEvent(slug, 'b', { body: 'Texte corrigé de B' }, 2, ADMIN, { note: 'chiffre rectifié' });
    h.clock.set('2023-11-20T13:00:00.000Z');
    await h.service.retractEvent(slug, 'c', 'information démentie', ADMIN);
    h.clock.set('2023-11-20T14:00:00.000Z');
    await h.service.deleteEvent(slug, 'a', ADMIN);
    h.clock.set('2023-11-20T15:00:00.000Z');
    await h.service.appendEvent(slug, { id: 'd', date: '2023-11-20T11:00', title: 'D, ajouté en dernier', body: 'Texte de D' }, ADMIN);
    h.clock.set('2023-11-20T16:00:00.000Z');
    return { ...h, slug };
  }

  const card = ($: cheerio.CheerioAPI, id: string) => $(`article[id="${id}"]`);

  it('shows exactly the events of that instant, with their text as it then was', async () => {
    const { app, slug } = await history();
    // 11:30 UTC: A, B and C exist; B has its first title; C is not yet retracted; D does not exist
    const asof = '2023-11-20T12:30:00+01:00';
    const res = await get(app, `/embed/${slug}?asof=${encodeURIComponent(asof)}`).expect(200);
    const $ = cheerio.load(res.text);
    expect(articleIds(res.text)).toEqual(['c', 'b', 'a']);
    expect(card($, 'b').find('.event__title').text()).toBe('B, titre initial');
    expect(card($, 'b').find('.event__body').text().trim()).toBe('Ancien texte de B');
    expect(res.text).not.toContain('titre modifié');
    expect(res.text).not.toContain('Nouveau texte de B');
    expect(res.text).not.toContain('Corrigé le');
    expect(card($, 'c').find('.event__title').text()).toBe('C, retiré plus tard');
    expect(card($, 'c').hasClass('event--retracted')).toBe(false);
    expect(card($, 'c').find('s')).toHaveLength(0);
    expect(res.text).not.toContain('Retiré le');
    expect(res.text).not.toContain('information démentie');
    expect(card($, 'a').find('.event__title').text()).toBe('A, supprimé plus tard');
    expect(res.text).not.toContain('D, ajouté en dernier');
    // the version of that instant
    expect($('#chronology').attr('data-version')).toBe('3');

    // a note says which version this is, with a link to the current one
    const note = $('.embed-asof');
    expect(note).toHaveLength(1);
    expect(note.text()).toMatch(/^Version du /);
    expect(note.find('time').attr('datetime')).toBe(asof);
    expect(note.find('time').text()).toBe('20 novembre 2023, 12:30');
    expect(note.find('a').attr('href')).toBe(`${ORIGIN}/stories/${slug}`);
    expect(note.find('a').text()).toBe('voir la version à jour');

    // a frozen version does not go live
    expect($('#chronology').attr('data-live')).toBeUndefined();
    expect($('#chronology').attr('data-changes')).toBeUndefined();
    expect($('script').filter((_i, el) => /\/chrono\.\w+\.js$/.test($(el).attr('src') ?? ''))).toHaveLength(0);
    expect(res.headers['cache-control']).toMatch(/^public, max-age=86400\b/);
  });

  it('shows later states: the edit and the correction, then the tombstone, then the deletion', async () => {
    const { app, slug } = await history();
    // 12:45 UTC: B edited and corrected, C not yet retracted
    const corrected = cheerio.load((await get(app, `/embed/${slug}?asof=${encodeURIComponent('2023-11-20T12:45:00Z')}`).expect(200)).text);
    expect(corrected('article').toArray().map((el) => el.attribs.id)).toEqual(['c', 'b', 'a']);
    expect(card(corrected, 'b').find('.event__title').text()).toBe('B, titre modifié');
    expect(card(corrected, 'b').find('.event__body').text().trim()).toBe('Texte corrigé de B');
    expect(card(corrected, 'b').find('.event__notice').text()).toContain('chiffre rectifié');
    expect(card(corrected, 'c').hasClass('event--retracted')).toBe(false);

    // 13:30 UTC: C is a tombstone, A still there
    const retracted = cheerio.load((await get(app, `/embed/${slug}?asof=${encodeURIComponent('2023-11-20T14:30:00+01:00')}`).expect(200)).text);
    expect(retracted('article').toArray().map((el) => el.attribs.id)).toEqual(['c', 'b', 'a']);
    expect(card(retracted, 'c').hasClass('event--retracted')).toBe(true);
    expect(card(retracted, 'c').find('.event__notice--retracted').text()).toContain('information démentie');

    // now: A is gone, D is there, C still a tombstone; no note and live again
    const now = await get(app, `/embed/${slug}`).expect(200);
    const $ = cheerio.load(now.text);
    expect(articleIds(now.text)).toEqual(['d', 'c', 'b']);
    expect($('.embed-asof')).toHaveLength(0);
    expect($('#chronology').attr('data-live')).toBe(`/stories/${slug}/live`);
    expect($('script').filter((_i, el) => /\/chrono\.\w+\.js$/.test($(el).attr('src') ?? ''))).toHaveLength(1);
  });

  it('serves a single event as of an instant, and 404 before it existed', async () => {
    const { app, slug } = await history();
    const b = cheerio.load((await get(app, `/embed/${slug}/events/b?asof=${encodeURIComponent('2023-11-20T11:30:00Z')}`).expect(200)).text);
    expect(b('.event__title').text()).toBe('B, titre initial');
    const a = cheerio.load((await get(app, `/embed/${slug}/events/a?asof=${encodeURIComponent('2023-11-20T11:30:00Z')}`).expect(200)).text);
    expect(a('.event__title').text()).toBe('A, supprimé plus tard');
    await get(app, `/embed/${slug}/events/a`).expect(404);
    await get(app, `/embed/${slug}/events/d?asof=${encodeURIComponent('2023-11-20T11:30:00Z')}`).expect(404);
  });

  it('answers 404 before the story existed and 400 for a malformed instant', async () => {
    const { app, slug } = await history();
    await get(app, `/embed/${slug}?asof=${encodeURIComponent('2023-11-20T08:59:59Z')}`).expect(404);
    await get(app, `/embed/${slug}?asof=${encodeURIComponent('2023-11-20T09:59:59+01:00')}`).expect(404);
    // the instant of creation itself already shows the story
    expect(articleIds((await get(app, `/embed/${slug}?asof=${encodeURIComponent('2023-11-20T09:00:00Z')}`).expect(200)).text)).toEqual(['a']);
    for (const bad of ['yesterday', '2023-11-20', '2023-11-20T12:30', '2023-13-45T12:30:00Z', '2023-11-20T12:30:00+1']) {
      await get(app, `/embed/${slug}?asof=${encodeURIComponent(bad)}`).expect(400);
      await get(app, `/embed/${slug}/events/b?asof=${encodeURIComponent(bad)}`).expect(400);
    }
  });
});
