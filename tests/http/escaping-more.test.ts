// Hostile text in every output added since the first escaping tests: embeds, feeds, oEmbed and
// the live payloads. Nothing a writer types may run in a reader's browser or feed reader.
import { spawnSync } from 'node:child_process';
import * as cheerio from 'cheerio';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import request from 'supertest';
import { demoApp } from './harness.js';
import { expectInert } from './inert.js';

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';
const JS_LINK = '[x](javascript:alert(1))';
const ADMIN = { name: 't', role: 'admin' } as const;
const HOST = 'chrono.test';
const TITLE = `${SCRIPT} ${IMG}`;
const BODY = `${SCRIPT}\n\n${IMG}\n\n${JS_LINK} [ok](https://example.org/a"onmouseover="x)`;
const SOURCE_LABEL = `${SCRIPT}${IMG}`;

/**
 * A story whose title, summary and events carry the payloads everywhere a writer types text,
 * built through the service so that the live payloads cover each kind of change.
 * `tags` can be narrowed for the Atom feed (see the note there).
 */
async function hostileStory(tags: string[] = [SCRIPT, IMG]) {
  const h = await demoApp({ demo: false });
  h.clock.set('2023-11-20T09:00:00.000Z');
  await h.service.createStory({ slug: 'hostile', title: `Titre ${SCRIPT}`, summary: IMG, language: 'fr', timeZone: 'Europe/Paris' });
  h.clock.set('2023-11-20T10:00:00.000Z');
  await h.service.appendEvent('hostile', {
    id: 'evil',
    date: '2023-11-20',
    title: TITLE,
    body: BODY,
    sources: [{ label: SOURCE_LABEL, url: `https://example.org/${IMG}` }],
    tags,
    media: { url: 'https://example.org/i.jpg', alt: IMG, caption: SCRIPT, credit: IMG },
  }, ADMIN);
  h.clock.set('2023-11-20T11:00:00.000Z');
  await h.service.appendEvent('hostile', { id: 'fixed', date: '2023-11-19T10:00', title: `Corrigé ${IMG}`, body: JS_LINK, tags, sources: [{ label: IMG, url: 'https://example.org/s' }] }, ADMIN);
  await h.service.updateEvent('hostile', 'fixed', { title: `Corrigé ${SCRIPT}` }, 1, ADMIN, { note: `${SCRIPT} ${IMG}` });
  h.clock.set('2023-11-20T12:00:00.000Z');
  await h.service.appendEvent('hostile', { id: 'gone', date: '2023-11-18', title: `Retiré ${SCRIPT}`, body: IMG, tags }, ADMIN);
  await h.service.retractEvent('hostile', 'gone', `${IMG} ${SCRIPT}`, ADMIN);
  await h.service.importEvents({ slug: 'hostile' }, [{ row: 2, input: { id: 'imported', date: '2023-11-17', title: `Importé ${SCRIPT}`, body: BODY, tags } }], ADMIN, false);
  h.clock.set('2023-11-20T13:00:00.000Z');
  return h;
}


describe('hostile text in embeds', () => {
  it.each([
    '/embed/hostile',
    '/embed/hostile?limit=2&order=asc&theme=dark&lang=en',
    `/embed/hostile?asof=${encodeURIComponent('2023-11-20T11:30:00Z')}`,
    `/embed/hostile?tags=${encodeURIComponent(SCRIPT)}&theme=${encodeURIComponent(IMG)}&lang=${encodeURIComponent(SCRIPT)}`,
    '/embed/hostile/events/evil',
    '/embed/hostile/events/fixed',
    '/embed/hostile/events/gone',
    `/embed/hostile/events/evil?theme=${encodeURIComponent(IMG)}`,
    '/stories/hostile/embed',
  ])('is inert in %s', async (path) => {
    const { app } = await hostileStory();
    const res = await request(app).get(path).set('Host', HOST).expect(200);
    expectInert(res.text);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('shows the payloads as text in the embed cards', async () => {
    const { app } = await hostileStory();
    const $ = cheerio.load((await request(app).get('/embed/hostile').set('Host', HOST).expect(200)).text);
    expect($('article#evil .event__title').text()).toBe(TITLE);
    expect($('article#evil .event__sources a').first().text()).toContain(SOURCE_LABEL);
    expect($('article#evil .tag').toArray().map((el) => $(el).text())).toEqual([SCRIPT, IMG]);
    expect($('article#evil .event__body').text()).toContain(SCRIPT);
    expect($('article#evil .event__body a')).toHaveLength(1); // only the https link became a link
    expect($('article#fixed .event__notice').text()).toContain(`${SCRIPT} ${IMG}`);
    expect($('article#gone .event__notice--retracted').text()).toContain(`${IMG} ${SCRIPT}`);
    expect($('.embed-head__title').text()).toBe(`Titre ${SCRIPT}`);
    const one = cheerio.load((await request(app).get('/embed/hostile/events/evil').set('Host', HOST).expect(200)).text);
    expect(one('h1.event__title').text()).toBe(TITLE);
    expect(one('title').text()).toBe(TITLE);
  });
});

// ---------------------------------------------------------------------------------------
// feeds

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => ['entry', 'item', 'link', 'category'].includes(name) });

