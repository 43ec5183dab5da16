// The public chronology in a real browser against the real server (server/index.ts, production
// mode, a fresh data directory with the demo story): without JavaScript it is a complete page
// with a GET filter form; with it, events written through the bearer-token API arrive, change
// and are retracted in place without a reload, catch up once each after a cut connection, the
// filters swap the list and the URL, #id highlights, "new since your last visit", the time-zone
// toggle, and no serious accessibility violation (axe-core) in light or dark.
//
// The tests share one server and run in order: the first counts the demo's 7 events, the later
// ones add events (each test compares what it sees with a fresh load, never with fixed totals).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { launchChromium, openContext, type TestContext } from './browser.js';
import { createToken, CuttableRelay, fold, listing, StoryApi, type Listing } from './live-harness.js';
import { DEMO_SLUG, ROOT, startServer, type RunningServer, type TestUser } from './server.js';

interface DemoEvent {
  id: string;
  title: string;
  body: string;
  tags: string[];
  importance?: string;
}
const DEMO = JSON.parse(readFileSync(path.join(ROOT, 'data', 'demo-story.json'), 'utf8')) as { events: DemoEvent[] };
const STORY = `/stories/${DEMO_SLUG}`;
const WRITER: TestUser = { name: 'dominique', role: 'editor', password: 'correct horse battery staple' };
const AXE_SOURCE = readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

let server: RunningServer;
let browser: Browser;
let api: StoryApi;
const contexts: TestContext[] = [];
const relays: CuttableRelay[] = [];

beforeAll(async () => {
  const [s, b] = await Promise.allSettled([startServer({ users: [WRITER] }), launchChromium()]);
  if (s.status === 'fulfilled') server = s.value;
  if (b.status === 'fulfilled') browser = b.value;
  for (const r of [s, b]) if (r.status === 'rejected') throw r.reason;
  api = new StoryApi(server.baseUrl, await createToken(server.dataDir, WRITER.name), DEMO_SLUG);
}, 60_000);

afterAll(async () => {
  for (const { context } of contexts.splice(0)) await context.close().catch(() => {});
  for (const relay of relays.splice(0)) await relay.close();
  await browser?.close();
  await server?.stop();
}, 30_000);

async function newContext(options: BrowserContextOptions = {}, baseUrl = server.baseUrl): Promise<TestContext> {
  const ctx = await openContext(browser, baseUrl, options);
  contexts.push(ctx);
  return ctx;
}

/** What a fresh load of the URL shows, rendered by the server alone (no script). */
async function serverListing(url: string): Promise<Listing> {
  const { context, page } = await newContext({ javaScriptEnabled: false });
  await page.goto(url);
  const result = await listing(page);
  await context.close();
  return result;
}

/** The article ids a page shows. */
const ids = async (page: Page): Promise<string[]> => (await listing(page)).ids;

/** Sets a variable on the window; it survives history.pushState but not a load. */
async function setMarker(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __chronoMarker: string }).__chronoMarker = 'still here'));
}
const marker = (page: Page): Promise<string | undefined> => page.evaluate(() => (window as unknown as { __chronoMarker?: string }).__chronoMarker);

function pathOf(page: Page): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/** The classes of the <li> that holds an event's article. */
const itemClasses = (page: Page, id: string): Promise<string[]> =>
  page.locator(`li:has(> article#${id})`).evaluate((li) => [...li.classList]);

/** No page errors and no failed loads except the event stream's own (cut on purpose in one test). */
function expectClean(ctx: TestContext): void {
  expect(ctx.problems).toEqual([]);
  expect(ctx.httpErrors).toEqual([]);
}

test('without JavaScript: every event is on the page and the filter form works as a GET form', async () => {
  const ctx = await newContext({ javaScriptEnabled: false });
  const { page } = ctx;
  await page.goto(STORY);
  expect(await page.locator('#chronology article').count()).toBe(DEMO.events.length);
  expect(DEMO.events.length).toBe(7);
  expect(new Set(await ids(page))).toEqual(new Set(DEMO.events.map((e) => e.id)));

  const form = page.locator('#chrono-controls form.filters');
  await form.locator('input[name="q"]').fill('Microsoft');
  await Promise.all([page.waitForURL((url) => url.searchParams.get('q') === 'Microsoft'), form.getByRole('button', { name: 'Appliquer' }).click()]);

  const expected = DEMO.events.filter((e) => fold(`${e.title} ${e.body}`).includes('microsoft')).map((e) => e.id);
  expect(expected.length).toBeGreaterThan(0);
  expect(expected.length).toBeLessThan(DEMO.events.length);
  expect(new Set(await ids(page))).toEqual(new Set(expected));
  expect(await page.locator('input[name="q"]').inputValue()).toBe('Microsoft');
  expect(await page.locator('.controls__count').textContent()).toBe(`${expected.length} sur ${DEMO.events.length} événements`);
  expectClean(ctx);
});

