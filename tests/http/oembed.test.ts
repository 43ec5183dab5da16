// oEmbed, and what a story or event page tells sharing sites, feed readers and oEmbed consumers.
import path from 'node:path';
import * as cheerio from 'cheerio';
import { pino } from 'pino';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../server/app.js';
import { APP_ROOT } from '../../server/config.js';
import { fixedClock } from '../../server/services/clock.js';
import { loadDemoIfEmpty } from '../../server/services/demo.js';
import { StoryService } from '../../server/services/stories.js';
import { AccountService } from '../../server/services/accounts.js';
import { LiveHub } from '../../server/web/live.js';
import { MemoryStore } from '../../server/storage/memory-store.js';
import { MemoryAccountStore } from '../../server/storage/memory-account-store.js';
import { DEMO_SLUG, demoApp } from './harness.js';

const HOST = 'chrono.test';
const ORIGIN = `http://${HOST}`;
const EVENT = 'microsoft-recrute-sam-altman';
const STORY_URL = `${ORIGIN}/stories/${DEMO_SLUG}`;
const EVENT_URL = `${STORY_URL}/events/${EVENT}`;
const BASE_URL = 'https://chrono.example.org';

const get = (app: Express, url: string, host = HOST) => request(app).get(url).set('Host', host);
const oembed = (app: Express, params: Record<string, string>, host = HOST) => get(app, `/oembed?${new URLSearchParams(params)}`, host);

/** The demo app, but with CHRONO_BASE_URL set, as harness.ts builds it otherwise. */
async function baseUrlApp() {
  const store = new MemoryStore();
  const clock = fixedClock('2023-11-20T13:02:00.000Z');
  const live = new LiveHub({ changesSince: (slug, after) => store.changesSince(slug, after), maxStreams: 100, heartbeatMs: 15_000, maxReplay: 500 });
  const service = new StoryService({ store, clock, publish: (change) => live.publish(change) });
  await loadDemoIfEmpty(service, path.join(APP_ROOT, 'data', 'demo-story.json'));
  const accounts = new AccountService({ accounts: new MemoryAccountStore(), clock });
  const app = createApp({ service, live, accounts, clock, config: { env: 'test', baseUrl: BASE_URL }, logger: pino({ level: 'silent' }) });
  return { app, service, store, clock, accounts, live };
}

/** The iframe inside an oEmbed html, parsed. */
function iframeOf(html: string) {
  const $ = cheerio.load(html);
  expect($('body').children()).toHaveLength(1);
  const frame = $('iframe');
  expect(frame).toHaveLength(1);
  return frame;
}

