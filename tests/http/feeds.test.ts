// Atom, RSS and JSON Feed per story: valid XML whatever the text, with corrections and retractions.
import { spawnSync } from 'node:child_process';
import * as cheerio from 'cheerio';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import request from 'supertest';
import type { Express } from 'express';
import { DEMO_SLUG, demoApp } from './harness.js';

const HOST = 'chrono.test';
const ORIGIN = `http://${HOST}`;
const ADMIN = { name: 't', role: 'admin' } as const;
const SLUG = 'flux';
const STORY_URL = `${ORIGIN}/stories/${SLUG}`;

const AMP_TITLE = 'AT&T <b> ]]>';
const CONTROL_TITLE = 'Contrôle\u0001 ici\u000B et là';
const CONTROL_TITLE_CLEAN = 'Contrôle ici et là';
const CONTROL_BODY = 'Corps\u0001 avec\u000B contrôle & <i>balise</i> ]]> fin';

const get = (app: Express, url: string) => request(app).get(url).set('Host', HOST);

// any character XML 1.0 cannot carry
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** xmllint (Debian's libxml2-utils) must be installed: a missing xmllint fails the test. */
function xmllint(xml: string): void {
  const result = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
  if (result.error) throw new Error(`xmllint could not run (install libxml2-utils): ${result.error.message}`);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => ['entry', 'item', 'link', 'category'].includes(name),
});

/** Checks a feed with two XML parsers and returns it parsed. */
function parseXml(xml: string): any {
  expect(XMLValidator.validate(xml)).toBe(true);
  xmllint(xml);
  expect(xml).not.toMatch(NOT_XML);
  return parser.parse(xml);
}

/** The text of an element parsed by fast-xml-parser, with or without attributes. */
function text(node: unknown): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (node && typeof node === 'object' && '#text' in node) return String((node as { '#text': unknown })['#text']);
  return '';
}

/** Decodes an HTML fragment once: its text and whether any element came out of it. */
function decodeHtml(html: string): { text: string; elements: string[] } {
  const $ = cheerio.load(html, null, false);
  return { text: $.root().text(), elements: $('*').toArray().map((el) => (el as { tagName: string }).tagName) };
}

/**
 * A story in Paris with a troublesome title, control characters, a correction and a
 * retraction, on the fixed clock.
 */
async function feedStory() {
  const h = await demoApp({ demo: false });
  h.clock.set('2023-11-20T09:00:00.000Z');
  await h.service.createStory({ slug: SLUG, title: 'Flux & <essai>', summary: 'Résumé', language: 'fr', timeZone: 'Europe/Paris' }, [
    { id: 'att', date: '2023-11-20T10:00', title: AMP_TITLE, body: 'Texte **gras** & <i>x</i> ]]> fin', tags: ['Télécoms'], importance: 'key', sources: [{ label: 'L&L <src>', url: 'https://example.org/?a=1&b=2' }] },
    { id: 'ctl', date: '2023-11-19', title: CONTROL_TITLE, body: CONTROL_BODY, tags: ['Contrôle\u0001'] },
  ]);
  h.clock.set('2023-11-20T10:00:00.000Z');
  await h.service.appendEvent(SLUG, { id: 'plain', date: '2023-11-18', title: 'Un événement ordinaire', body: 'Rien à signaler.' }, ADMIN);
  h.clock.set('2023-11-20T11:00:00.000Z');
  await h.service.appendEvent(SLUG, { id: 'wrong', date: '2023-11-17', title: 'Une information fausse', body: 'Qui sera retirée.' }, ADMIN);
  h.clock.set('2023-11-20T12:00:00.000Z');
  await h.service.updateEvent(SLUG, 'plain', { body: 'Rien à signaler, vraiment.' }, 1, ADMIN, { note: 'précision ajoutée' });
  h.clock.set('2023-11-20T13:00:00.000Z');
  await h.service.retractEvent(SLUG, 'wrong', 'source non fiable', ADMIN);
  h.clock.set('2023-11-20T14:00:00.000Z');
  return h;
}

function entryById<T>(entries: T[], id: (e: T) => string, eventId: string): T {
  const found = entries.find((e) => id(e) === `${STORY_URL}/events/${eventId}`);
  if (!found) throw new Error(`no entry for ${eventId}`);
  return found;
}