test('filters swap the list and the URL without a reload, and each URL reproduces its list', async () => {
  const ctx = await newContext();
  const { context, page } = ctx;
  await page.goto(STORY);
  await setMarker(page);
  const initial = await ids(page);
  const steps: { path: string; ids: string[] }[] = [{ path: pathOf(page), ids: initial }];

  /** Performs an action that must change the URL (pushState) and the list, not reload the page. */
  async function step(name: string, urlCheck: (url: URL) => boolean, action: () => Promise<void>): Promise<string[]> {
    const before = steps.at(-1)!;
    await Promise.all([page.waitForURL((url) => pathOf(page) !== before.path && urlCheck(url)), action()]);
    await page.locator('#chronology').waitFor();
    const now = await ids(page);
    expect({ step: name, marker: await marker(page) }).toEqual({ step: name, marker: 'still here' });
    expect({ step: name, changed: now.join() !== before.ids.join() }).toEqual({ step: name, changed: true });
    // a new page on that URL shows the same list
    const fresh = await context.newPage();
    await fresh.goto(page.url());
    expect({ step: name, ids: await ids(fresh) }).toEqual({ step: name, ids: now });
    await fresh.close();
    steps.push({ path: pathOf(page), ids: now });
    return now;
  }

  // tag chip
  const byTag = await step('tag chip', (url) => url.searchParams.getAll('tag').includes('OpenAI'), () =>
    page.locator('#chrono-controls nav.chips a.chip', { hasText: /^OpenAI\s/ }).click(),
  );
  const taggedOpenAI = new Set(DEMO.events.filter((e) => e.tags.includes('OpenAI')).map((e) => e.id));
  expect(byTag.every((id) => taggedOpenAI.has(id))).toBe(true);
  expect(await page.locator('#chrono-controls a.chip--on').textContent()).toMatch(/^OpenAI\s/);

  // search
  const searched = await step('search', (url) => url.searchParams.get('q') === 'altman', async () => {
    await page.locator('#chrono-controls input[name="q"]').fill('altman');
    await page.locator('#chrono-controls form.filters').getByRole('button', { name: 'Appliquer' }).click();
  });
  expect(searched.every((id) => byTag.includes(id))).toBe(true);
  expect(new URL(page.url()).searchParams.getAll('tag')).toEqual(['OpenAI']);

  // key events only
  const keyOnly = await step('key only', (url) => url.searchParams.get('key') === '1', async () => {
    await page.locator('#chrono-controls').getByLabel('Événements clés seulement').check();
    await page.locator('#chrono-controls form.filters').getByRole('button', { name: 'Appliquer' }).click();
  });
  const keyIds = new Set(DEMO.events.filter((e) => e.importance === 'key').map((e) => e.id));
  expect(keyOnly.every((id) => keyIds.has(id) && searched.includes(id))).toBe(true);
  expect(keyOnly.length).toBeGreaterThan(1);

  // order
  const ascending = await step('order', (url) => url.searchParams.get('order') === 'asc', async () => {
    await page.locator('#chrono-controls').getByLabel('Plus ancien d’abord').check();
    await page.locator('#chrono-controls form.filters').getByRole('button', { name: 'Appliquer' }).click();
  });
  expect(ascending).toEqual([...keyOnly].reverse());

  // Back (popstate) shows the previous list again, still without a reload
  await Promise.all([page.waitForURL((url) => url.searchParams.get('order') !== 'asc'), page.goBack()]);
  await page.waitForFunction((expected) => [...document.querySelectorAll('#chronology article')].map((a) => a.id).join() === expected, keyOnly.join());
  expect(await marker(page)).toBe('still here');
  expectClean(ctx);
});

test('opening /stories/<slug>#<id> highlights that event and scrolls it into view', async () => {
  const ctx = await newContext();
  const { page } = ctx;
  await page.goto(`${STORY}#lettre-des-salaries`);
  const article = page.locator('article#lettre-des-salaries.is-highlighted');
  await article.waitFor();
  expect(await page.locator('.is-highlighted').count()).toBe(1);
  const inView = await article.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.top < window.innerHeight && r.bottom > 0;
  });
  expect(inView).toBe(true);
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('lettre-des-salaries');
  expectClean(ctx);
});

