import * as cheerio from 'cheerio';
import request from 'supertest';
import { ValidationError } from '../../server/domain/errors.js';
import { demoApp } from './harness.js';
import { expectInert } from './inert.js';

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';

async function hostileStory() {
  const harness = await demoApp({ demo: false });
  await harness.service.createStory({ slug: 'hostile', title: `Titre ${SCRIPT}`, summary: IMG, language: 'fr', timeZone: 'Europe/Paris' }, [
    {
      id: 'evil',
      date: '2023-11-20',
      title: `${SCRIPT} ${IMG}`,
      body: `${SCRIPT}\n\n${IMG}\n\n[clic](javascript:alert(1)) [ok](https://example.org/a"onmouseover="x)`,
      sources: [{ label: `${SCRIPT}${IMG}`, url: `https://example.org/${IMG}` }],
      tags: [SCRIPT, IMG],
      media: { url: 'https://example.org/i.jpg', alt: IMG, caption: SCRIPT, credit: IMG },
    },
  ]);
  return harness;
}


describe('user-written text on output', () => {
  it.each(['/stories/hostile', '/stories/hostile/events/evil', '/'])('is inert in %s', async (path) => {
    const { app } = await hostileStory();
    const res = await request(app).get(path).expect(200);
    expectInert(res.text);
    if (path !== '/') expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('stays data inside JSON-LD, which parses back to the exact text', async () => {
    const { app } = await hostileStory();
    const res = await request(app).get('/stories/hostile').expect(200);
    const $ = cheerio.load(res.text);
    const data = JSON.parse($('script[type="application/ld+json"]').text());
    expect(data.headline).toBe(`Titre ${SCRIPT}`);
    expect(data.liveBlogUpdate[0].headline).toBe(`${SCRIPT} ${IMG}`);
  });

  it('is inert in the API, where < and > are escaped inside JSON strings', async () => {
    const { app } = await hostileStory();
    const res = await request(app).get('/api/stories/hostile').expect(200).expect('Content-Type', /application\/json/);
    expect(res.text).not.toMatch(/<script|<img/i);
    expect(res.body.events[0].title).toBe(`${SCRIPT} ${IMG}`);
  });

  it('refuses javascript: and other non-web URLs for sources and media', async () => {
    const { service } = await hostileStory();
    const attempt = service.appendEvent('hostile', {
      date: '2023-11-20',
      title: 'x',
      sources: [{ label: 'x', url: 'javascript:alert(1)' }],
      media: { url: 'data:image/svg+xml,<svg onload=alert(1)>', alt: 'x' },
    });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ problems: [{ field: 'sources.0.url' }, { field: 'media.url' }] });
  });
});