describe('Atom feed', () => {
  it('is valid XML whose entries carry ids, links and times', async () => {
    const { app, service } = await feedStory();
    const res = await get(app, `/stories/${SLUG}/feed.atom`).expect(200).expect('Content-Type', /^application\/atom\+xml/);
    const { feed } = parseXml(res.text);
    const record = await service.getStory(SLUG);
    expect(text(feed.title)).toBe('Flux & <essai>');
    expect(feed.id).toBe(STORY_URL);
    expect(feed.updated).toBe(record.story.updatedAt);
    expect(feed.link.map((l: any) => l['@_href'])).toEqual(expect.arrayContaining([STORY_URL, `${STORY_URL}/feed.atom`]));
    expect(feed.entry).toHaveLength(record.events.length);
    for (const event of record.events) {
      const entry = entryById(feed.entry, (e: any) => e.id, event.id);
      expect(entry.link[0]['@_href']).toBe(`${STORY_URL}/events/${event.id}`);
      expect(entry.updated).toBe(event.updatedAt);
      expect(entry.published).toBe(event.createdAt);
      expect(entry.content['@_type']).toBe('html');
    }
    // dated by their last change
    expect(entryById(feed.entry, (e: any) => e.id, 'plain').updated).toBe('2023-11-20T12:00:00.000Z');
    expect(entryById(feed.entry, (e: any) => e.id, 'wrong').updated).toBe('2023-11-20T13:00:00.000Z');
  });

  it('types titles as HTML, so the title is escaped once and decodes to the literal text', async () => {
    const { app } = await feedStory();
    const { feed } = parseXml((await get(app, `/stories/${SLUG}/feed.atom`).expect(200)).text);
    const att = entryById(feed.entry, (e: any) => e.id, 'att');
    expect(att.title['@_type']).toBe('html');
    expect(text(att.title)).toBe('AT&amp;T &lt;b&gt; ]]&gt;');
    expect(decodeHtml(text(att.title))).toEqual({ text: AMP_TITLE, elements: [] });
    // the body's HTML-looking text stays text inside the content's HTML
    const content = decodeHtml(text(att.content));
    expect(content.elements).not.toContain('i');
    expect(content.text).toContain('Texte gras & <i>x</i> ]]> fin');
    expect(content.elements).toContain('strong');
    const source = cheerio.load(text(att.content), null, false)('a');
    expect(source.attr('href')).toBe('https://example.org/?a=1&b=2');
    expect(source.text()).toBe('L&L <src>');
  });

  it('drops control characters, which XML cannot carry', async () => {
    const { app } = await feedStory();
    const { feed } = parseXml((await get(app, `/stories/${SLUG}/feed.atom`).expect(200)).text);
    const ctl = entryById(feed.entry, (e: any) => e.id, 'ctl');
    expect(decodeHtml(text(ctl.title))).toEqual({ text: CONTROL_TITLE_CLEAN, elements: [] });
    expect(decodeHtml(text(ctl.content)).text).toContain('Corps avec contrôle & <i>balise</i> ]]> fin');
    expect(ctl.category.map((c: any) => c['@_label'] ?? c['@_term'])).toEqual(['Contrôle']);
  });

  it('shows corrections and retractions', async () => {
    const { app } = await feedStory();
    const { feed } = parseXml((await get(app, `/stories/${SLUG}/feed.atom`).expect(200)).text);
    const plain = entryById(feed.entry, (e: any) => e.id, 'plain');
    const corrected = decodeHtml(text(plain.content)).text;
    expect(corrected).toContain('Corrigé le 20 novembre 2023, 13:00');
    expect(corrected).toContain('précision ajoutée');
    expect(corrected).toContain('Rien à signaler, vraiment.');
    expect(decodeHtml(text(plain.title)).text).toBe('Un événement ordinaire');

    const wrong = entryById(feed.entry, (e: any) => e.id, 'wrong');
    expect(decodeHtml(text(wrong.title)).text).toBe('[Retiré] Une information fausse');
    const retracted = decodeHtml(text(wrong.content)).text;
    expect(retracted).toContain('Retiré le 20 novembre 2023, 14:00');
    expect(retracted).toContain('source non fiable');
  });
});

