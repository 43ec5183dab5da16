import request from 'supertest';
import { DEMO_SLUG, demoApp } from './harness.js';

describe('read API', () => {
  it('lists stories', async () => {
    const { app } = await demoApp();
    const res = await request(app).get('/api/stories').expect(200).expect('Content-Type', /json/);
    expect(res.body.stories).toEqual([expect.objectContaining({ slug: DEMO_SLUG, language: 'fr', timeZone: 'Europe/Paris', status: 'developing', eventCount: 7, version: 1 })]);
  });

  it('gives a story and its events in order, each with its start instant', async () => {
    const { app } = await demoApp();
    const res = await request(app).get(`/api/stories/${DEMO_SLUG}`).expect(200);
    expect(res.body.story.slug).toBe(DEMO_SLUG);
    expect(res.body.events.map((e: { id: string }) => e.id)[0]).toBe('le-conseil-limoge-sam-altman');
    const microsoft = res.body.events.find((e: { id: string }) => e.id === 'microsoft-recrute-sam-altman');
    expect(microsoft).toMatchObject({ date: '2023-11-19T23:53', timeZone: 'America/Los_Angeles', start: '2023-11-20T08:53:00+01:00', importance: 'key', version: 1 });
    expect(microsoft.sources).toEqual([{ label: 'X (Satya Nadella)', url: 'https://x.com/satyanadella' }]);
  });

  it('sends a strong ETag from the story version and 304 while it has not changed', async () => {
    const { app, service } = await demoApp();
    const first = await request(app).get(`/api/stories/${DEMO_SLUG}`).expect(200);
    expect(first.headers.etag).toBe('"1"');
    await request(app).get(`/api/stories/${DEMO_SLUG}`).set('If-None-Match', '"1"').expect(304);
    await service.appendEvent(DEMO_SLUG, { date: '2023-11-22', title: 'Sam Altman revient' });
    const after = await request(app).get(`/api/stories/${DEMO_SLUG}`).set('If-None-Match', '"1"').expect(200);
    expect(after.headers.etag).toBe('"2"');
    expect(after.body.events).toHaveLength(8);
  });

  it('answers an unknown story with the JSON error shape', async () => {
    const { app } = await demoApp();
    const res = await request(app).get('/api/stories/nope').expect(404);
    expect(res.body).toEqual({ error: { code: 'story_not_found', message: 'No story "nope"', field: 'slug' } });
  });
});