test('the time-zone toggle shows times in the reader’s zone and back', async () => {
  const ctx = await newContext({ timezoneId: 'America/New_York' });
  const { page } = ctx;
  await page.goto(STORY);
  const tz = page.locator('[data-tz]');
  await tz.waitFor({ state: 'visible' });
  const time = page.locator('#microsoft-recrute-sam-altman .event__date time');
  const rail = page.locator('#microsoft-recrute-sam-altman .event__rail');
  expect(await time.textContent()).toBe('20 novembre 2023, 08:53');
  expect(await rail.textContent()).toBe('08:53');

  const local = tz.getByRole('button', { name: 'locale (New York)' });
  const story = tz.getByRole('button', { name: 'Paris' });
  expect(await story.getAttribute('aria-pressed')).toBe('true');
  await local.click();
  await page.waitForFunction(() => document.querySelector('#microsoft-recrute-sam-altman .event__date time')?.textContent?.includes('02:53'));
  expect(await time.textContent()).toMatch(/^20 novembre 2023(,| à) 02:53$/);
  expect(await rail.textContent()).toBe('02:53');
  expect(await local.getAttribute('aria-pressed')).toBe('true');
  expect(await story.getAttribute('aria-pressed')).toBe('false');

  await story.click();
  await page.waitForFunction(() => document.querySelector('#microsoft-recrute-sam-altman .event__date time')?.textContent?.includes('08:53'));
  expect(await time.textContent()).toBe('20 novembre 2023, 08:53');
  expect(await rail.textContent()).toBe('08:53');
  expect(await story.getAttribute('aria-pressed')).toBe('true');
  expectClean(ctx);
});

test('an event appended, edited and retracted through the API changes an open page in place', async () => {
  const ctx = await newContext();
  const { page } = ctx;
  await page.goto(STORY);
  await setMarker(page);

  const added = await api.append({
    date: '2023-11-18T12:00',
    title: 'Les investisseurs réclament le retour de Sam Altman',
    body: 'Samedi midi, heure de Paris, les principaux investisseurs pressent le conseil.',
    tags: ['Investisseurs'],
  });
  const card = page.locator(`section[data-group="2023-11-18"] article#${added.id}`);
  await card.waitFor();
  expect(await itemClasses(page, added.id)).toContain('is-new');
  const afterAppend = await listing(page);
  expect(afterAppend).toEqual(await serverListing(STORY));
  const position = afterAppend.ids.indexOf(added.id);

  // edit: same place, new title, marked as updated
  const newTitle = 'Les investisseurs exigent le retour de Sam Altman';
  await api.edit(added.id, { title: newTitle });
  await page.locator(`article#${added.id} .event__title`, { hasText: newTitle }).waitFor();
  expect(await itemClasses(page, added.id)).toContain('is-updated');
  const afterEdit = await listing(page);
  expect(afterEdit.ids.indexOf(added.id)).toBe(position);
  expect(afterEdit).toEqual(await serverListing(STORY));

  // retraction: the tombstone, in place
  const reason = 'Information démentie par les investisseurs';
  await api.retract(added.id, reason);
  await page.locator(`article#${added.id} .event__title s`, { hasText: newTitle }).waitFor();
  expect(await page.locator(`article#${added.id} .event__notice--retracted`).textContent()).toContain(reason);
  expect(await page.locator(`article#${added.id}`).getAttribute('class')).toContain('event--retracted');
  const afterRetract = await listing(page);
  expect(afterRetract.ids.indexOf(added.id)).toBe(position);
  expect(afterRetract).toEqual(await serverListing(STORY));

  expect(await marker(page)).toBe('still here');
  expectClean(ctx);
});

