// schema.org JSON-LD on story pages: a live blog while the story develops, an article once concluded.
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { Express } from 'express';
import { sortEvents } from '../../server/domain/chronology.js';
import { DEMO_SLUG, demoApp } from './harness.js';

const HOST = 'chrono.test';
const ORIGIN = `http://${HOST}`;
const ADMIN = { name: 't', role: 'admin' } as const;
const STORY_URL = `${ORIGIN}/stories/${DEMO_SLUG}`;

/** The page's only JSON-LD, parsed as a search engine does. */
async function jsonLd(app: Express, path = `/stories/${DEMO_SLUG}`): Promise<any> {
  const res = await request(app).get(path).set('Host', HOST).expect(200);
  const $ = cheerio.load(res.text);
  const scripts = $('script[type="application/ld+json"]');
  expect(scripts).toHaveLength(1);
  expect(scripts.parent().is('head')).toBe(true);
  return JSON.parse(scripts.text());
}

describe('JSON-LD on a story page', () => {
  it('is a LiveBlogPosting with its updates, newest first, while the story develops', async () => {
    const { app, service } = await demoApp();
    const record = await service.getStory(DEMO_SLUG);
    expect(record.story.status).toBe('developing');
    const data = await jsonLd(app);
    expect(data).toMatchObject({
      '@context': 'https://schema.org',
      '@type': 'LiveBlogPosting',
      headline: record.story.title,
      description: record.story.summary,
      url: STORY_URL,
      mainEntityOfPage: STORY_URL,
      inLanguage: 'fr',
      datePublished: record.story.createdAt,
      dateModified: record.story.updatedAt,
      coverageStartTime: record.story.createdAt,
      publisher: { '@type': 'Organization', name: 'Chrono' },
    });
    expect(data).not.toHaveProperty('mainEntity');
    const newestFirst = sortEvents(record.events, record.story.timeZone, 'desc');
    expect(data.liveBlogUpdate.map((u: any) => u.headline)).toEqual(newestFirst.map((e) => e.title));
    const microsoft = data.liveBlogUpdate.find((u: any) => u.url === `${STORY_URL}/events/microsoft-recrute-sam-altman`);
    expect(microsoft).toMatchObject({
      '@type': 'BlogPosting',
      headline: 'Microsoft recrute Sam Altman et Greg Brockman',
      about: { '@type': 'Event', name: 'Microsoft recrute Sam Altman et Greg Brockman' },
    });
    expect(Date.parse(microsoft.about.startDate)).toBe(Date.parse('2023-11-19T23:53:00-08:00'));
    for (const update of data.liveBlogUpdate) {
      expect(update.datePublished).toBeTruthy();
      expect(update.dateModified).toBeTruthy();
      expect(typeof update.articleBody).toBe('string');
    }
  });

  it('leaves retracted events out of the updates', async () => {
    const { app, service } = await demoApp();
    await service.retractEvent(DEMO_SLUG, 'greg-brockman-demissionne', 'erreur', ADMIN);
    const data = await jsonLd(app);
    expect(data.liveBlogUpdate.map((u: any) => u.url)).not.toContain(`${STORY_URL}/events/greg-brockman-demissionne`);
    expect(data.liveBlogUpdate).toHaveLength((await service.getStory(DEMO_SLUG)).events.length - 1);
  });

  it('becomes an Article with an ItemList of the events, in order, once the story is concluded', async () => {
    const { app, service, clock } = await demoApp();
    clock.advance(3_600_000);
    const current = await service.getStory(DEMO_SLUG);
    await service.updateStory(DEMO_SLUG, { status: 'concluded' }, current.story.version, ADMIN);
    const record = await service.getStory(DEMO_SLUG);
    const data = await jsonLd(app);
    expect(data['@type']).toBe('Article');
    expect(data).not.toHaveProperty('liveBlogUpdate');
    expect(data).not.toHaveProperty('coverageStartTime');
    expect(data.headline).toBe(record.story.title);
    expect(data.dateModified).toBe(record.story.updatedAt);
    expect(data.dateModified).toBe('2023-11-20T14:02:00.000Z');
    const list = data.mainEntity;
    expect(list).toMatchObject({ '@type': 'ItemList', itemListOrder: 'https://schema.org/ItemListOrderAscending', numberOfItems: record.events.length });
    const inOrder = sortEvents(record.events, record.story.timeZone, 'asc');
    expect(list.itemListElement.map((i: any) => i.position)).toEqual(inOrder.map((_e, i) => i + 1));
    expect(list.itemListElement.map((i: any) => i.item.headline)).toEqual(inOrder.map((e) => e.title));
    expect(list.itemListElement.map((i: any) => i.item.url)).toEqual(inOrder.map((e) => `${STORY_URL}/events/${e.id}`));
    for (const i of list.itemListElement) expect(i['@type']).toBe('ListItem');
  });

  it('cannot be broken out of with </script> in a title', async () => {
    const { app, service } = await demoApp({ demo: false });
    const title = 'Fin </script><script>alert(1)</script> <!-- & \u2028 "quotes"';
    const eventTitle = '</SCRIPT ><img src=x onerror=alert(1)> ]]> </script';
    await service.createStory({ slug: 'piege', title, summary: `Résumé </script> ${title}`, language: 'fr', timeZone: 'Europe/Paris' }, [
      { id: 'e', date: '2023-11-20', title: eventTitle, body: '</script><script>alert(2)</script>' },
    ]);
    const res = await request(app).get('/stories/piege').set('Host', HOST).expect(200);
    const $ = cheerio.load(res.text);
    // one JSON-LD script, and no other script element than the page's own static ones
    expect($('script[type="application/ld+json"]')).toHaveLength(1);
    const others = $('script').not('[type="application/ld+json"]').toArray();
    for (const el of others) {
      expect($(el).attr('src')).toMatch(/^\/static\/[\w.-]+\.js$/);
      expect($(el).text().trim()).toBe('');
    }
    expect($('img[src="x"]')).toHaveLength(0);
    // the data parses back to the exact text
    const data = JSON.parse($('script[type="application/ld+json"]').text());
    expect(data.headline).toBe(title);
    expect(data.description).toBe(`Résumé </script> ${title}`);
    expect(data.liveBlogUpdate[0].headline).toBe(eventTitle);
    expect(data.liveBlogUpdate[0].articleBody).toBe('</script><script>alert(2)</script>');
    // the raw script text holds nothing that could end the element or open markup
    const raw = $('script[type="application/ld+json"]').html()!;
    expect(raw).not.toMatch(/<|>/);
    expect(raw).not.toContain('\u2028');

    // the same page with a harmless title has the same scripts: nothing was added by the payload
    const h = await demoApp({ demo: false });
    await h.service.createStory({ slug: 'piege', title: 'Sage', language: 'fr', timeZone: 'Europe/Paris' }, [{ id: 'e', date: '2023-11-20', title: 'Sage' }]);
    const tame = cheerio.load((await request(h.app).get('/stories/piege').set('Host', HOST).expect(200)).text);
    expect($('script').toArray().map((el) => el.attribs.src ?? el.attribs.type)).toEqual(tame('script').toArray().map((el) => el.attribs.src ?? el.attribs.type));
  });

  it('is not on event pages, which carry OpenGraph instead', async () => {
    const { app } = await demoApp();
    const res = await request(app).get(`/stories/${DEMO_SLUG}/events/microsoft-recrute-sam-altman`).set('Host', HOST).expect(200);
    expect(cheerio.load(res.text)('script[type="application/ld+json"]')).toHaveLength(0);
  });
});