describe('RSS feed', () => {
  it('is valid XML with the literal titles, corrections and retractions', async () => {
    const { app, service } = await feedStory();
    const res = await get(app, `/stories/${SLUG}/feed.rss`).expect(200).expect('Content-Type', /^application\/rss\+xml/);
    const { rss } = parseXml(res.text);
    expect(rss['@_version']).toBe('2.0');
    const { channel } = rss;
    const record = await service.getStory(SLUG);
    expect(text(channel.title)).toBe('Flux & <essai>');
    expect(text(channel.link[0])).toBe(STORY_URL);
    expect(channel.language).toBe('fr');
    expect(new Date(channel.lastBuildDate).toISOString()).toBe(record.story.updatedAt);
    expect(channel.item).toHaveLength(record.events.length);
    const item = (id: string) => entryById(channel.item, (i: any) => text(i.link[0]), id);
    for (const event of record.events) {
      expect(text(item(event.id).guid)).toBe(`${STORY_URL}/events/${event.id}`);
      expect(Number.isNaN(Date.parse(item(event.id).pubDate))).toBe(false);
    }
    // RSS titles are plain text: the literal title, control characters dropped
    expect(text(item('att').title)).toBe(AMP_TITLE);
    expect(text(item('ctl').title)).toBe(CONTROL_TITLE_CLEAN);
    expect(text(item('wrong').title)).toBe('[Retiré] Une information fausse');
    const content = (id: string) => decodeHtml(text(item(id)['content:encoded']));
    expect(content('att').text).toContain('Texte gras & <i>x</i> ]]> fin');
    expect(content('att').elements).not.toContain('i');
    expect(content('ctl').text).toContain('Corps avec contrôle & <i>balise</i> ]]> fin');
    expect(content('plain').text).toContain('Corrigé le 20 novembre 2023, 13:00');
    expect(content('plain').text).toContain('précision ajoutée');
    expect(content('wrong').text).toContain('Retiré le 20 novembre 2023, 14:00');
    expect(content('wrong').text).toContain('source non fiable');
  });
});

describe('JSON Feed', () => {
  it('is JSON Feed 1.1 with the literal titles, times, corrections and retractions', async () => {
    const { app, service } = await feedStory();
    const res = await get(app, `/stories/${SLUG}/feed.json`).expect(200).expect('Content-Type', /^application\/feed\+json/);
    const feed = JSON.parse(res.text);
    const record = await service.getStory(SLUG);
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    expect(feed.title).toBe('Flux & <essai>');
    expect(feed.home_page_url).toBe(STORY_URL);
    expect(feed.feed_url).toBe(`${STORY_URL}/feed.json`);
    expect(feed.language).toBe('fr');
    expect(feed.items).toHaveLength(record.events.length);
    const item = (id: string) => entryById(feed.items, (i: any) => i.id, id);
    for (const event of record.events) {
      expect(item(event.id).url).toBe(`${STORY_URL}/events/${event.id}`);
      expect(item(event.id).date_modified).toBe(event.updatedAt);
      expect(item(event.id).date_published).toBe(event.createdAt);
    }
    expect(item('att').title).toBe(AMP_TITLE);
    expect(item('ctl').title).toBe(CONTROL_TITLE_CLEAN);
    expect(item('wrong').title).toBe('[Retiré] Une information fausse');
    expect(JSON.stringify(feed)).not.toMatch(NOT_XML);
    const html = (id: string) => decodeHtml(item(id).content_html);
    expect(html('ctl').text).toContain('Corps avec contrôle & <i>balise</i> ]]> fin');
    expect(html('plain').text).toContain('Corrigé le 20 novembre 2023, 13:00');
    expect(html('wrong').text).toContain('Retiré le 20 novembre 2023, 14:00');
    expect(html('wrong').text).toContain('source non fiable');
  });
});