test('after the connection is cut and restored, events added meanwhile arrive once each', async () => {
  const { relay, baseUrl } = await CuttableRelay.start(server.port);
  relays.push(relay);
  const ctx = await newContext({}, baseUrl);
  const { page } = ctx;
  const isLive = (url: string) => new URL(url).pathname === `${STORY}/live`;
  await page.goto(STORY);
  await setMarker(page);

  // the stream is up once an event reaches the page
  const first = await api.append({ date: '2023-11-21T08:00', title: 'Avant la coupure' });
  await page.locator(`article#${first.id}`).waitFor();
  const versionBeforeCut = await page.locator('#chronology').getAttribute('data-version');

  // cut: the open stream fails, and so does the reconnection after it
  const streamFailed = page.waitForEvent('requestfailed', { predicate: (r) => isLive(r.url()) });
  relay.cut();
  await streamFailed;
  const during = [
    await api.append({ date: '2023-11-22T09:00', title: 'Pendant la coupure, un jour nouveau en tête' }),
    await api.append({ date: '2023-11-16', title: 'Pendant la coupure, un jour nouveau en fin de liste' }),
    await api.append({ date: '2023-11-19T10:00', title: 'Pendant la coupure, un jour déjà présent' }),
  ];
  await page.waitForEvent('requestfailed', { predicate: (r) => isLive(r.url()), timeout: 15_000 });
  expect(relay.refused).toBeGreaterThan(0);
  for (const event of during) expect(await page.locator(`article#${event.id}`).count()).toBe(0);

  // restore: the next retry resumes from the last version the page had
  const streamsBefore = relay.lastEventIds(`${STORY}/live`).length;
  const reconnected = page.waitForResponse((r) => isLive(r.url()) && r.status() === 200, { timeout: 15_000 });
  relay.restore();
  await reconnected;
  expect(relay.lastEventIds(`${STORY}/live`).slice(streamsBefore)).toEqual([versionBeforeCut]);
  for (const event of during) await page.locator(`article#${event.id}`).waitFor();

  // one more event on the restored stream, so that anything still on its way has arrived before counting
  const last = await api.append({ date: '2023-11-21T18:00', title: 'Après la coupure' });
  await page.locator(`article#${last.id}`).waitFor();

  for (const event of [first, ...during, last]) {
    expect({ id: event.id, count: await page.locator(`article#${event.id}`).count() }).toEqual({ id: event.id, count: 1 });
  }
  for (const event of [...during, last]) expect(await itemClasses(page, event.id)).toContain('is-new');
  const shown = await listing(page);
  expect(new Set(shown.ids).size).toBe(shown.ids.length);
  expect(shown).toEqual(await serverListing(STORY));
  expect(await page.locator('#chronology').getAttribute('data-version')).toBe(String(Number(versionBeforeCut) + during.length + 1));
  expect(await marker(page)).toBe('still here');
  expect(ctx.problems).toEqual([]);
  expect(ctx.httpErrors).toEqual([]);
});

test('events added since the last visit are marked as new on the next one', async () => {
  const ctx = await newContext();
  const { context, page } = ctx;
  await page.goto(STORY);
  const seenVersion = await page.locator('#chronology').getAttribute('data-version');
  await page.waitForFunction((v) => localStorage.getItem(`chrono:seen:${document.getElementById('chronology')!.dataset.slug}`) === v, seenVersion);
  expect(await page.locator('li.is-new').count()).toBe(0);
  expect(await page.locator('[data-since]').isHidden()).toBe(true);
  await page.close(); // an open page would see them arrive

  const fresh = [
    await api.append({ date: '2023-11-20T15:00', title: 'Première nouveauté depuis la visite' }),
    await api.append({ date: '2023-11-17T08:00', title: 'Seconde nouveauté depuis la visite' }),
  ];

  const again = await context.newPage();
  await again.goto(STORY);
  const since = again.locator('[data-since]');
  await since.waitFor({ state: 'visible' });
  expect(await since.textContent()).toContain('2 nouveautés depuis votre dernière visite');
  const marked = await again.locator('li.is-new > article').evaluateAll((articles) => articles.map((a) => a.id));
  expect(new Set(marked)).toEqual(new Set(fresh.map((e) => e.id)));
  expect(marked).toHaveLength(2);
  for (const event of fresh) expect(await again.locator(`article#${event.id} .badge--fresh`).textContent()).toBe('Nouveau');
  // the link goes to the first marked event in the page's order
  const firstMarked = (await ids(again)).find((id) => marked.includes(id));
  expect(await since.locator('a').getAttribute('href')).toBe(`#${firstMarked}`);
  expectClean(ctx);
});

for (const colorScheme of ['light', 'dark'] as const) {
  test(`axe-core finds no serious or critical violation on the chronology (${colorScheme})`, async () => {
    // axe is injected as an inline script, which the page's Content-Security-Policy would refuse;
    // another zone than the story's shows the time-zone toggle, and no motion keeps colours still
    const ctx = await newContext({ colorScheme, bypassCSP: true, timezoneId: 'America/New_York', reducedMotion: 'reduce' });
    const { page } = ctx;
    await page.goto(STORY);
    await page.locator('[data-tz]').waitFor({ state: 'visible' });
    // pretend the last visit was two versions ago: the "new since" note and badges show too
    await page.evaluate(() => {
      const root = document.getElementById('chronology')!;
      localStorage.setItem(`chrono:seen:${root.dataset.slug}`, String(Number(root.dataset.version) - 2));
    });
    await page.reload();
    await page.locator('[data-since]').waitFor({ state: 'visible' });
    await page.locator('li.is-new .badge--fresh').first().waitFor();
    await page.addScriptTag({ content: AXE_SOURCE });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (context?: unknown, options?: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
      interface AxeViolation {
        id: string;
        impact: string | null;
        help: string;
        nodes: { target: string[]; failureSummary?: string }[];
      }
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary ?? '' })) }));
    });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const report = serious.flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id} (${v.help}) at ${n.target}: ${n.summary.replace(/\s+/g, ' ')}`));
    expect(report).toEqual([]);
  });
}
