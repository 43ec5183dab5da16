// Where EventSource is missing or refused, the page polls the changes API (conditionally,
// with If-None-Match) and still shows what was added, without reloading.
import type { Browser } from 'playwright-core';
import { launchChromium, openContext, type TestContext } from './browser.js';
import { createToken, StoryApi } from './live-harness.js';
import { DEMO_SLUG, startServer, type RunningServer, type TestUser } from './server.js';

const WRITER: TestUser = { name: 'sondeur', role: 'editor', password: 'correct horse battery staple' };

let server: RunningServer;
let browser: Browser;
let api: StoryApi;
const contexts: TestContext[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ users: [WRITER] }), launchChromium()]);
  api = new StoryApi(server.baseUrl, await createToken(server.dataDir, WRITER.name), DEMO_SLUG);
}, 60_000);

afterAll(async () => {
  for (const { context } of contexts.splice(0)) await context.close().catch(() => {});
  await browser?.close();
  await server?.stop();
}, 30_000);

test.each([
  ['EventSource is missing', 'missing'],
  ['the stream is refused (503, as when the server is at its stream cap)', 'refused'],
])('when %s, the page polls and shows new events', async (_what, how) => {
  const ctx = await openContext(browser, server.baseUrl);
  contexts.push(ctx);
  const { page } = ctx;
  const polls: { status: number; ifNoneMatch: string | undefined }[] = [];
  page.on('response', (response) => {
    if (response.url().includes('/changes?after=')) polls.push({ status: response.status(), ifNoneMatch: response.request().headers()['if-none-match'] });
  });
  if (how === 'missing') await page.addInitScript(() => delete (window as { EventSource?: unknown }).EventSource);
  else await page.route('**/live?**', (route) => route.fulfill({ status: 503, headers: { 'Retry-After': '30' }, body: 'busy' }));
  await page.goto(`/stories/${DEMO_SLUG}`);
  await page.locator('#chronology').waitFor();

  // added right after the page loaded: the first poll (a second later) picks it up
  const added = await api.append({ date: '2023-11-22T09:00', title: `Ajouté pendant le sondage (${how})` });
  const article = page.locator(`article#${added.id}`);
  await article.waitFor({ timeout: 25_000 });
  expect(await article.locator('.event__title').textContent()).toContain('Ajouté pendant le sondage');
  expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1); // no reload
  expect(polls.some((p) => p.status === 200)).toBe(true);
});