describe('feeds of the demo story', () => {
  it.each(['atom', 'rss', 'json'] as const)('%s lists key events only with ?key=1', async (format) => {
    const { app, service } = await demoApp();
    const { events } = await service.getStory(DEMO_SLUG);
    const ids = (body: string): string[] => {
      if (format === 'json') return JSON.parse(body).items.map((i: any) => i.id);
      const parsed = parseXml(body);
      return format === 'atom' ? parsed.feed.entry.map((e: any) => e.id) : parsed.rss.channel.item.map((i: any) => text(i.guid));
    };
    const url = (id: string) => `${ORIGIN}/stories/${DEMO_SLUG}/events/${id}`;
    const all = await get(app, `/stories/${DEMO_SLUG}/feed.${format}`).expect(200);
    expect(ids(all.text).sort()).toEqual(events.map((e) => url(e.id)).sort());
    const key = await get(app, `/stories/${DEMO_SLUG}/feed.${format}?key=1`).expect(200);
    const keyIds = events.filter((e) => e.importance === 'key').map((e) => url(e.id));
    expect(keyIds.length).toBeGreaterThan(0);
    expect(keyIds.length).toBeLessThan(events.length);
    expect(ids(key.text).sort()).toEqual(keyIds.sort());
    // it names itself with the filter
    expect(key.text).toContain(`feed.${format}?key=1`);
  });

  it('are announced in the story page head, and the links work', async () => {
    const { app } = await demoApp();
    const $ = cheerio.load((await get(app, `/stories/${DEMO_SLUG}`).expect(200)).text);
    const links = (type: string) => $(`head link[rel="alternate"][type="${type}"]`).toArray().map((el) => el.attribs.href!);
    const base = `${ORIGIN}/stories/${DEMO_SLUG}`;
    expect(links('application/atom+xml')).toEqual([`${base}/feed.atom`, `${base}/feed.atom?key=1`]);
    expect(links('application/rss+xml')).toEqual([`${base}/feed.rss`]);
    expect(links('application/feed+json')).toEqual([`${base}/feed.json`]);
    for (const el of $('head link[rel="alternate"]').toArray()) expect(el.attribs.title).toBeTruthy();
    for (const type of ['application/atom+xml', 'application/rss+xml', 'application/feed+json']) {
      for (const href of links(type)) {
        const url = new URL(href);
        const res = await get(app, `${url.pathname}${url.search}`).expect(200);
        expect(res.headers['content-type']).toMatch(new RegExp(`^${type.replace('+', '\\+')}`));
      }
    }
  });

  it('answers 304 to If-None-Match while the story is unchanged', async () => {
    const { app, service, clock } = await demoApp();
    for (const format of ['atom', 'rss', 'json']) {
      const first = await get(app, `/stories/${DEMO_SLUG}/feed.${format}`).expect(200);
      const etag = first.headers.etag as string;
      expect(etag).toMatch(/^"/);
      const again = await get(app, `/stories/${DEMO_SLUG}/feed.${format}`).set('If-None-Match', etag).expect(304);
      expect(again.text ?? '').toBe('');
      expect(again.headers.etag).toBe(etag);
      const keyed = await get(app, `/stories/${DEMO_SLUG}/feed.${format}?key=1`).expect(200);
      await get(app, `/stories/${DEMO_SLUG}/feed.${format}?key=1`).set('If-None-Match', keyed.headers.etag as string).expect(304);
      // a tag that is not the current one gets the whole feed
      await get(app, `/stories/${DEMO_SLUG}/feed.${format}`).set('If-None-Match', '"0-stale"').expect(200);
    }
    const before = (await get(app, `/stories/${DEMO_SLUG}/feed.atom`).expect(200)).headers.etag as string;
    clock.advance(60_000);
    await service.appendEvent(DEMO_SLUG, { id: 'nouveau', date: '2023-11-21', title: 'Un nouvel événement' }, ADMIN);
    const after = await get(app, `/stories/${DEMO_SLUG}/feed.atom`).set('If-None-Match', before).expect(200);
    expect(after.headers.etag).not.toBe(before);
    expect(parseXml(after.text).feed.entry.map((e: any) => e.id)).toContain(`${ORIGIN}/stories/${DEMO_SLUG}/events/nouveau`);
  });

  it('answers 404 for other formats and unknown stories', async () => {
    const { app } = await demoApp();
    await get(app, `/stories/${DEMO_SLUG}/feed.xml`).expect(404);
    await get(app, '/stories/no-such-story/feed.atom').expect(404);
  });
});