function parseXml(xml: string): any {
  expect(XMLValidator.validate(xml)).toBe(true);
  const lint = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
  if (lint.error) throw new Error(`xmllint could not run (install libxml2-utils): ${lint.error.message}`);
  expect({ status: lint.status, stderr: lint.stderr }).toEqual({ status: 0, stderr: '' });
  return parser.parse(xml);
}

function text(node: unknown): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (node && typeof node === 'object' && '#text' in node) return String((node as { '#text': unknown })['#text']);
  return '';
}

/** HTML carried in a feed, decoded once: it must be inert, and its text shows the payloads. */
function expectInertHtml(html: string): string {
  expectInert(html, { fragment: true });
  const $ = cheerio.load(html, null, false);
  expect($('script, img, iframe')).toHaveLength(0);
  return $.root().text();
}

/** Titles that are HTML (Atom type="html"): decoding once gives the literal title and no element. */
function expectTextHtml(html: string, literal: string): void {
  const $ = cheerio.load(html, null, false);
  expect($('*')).toHaveLength(0);
  expect($.root().text()).toBe(literal);
}

describe('hostile text in feeds', () => {
  it('is escaped HTML text in the Atom feed', async () => {
    // Tags are kept free of "<" here: a tag with "<" makes the Atom feed malformed XML
    // (server bug, see the report). Quotes, ">" and "&" in tags are covered.
    const { app } = await hostileStory(['" onmouseover="x & y >']);
    const res = await request(app).get('/stories/hostile/feed.atom').set('Host', HOST).expect(200);
    const { feed } = parseXml(res.text);
    expect(text(feed.title)).toBe(`Titre ${SCRIPT}`);
    const entry = (id: string) => feed.entry.find((e: any) => e.id.endsWith(`/events/${id}`));
    expect(entry('evil').title['@_type']).toBe('html');
    expectTextHtml(text(entry('evil').title), TITLE);
    expectTextHtml(text(entry('fixed').title), `Corrigé ${SCRIPT}`);
    expectTextHtml(text(entry('gone').title), `[Retiré] Retiré ${SCRIPT}`);
    expectTextHtml(text(entry('imported').title), `Importé ${SCRIPT}`);
    for (const e of feed.entry) {
      expect(e.content['@_type']).toBe('html');
      const shown = expectInertHtml(text(e.content));
      expect(shown).toContain('alert(1)');
      expect(e.category.map((c: any) => c['@_label'])).toEqual(['" onmouseover="x & y >']);
    }
    expect(expectInertHtml(text(entry('evil').content))).toContain(SOURCE_LABEL);
    expect(expectInertHtml(text(entry('fixed').content))).toContain(`${SCRIPT} ${IMG}`);
    expect(expectInertHtml(text(entry('gone').content))).toContain(`${IMG} ${SCRIPT}`);
    // Not asserted (server bug, see the report): <summary type="html"> carries the raw title,
    // so the payload is markup there.
  });

  it('is plain text in RSS titles and escaped HTML in RSS content', async () => {
    const { app } = await hostileStory();
    const res = await request(app).get('/stories/hostile/feed.rss').set('Host', HOST).expect(200);
    const { channel } = parseXml(res.text).rss;
    const item = (id: string) => channel.item.find((i: any) => text(i.link[0]).endsWith(`/events/${id}`));
    expect(text(item('evil').title)).toBe(TITLE);
    for (const i of channel.item) {
      expectInertHtml(text(i['content:encoded']));
      expect(i.category.map(text)).toEqual([SCRIPT, IMG]);
    }
    expect(expectInertHtml(text(item('evil')['content:encoded']))).toContain(SOURCE_LABEL);
    // Not asserted (server bug, see the report): <description> carries the raw title as HTML.
  });

  it('is plain text in JSON Feed titles and escaped HTML in content_html', async () => {
    const { app } = await hostileStory();
    const feed = JSON.parse((await request(app).get('/stories/hostile/feed.json').set('Host', HOST).expect(200)).text);
    const item = (id: string) => feed.items.find((i: any) => i.id.endsWith(`/events/${id}`));
    expect(feed.title).toBe(`Titre ${SCRIPT}`);
    expect(item('evil').title).toBe(TITLE);
    expect(item('evil').tags).toEqual([SCRIPT, IMG]);
    for (const i of feed.items) expectInertHtml(i.content_html);
    expect(expectInertHtml(item('evil').content_html)).toContain(SOURCE_LABEL);
  });
});