describe('GET /oembed', () => {
  it('describes a story URL as a rich iframe of its embed', async () => {
    const { app } = await demoApp();
    const res = await oembed(app, { url: STORY_URL }).expect(200).expect('Content-Type', /application\/json/);
    expect(res.body).toMatchObject({ version: '1.0', type: 'rich', provider_name: 'Chrono', provider_url: `${ORIGIN}/`, title: 'OpenAI : le limogeage de Sam Altman' });
    expect(Number.isInteger(res.body.width)).toBe(true);
    expect(Number.isInteger(res.body.height)).toBe(true);
    const frame = iframeOf(res.body.html);
    expect(frame.attr('src')).toBe(`${ORIGIN}/embed/${DEMO_SLUG}`);
    expect(frame.attr('title')).toBe('OpenAI : le limogeage de Sam Altman');
    expect(frame.attr('width')).toBe(String(res.body.width));
    expect(frame.attr('height')).toBe(String(res.body.height));
    // format=json is the default and may be named
    const named = await oembed(app, { url: STORY_URL, format: 'json' }).expect(200);
    expect(named.body).toEqual(res.body);
    // a trailing slash is the same page
    expect((await oembed(app, { url: `${STORY_URL}/` }).expect(200)).body.html).toBe(res.body.html);
  });

  it('describes an event URL as a rich iframe of the single-event embed', async () => {
    const { app } = await demoApp();
    const res = await oembed(app, { url: EVENT_URL }).expect(200);
    expect(res.body).toMatchObject({ version: '1.0', type: 'rich', title: 'Microsoft recrute Sam Altman et Greg Brockman' });
    const frame = iframeOf(res.body.html);
    expect(frame.attr('src')).toBe(`${ORIGIN}/embed/${DEMO_SLUG}/events/${EVENT}`);
    expect(frame.attr('title')).toBe('Microsoft recrute Sam Altman et Greg Brockman');
    // and the iframe's page is there to be framed
    await get(app, new URL(frame.attr('src')!).pathname).expect(200);
  });

  it('respects maxwidth and maxheight', async () => {
    const { app } = await demoApp();
    const free = (await oembed(app, { url: STORY_URL }).expect(200)).body;
    for (const [maxwidth, maxheight] of [[400, 300], [250, 150], [640, 600], [10_000, 10_000]] as const) {
      for (const url of [STORY_URL, EVENT_URL]) {
        const res = await oembed(app, { url, maxwidth: String(maxwidth), maxheight: String(maxheight) }).expect(200);
        expect(res.body.width).toBeLessThanOrEqual(maxwidth);
        expect(res.body.height).toBeLessThanOrEqual(maxheight);
        expect(res.body.width).toBeGreaterThan(0);
        expect(res.body.height).toBeGreaterThan(0);
        const frame = iframeOf(res.body.html);
        expect(Number(frame.attr('width'))).toBe(res.body.width);
        expect(Number(frame.attr('height'))).toBe(res.body.height);
        expect(frame.attr('style')).toContain(`max-width:${res.body.width}px`);
      }
    }
    const narrow = (await oembed(app, { url: STORY_URL, maxwidth: '400' }).expect(200)).body;
    expect(narrow.width).toBe(400);
    expect(narrow.width).toBeLessThan(free.width);
    // Not asserted here (server bug, see report): maxwidth below 200 or maxheight below 100
    // still answer 200 and 100, larger than asked.
  });

  it('answers 404 for unknown stories and events, other hosts and other pages', async () => {
    const { app } = await demoApp();
    const notFound = [
      `${ORIGIN}/stories/no-such-story`,
      `${ORIGIN}/stories/no-such-story/events/${EVENT}`,
      `${STORY_URL}/events/no-such-event`,
      `https://elsewhere.example/stories/${DEMO_SLUG}`,
      `http://evil.${HOST}/stories/${DEMO_SLUG}`,
      `https://${HOST}/stories/${DEMO_SLUG}`,
      `${ORIGIN}/`,
      `${ORIGIN}/admin`,
      `${STORY_URL}/feed.atom`,
      `${ORIGIN}/embed/${DEMO_SLUG}`,
      'not a url',
      '',
    ];
    for (const url of notFound) {
      const res = await oembed(app, { url });
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
    }
    await get(app, '/oembed').expect(404);
  });

  it('answers 501 for format=xml (and other formats)', async () => {
    const { app } = await demoApp();
    await oembed(app, { url: STORY_URL, format: 'xml' }).expect(501);
    await oembed(app, { url: EVENT_URL, format: 'xml' }).expect(501);
    await oembed(app, { url: STORY_URL, format: 'yaml' }).expect(501);
  });
});

