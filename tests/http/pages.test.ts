import request from 'supertest';
import { articleIds, DEMO_SLUG, demoApp } from './harness.js';

describe('reader pages', () => {
  it('lists the stories with status, last update and event count', async () => {
    const { app } = await demoApp();
    const res = await request(app).get('/').expect(200).expect('Content-Type', /html/);
    expect(res.text).toContain('<html lang="fr">');
    expect(res.text).toContain(`href="/stories/${DEMO_SLUG}"`);
    expect(res.text).toContain('OpenAI : le limogeage de Sam Altman');
    expect(res.text).toContain('En cours');
    expect(res.text).toContain('7 événements');
    expect(res.text).toContain('<time datetime="2023-11-20T14:02:00+01:00">20 novembre 2023, 14:02</time>');
  });

  it('shows a developing story newest first, grouped by day in the story zone', async () => {
    const { app } = await demoApp();
    const res = await request(app).get(`/stories/${DEMO_SLUG}`).expect(200);
    expect(articleIds(res.text)).toEqual([
      'microsoft-recrute-sam-altman',
      'ilya-sutskever-regrette',
      'lettre-des-salaries',
      'emmett-shear-directeur-general-par-interim',
      'week-end-de-negociations',
      'greg-brockman-demissionne',
      'le-conseil-limoge-sam-altman',
    ]);
    const headings = [...res.text.matchAll(/<h2 class="day__heading"[^>]*><time datetime="([^"]+)">([^<]+)<\/time>/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(headings).toEqual(['2023-11-20 lundi 20 novembre 2023', '2023-11-19 dimanche 19 novembre 2023', '2023-11-18 samedi 18 novembre 2023', '2023-11-17 vendredi 17 novembre 2023']);
    // the Microsoft announcement sits under Monday 20 in Paris, with its Los Angeles time alongside
    expect(res.text).toContain('<time datetime="2023-11-20T08:53:00+01:00">20 novembre 2023, 08:53</time>');
    expect(res.text).toContain('19 novembre, 23:53 à Los Angeles');
    expect(res.text).toContain('<time datetime="2023-11-20">20 novembre 2023</time>');
    expect(res.text).toContain('<h1 class="story-head__title">OpenAI : le limogeage de Sam Altman</h1>');
    expect(res.text).toMatch(/<ol class="day__events">/);
  });

  it('shows a change to a page it has already rendered', async () => {
    const { app, service } = await demoApp();
    const before = await request(app).get(`/stories/${DEMO_SLUG}`).expect(200);
    await service.appendEvent(DEMO_SLUG, { date: '2023-11-22', title: 'Retour de Sam Altman' });
    const after = await request(app).get(`/stories/${DEMO_SLUG}`).expect(200);
    expect(articleIds(before.text)).not.toContain('retour-de-sam-altman');
    expect(articleIds(after.text)[0]).toBe('retour-de-sam-altman');
    await request(app).get(`/stories/${DEMO_SLUG}`).set('If-None-Match', after.headers.etag!).expect(304);
    await request(app).get(`/stories/${DEMO_SLUG}`).set('If-None-Match', before.headers.etag!).expect(200);
  });

  it('puts the oldest first on request, and by default once the story is concluded', async () => {
    const { app, service } = await demoApp();
    const asc = await request(app).get(`/stories/${DEMO_SLUG}?order=asc`).expect(200);
    expect(articleIds(asc.text)[0]).toBe('le-conseil-limoge-sam-altman');
    expect(articleIds(asc.text).at(-1)).toBe('microsoft-recrute-sam-altman');
    await service.createStory({ slug: 'done', title: 'Done', language: 'en', timeZone: 'UTC', status: 'concluded' }, [
      { date: '2020-01-02', title: 'Second' },
      { date: '2020-01-01', title: 'First' },
    ]);
    const concluded = await request(app).get('/stories/done').expect(200);
    expect(articleIds(concluded.text)).toEqual(['first', 'second']);
    expect(concluded.text).toContain('<html lang="en">');
    expect(concluded.text).toContain('Concluded');
    expect(concluded.text).toContain('January 1, 2020');
  });

  it('gives each event a page of its own that links back to its place', async () => {
    const { app } = await demoApp();
    const res = await request(app).get(`/stories/${DEMO_SLUG}/events/lettre-des-salaries`).expect(200);
    expect(res.text).toContain('Quelque 490 salariés menacent de rejoindre Microsoft');
    expect(res.text).toContain(`href="/stories/${DEMO_SLUG}#lettre-des-salaries"`);
    expect(res.text).toContain('<em>Wired</em>');
    expect(res.text).toContain('href="https://www.wired.com/story/openai-staff-walk-protest-sam-altman/"');
    expect(articleIds(res.text)).toEqual(['lettre-des-salaries']);
  });

  it('marks key events and unconfirmed ones in words', async () => {
    const { app, service } = await demoApp();
    await service.appendEvent(DEMO_SLUG, { date: '2023-11-21', title: 'Rumeur de retour', verification: 'unconfirmed' });
    const res = await request(app).get(`/stories/${DEMO_SLUG}`).expect(200);
    expect(res.text).toMatch(/<article id="microsoft-recrute-sam-altman" class="event event--key"/);
    expect(res.text).toContain('Clé</span> Microsoft recrute');
    expect(res.text).toContain('Non confirmé');
  });

  it('answers unknown pages with a 404 page in the story language, or JSON when asked', async () => {
    const { app, service } = await demoApp();
    const page = await request(app).get('/stories/nope').expect(404).expect('Content-Type', /html/);
    expect(page.text).toContain('Page introuvable');
    await service.createStory({ slug: 'en-story', title: 'English', language: 'en', timeZone: 'UTC' });
    const event = await request(app).get('/stories/en-story/events/nope').expect(404);
    expect(event.text).toContain('<html lang="en">');
    expect(event.text).toContain('Page not found');
    const json = await request(app).get('/stories/nope').set('Accept', 'application/json').expect(404).expect('Content-Type', /json/);
    expect(json.body).toEqual({ error: { code: 'story_not_found', message: 'No story "nope"', field: 'slug' } });
    const other = await request(app).get('/no/such/page').set('Accept', 'application/json').expect(404);
    expect(other.body.error.code).toBe('not_found');
  });

  it('sends security headers and serves its stylesheet', async () => {
    const { app } = await demoApp();
    const res = await request(app).get('/').expect(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    await request(app).get('/static/chrono.css').expect(200).expect('Content-Type', /css/);
    expect((await request(app).get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
  });
});