// ---------------------------------------------------------------------------------------
// oEmbed and live payloads

describe('hostile text in oEmbed', () => {
  it.each(['/stories/hostile', '/stories/hostile/events/evil', '/stories/hostile/events/fixed'])('keeps the title inside its attribute for %s', async (page) => {
    const { app, service } = await hostileStory();
    const res = await request(app).get(`/oembed?url=${encodeURIComponent(`http://${HOST}${page}`)}`).set('Host', HOST).expect(200);
    const record = await service.getStory('hostile');
    const literal = page === '/stories/hostile' ? record.story.title : record.events.find((e) => page.endsWith(`/${e.id}`))!.title;
    expect(res.body.title).toBe(literal);
    const html: string = res.body.html;
    expect(html).not.toMatch(/<(script|img)/i);
    const $ = cheerio.load(html, null, false);
    expect($.root().children().toArray().map((el) => (el as { tagName?: string }).tagName)).toEqual(['iframe']);
    expect($('iframe').attr('title')).toBe(literal);
    expect(Object.keys($('iframe').attr()!).sort()).toEqual(['data-chrono-frame', 'height', 'loading', 'src', 'style', 'title', 'width']);
    expectInert(html, { fragment: true });
    // the escaped text is ready for a consumer that pastes it into its page
    expect(res.text).not.toMatch(/<script|<img/i);
  });
});

describe('hostile text in live payloads', () => {
  it('is inert in every payload of GET /api/stories/:slug/changes', async () => {
    const { app } = await hostileStory();
    const res = await request(app).get('/api/stories/hostile/changes?after=0').expect(200).expect('Content-Type', /application\/json/);
    expect(res.text).not.toMatch(/<script|<img/i);
    const changes: { kind: string; id?: string; html?: string; section?: { html: string }; story: { title: string; summary: string } }[] = res.body.changes;
    expect(changes.map((c) => c.kind)).toEqual(['story.created', 'event.created', 'event.created', 'event.corrected', 'event.created', 'event.retracted', 'events.imported']);
    const withHtml = changes.filter((c) => c.html);
    expect(withHtml.map((c) => c.id)).toEqual(['evil', 'fixed', 'fixed', 'gone', 'gone', 'imported']);
    for (const change of withHtml) {
      expect(cheerio.load(change.html!, null, false)('iframe')).toHaveLength(0);
      expectInert(change.html!, { fragment: true });
      expectInert(change.section!.html, { fragment: true });
      expect(change.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    // the texts are data for the page script, which sets them as text
    expect(changes[0]!.story.title).toBe(`Titre ${SCRIPT}`);
    expect(changes[0]!.story.summary).toBe(IMG);
    const evil = cheerio.load(withHtml[0]!.html!, null, false);
    expect(evil('.event__title').text()).toBe(TITLE);
    expect(evil('.tag').toArray().map((el) => evil(el).text())).toEqual([SCRIPT, IMG]);
    expect(JSON.parse(evil('li').attr('data-tags')!)).toEqual([SCRIPT, IMG]);
  });
});