describe('page metadata', () => {
  it('announces the oEmbed endpoint in the static HTML of story and event pages', async () => {
    const { app } = await demoApp();
    for (const url of [STORY_URL, EVENT_URL]) {
      const page = await get(app, new URL(url).pathname).expect(200);
      const $ = cheerio.load(page.text);
      const links = $('head link[rel="alternate"][type="application/json+oembed"]');
      expect(links).toHaveLength(1);
      const href = new URL(links.attr('href')!);
      expect(href.origin).toBe(ORIGIN);
      expect(href.pathname).toBe('/oembed');
      expect(href.searchParams.get('url')).toBe(url);
      expect(href.searchParams.get('format')).toBe('json');
      // and following it works
      const res = await get(app, `${href.pathname}${href.search}`).expect(200);
      expect(res.body.type).toBe('rich');
    }
  });

  it('gives OpenGraph, Twitter and canonical tags with absolute URLs', async () => {
    const { app } = await demoApp();
    const story = cheerio.load((await get(app, `/stories/${DEMO_SLUG}`).expect(200)).text);
    expect(story('link[rel="canonical"]').attr('href')).toBe(STORY_URL);
    expect(story('meta[property="og:title"]').attr('content')).toBe('OpenAI : le limogeage de Sam Altman');
    expect(story('meta[property="og:url"]').attr('content')).toBe(STORY_URL);
    expect(story('meta[property="og:locale"]').attr('content')).toBe('fr_FR');
    expect(story('meta[property="og:type"]').attr('content')).toBe('article');
    expect(story('meta[property="og:site_name"]').attr('content')).toBe('Chrono');
    expect(story('meta[property="og:description"]').attr('content')).toMatch(/^Le conseil d'administration d'OpenAI renvoie son patron/);
    expect(story('meta[name="twitter:title"]').attr('content')).toBe('OpenAI : le limogeage de Sam Altman');

    const event = cheerio.load((await get(app, `/stories/${DEMO_SLUG}/events/${EVENT}`).expect(200)).text);
    expect(event('link[rel="canonical"]').attr('href')).toBe(EVENT_URL);
    expect(event('meta[property="og:title"]').attr('content')).toBe('Microsoft recrute Sam Altman et Greg Brockman');
    expect(event('meta[property="og:url"]').attr('content')).toBe(EVENT_URL);
    expect(event('meta[property="og:locale"]').attr('content')).toBe('fr_FR');

    // an English story says so
    const h = await demoApp({ demo: false });
    await h.service.createStory({ slug: 'english', title: 'An English story', language: 'en', timeZone: 'Europe/London' }, [{ id: 'one', date: '2023-11-20', title: 'One' }]);
    const en = cheerio.load((await get(h.app, '/stories/english').expect(200)).text);
    expect(en('meta[property="og:locale"]').attr('content')).toBe('en_US');
  });

  it('builds every absolute URL from CHRONO_BASE_URL when it is set, whatever the Host', async () => {
    const { app } = await baseUrlApp();
    const storyUrl = `${BASE_URL}/stories/${DEMO_SLUG}`;
    const eventUrl = `${storyUrl}/events/${EVENT}`;
    const story = cheerio.load((await get(app, `/stories/${DEMO_SLUG}`, 'internal:3000').expect(200)).text);
    expect(story('link[rel="canonical"]').attr('href')).toBe(storyUrl);
    expect(story('meta[property="og:url"]').attr('content')).toBe(storyUrl);
    expect(story('link[type="application/json+oembed"]').attr('href')).toBe(`${BASE_URL}/oembed?format=json&url=${encodeURIComponent(storyUrl)}`);
    const feeds = story('head link[rel="alternate"]').toArray().map((el) => el.attribs.href!);
    expect(feeds.length).toBeGreaterThanOrEqual(4);
    for (const href of feeds) expect(href.startsWith(`${BASE_URL}/`)).toBe(true);
    expect(JSON.parse(story('script[type="application/ld+json"]').text()).url).toBe(storyUrl);

    const event = cheerio.load((await get(app, `/stories/${DEMO_SLUG}/events/${EVENT}`, 'internal:3000').expect(200)).text);
    expect(event('link[rel="canonical"]').attr('href')).toBe(eventUrl);
    expect(event('meta[property="og:url"]').attr('content')).toBe(eventUrl);
    expect(event('link[type="application/json+oembed"]').attr('href')).toBe(`${BASE_URL}/oembed?format=json&url=${encodeURIComponent(eventUrl)}`);

    // oEmbed takes the public URLs, and points at public embeds
    const res = await oembed(app, { url: eventUrl }, 'internal:3000').expect(200);
    expect(res.body.provider_url).toBe(`${BASE_URL}/`);
    expect(iframeOf(res.body.html).attr('src')).toBe(`${BASE_URL}/embed/${DEMO_SLUG}/events/${EVENT}`);
    await oembed(app, { url: `http://internal:3000/stories/${DEMO_SLUG}` }, 'internal:3000').expect(404);

    // so do the embed's links and the feeds
    const embed = cheerio.load((await get(app, `/embed/${DEMO_SLUG}?limit=1`, 'internal:3000').expect(200)).text);
    expect(embed('.embed-head__full').attr('href')).toBe(storyUrl);
    expect(embed('.embed-more a').attr('href')).toBe(storyUrl);
    const feed = JSON.parse((await get(app, `/stories/${DEMO_SLUG}/feed.json`, 'internal:3000').expect(200)).text);
    expect(feed.home_page_url).toBe(storyUrl);
    expect(feed.items.map((i: { url: string }) => i.url)).toContain(eventUrl);
  });
});
