import request from 'supertest';
import { ALL_ON_ONE_PAGE, PAGE_SIZE } from '../../server/web/chronology-view.js';
import { articleIds, demoApp } from './harness.js';

/** A story too long for one page: events on consecutive days, a few per day. */
async function longStory(count: number) {
  const harness = await demoApp({ demo: false });
  const events = Array.from({ length: count }, (_, i) => {
    const day = new Date(Date.UTC(2020, 0, 1) + Math.floor(i / 4) * 86_400_000).toISOString().slice(0, 10);
    return { id: `e${i}`, date: day, title: `Événement ${i}` };
  });
  await harness.service.createStory({ slug: 'long', title: 'Long', language: 'fr', timeZone: 'UTC', status: 'concluded' }, events);
  return harness;
}

describe('long stories', () => {
  it('shows every title of a 1,000-event story on one page', async () => {
    const { app } = await longStory(1000);
    const res = await request(app).get('/stories/long').expect(200);
    expect(articleIds(res.text)).toHaveLength(1000);
    expect(res.text).not.toContain('Événements plus récents');
  });

  it('splits a longer story into pages of whole days, linked to each other, that together hold every event', async () => {
    const total = ALL_ON_ONE_PAGE + 300;
    const { app } = await longStory(total);
    const seen: string[] = [];
    const sizes: number[] = [];
    let url: string | undefined = '/stories/long';
    while (url && sizes.length < 10) {
      const res: request.Response = await request(app).get(url).expect(200);
      const ids = articleIds(res.text);
      seen.push(...ids);
      sizes.push(ids.length);
      // oldest first (concluded): the link at the bottom leads to later events
      url = /<p class="pager"><a href="([^"]+)">Événements plus récents/.exec(res.text)?.[1]?.replace(/&amp;/g, '&');
    }
    expect(sizes.length).toBeGreaterThan(1);
    // every page but the last holds at least PAGE_SIZE events, in whole days of 4
    for (const size of sizes.slice(0, -1)) {
      expect(size).toBeGreaterThanOrEqual(PAGE_SIZE);
      expect(size).toBeLessThan(PAGE_SIZE + 4);
    }
    expect(new Set(seen).size).toBe(total);
    expect(seen[0]).toBe('e0');
  });
});
