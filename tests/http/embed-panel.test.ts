import * as cheerio from 'cheerio';
import request from 'supertest';
import { DEMO_SLUG, demoApp } from './harness.js';

describe('the embed panel', () => {
  it('is linked from the story page and works as a plain page: options in, snippets out', async () => {
    const { app } = await demoApp();
    const story = await request(app).get(`/stories/${DEMO_SLUG}`).set('Host', 'chrono.test').expect(200);
    expect(story.text).toContain(`href="/stories/${DEMO_SLUG}/embed"`);

    const res = await request(app).get(`/stories/${DEMO_SLUG}/embed?limit=5&theme=dark&key=1`).set('Host', 'chrono.test').expect(200);
    const $ = cheerio.load(res.text);
    const script = $('#snippet-script').text();
    expect(script).toContain(`<div data-chrono="http://chrono.test/stories/${DEMO_SLUG}" data-limit="5" data-key="1" data-theme="dark">`);
    expect(script).toContain('<script async src="http://chrono.test/embed.js"></script>');
    expect($('#snippet-iframe').text()).toContain(`src="http://chrono.test/embed/${DEMO_SLUG}?limit=5&amp;key=1&amp;theme=dark"`);
    expect($('#snippet-url').text()).toBe(`http://chrono.test/stories/${DEMO_SLUG}`);
    expect($('iframe.embed-preview').attr('src')).toBe(`http://chrono.test/embed/${DEMO_SLUG}?limit=5&key=1&theme=dark`);
    expect($('form.embed-options input[name="limit"]').val()).toBe('5');
  });

  it('refuses a malformed asof with the field named', async () => {
    const { app } = await demoApp();
    const res = await request(app).get(`/stories/${DEMO_SLUG}/embed?asof=yesterday`).set('Accept', 'application/json').expect(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_asof', field: 'asof' });
  });
});
