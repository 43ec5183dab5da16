// The editor in a real browser against the real server (server/index.ts, production mode, a
// temporary data directory with the demo story): sign in, add an event with the precision chips,
// the live preview, a validation error that keeps what was typed, then see the event on the
// public pages. And the same without JavaScript: the form must work with plain HTML.
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium, openContext, signIn, type TestContext } from './browser.js';
import { DEMO_SLUG, DEMO_TITLE, startServer, type RunningServer, type TestUser } from './server.js';

const EDITOR: TestUser = { name: 'camille', role: 'editor', password: 'correct horse battery staple' };
const STORY_EDITOR = `/admin/stories/${DEMO_SLUG}`;
const SCREENSHOT = '/tmp/editor.png';

let server: RunningServer;
let browser: Browser;
const contexts: TestContext[] = [];

beforeAll(async () => {
  // both at once; allSettled so that, if one fails, afterAll still finds (and closes) the other
  const [s, b] = await Promise.allSettled([startServer({ users: [EDITOR] }), launchChromium()]);
  if (s.status === 'fulfilled') server = s.value;
  if (b.status === 'fulfilled') browser = b.value;
  for (const r of [s, b]) if (r.status === 'rejected') throw r.reason;
}, 60_000);

afterAll(async () => {
  for (const { context } of contexts.splice(0)) await context.close().catch(() => {});
  await browser?.close();
  await server?.stop();
}, 30_000);

async function newContext(options: { javaScriptEnabled?: boolean } = {}): Promise<TestContext> {
  const ctx = await openContext(browser, server.baseUrl, options);
  contexts.push(ctx);
  return ctx;
}

function pathOf(page: Page): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/** Signs in from /admin and opens the demo story's editor from the story list. */
async function openDemoEditor(page: Page): Promise<void> {
  await page.goto('/admin');
  expect(new URL(page.url()).pathname).toBe('/login');
  expect(new URL(page.url()).searchParams.get('next')).toBe('/admin');
  expect(await page.locator('h1').textContent()).toBe('Connexion à la rédaction');

  await signIn(page, EDITOR.name, EDITOR.password);
  expect(pathOf(page)).toBe('/admin');
  await page.locator('.editbar').getByText(EDITOR.name).waitFor();

  await Promise.all([page.waitForURL((url) => url.pathname === STORY_EDITOR), page.getByRole('link', { name: DEMO_TITLE, exact: true }).click()]);
  expect(await page.locator('#add-heading').textContent()).toBe('Ajouter un événement');
}

/** Clicks a submit button of the event form, waits for the page the server answers with, returns the POST's status. */
async function submit(page: Page, button: 'Enregistrer' | 'Prévisualiser'): Promise<number> {
  const before = page.url(); // every submit here lands on another URL (/events, or ?saved= after a redirect)
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${STORY_EDITOR}/events`),
    page.waitForURL((url) => url.href !== before),
    page.locator('form.event-form').getByRole('button', { name: button, exact: true }).click(),
  ]);
  return response.status();
}

const precisionChip = (page: Page, name: 'Année' | 'Mois' | 'Jour' | 'Heure'): Locator =>
  page.locator('form.event-form fieldset.precision').getByLabel(name, { exact: true });
const tagChip = (page: Page, tag: string): Locator => page.locator('#f-tags').getByLabel(tag, { exact: true });

/** The public chronology's card for a title, inside the day group with this heading. */
function cardUnderDay(page: Page, day: string, title: string): Locator {
  return page
    .locator('section.day')
    .filter({ has: page.locator('h2.day__heading', { hasText: day }) })
    .locator('article.event')
    .filter({ has: page.locator('.event__title', { hasText: title }) });
}

describe('the editor in a browser', () => {
  test('sign in, add an event with precision chips, live preview and a date error, then see it published', async () => {
    const { page, problems, httpErrors } = await newContext();
    const TITLE = "Sam Altman revient à la tête d'OpenAI";
    const BODY = 'Après cinq jours de crise, un *accord de principe* ramène Sam Altman.';

    // 1-2. /admin → login page → sign in → the story list → the demo story's editor
    await openDemoEditor(page);

    // the script has run: it adds the "add a source" button and applies the precision (day by default)
    await page.locator('button.add-source').waitFor();
    expect(await precisionChip(page, 'Jour').isChecked()).toBe(true);
    expect(await page.locator('#time').isVisible()).toBe(false);
    expect(await page.locator('#day').isVisible()).toBe(true);

    const previews: { method: string; status: number }[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === `${STORY_EDITOR}/preview`) previews.push({ method: r.request().method(), status: r.status() });
    });

    // 3. the form: the chips show only the date parts they use
    await page.locator('#f-title').fill(TITLE);
    await precisionChip(page, 'Année').check();
    await page.locator('#month').waitFor({ state: 'hidden' });
    await page.locator('#day').waitFor({ state: 'hidden' });
    await page.locator('#time').waitFor({ state: 'hidden' });
    expect(await page.locator('#year').isVisible()).toBe(true);
    await precisionChip(page, 'Heure').check();
    await page.locator('#time').waitFor({ state: 'visible' });
    for (const part of ['#year', '#month', '#day']) expect(await page.locator(part).isVisible()).toBe(true);

    // an impossible date: 30 February 2023
    await page.locator('#year').fill('2023');
    await page.locator('#month').fill('02');
    await page.locator('#day').fill('30');
    await page.locator('#time').fill('07:00');
    await page.locator('#f-sources-0-label').fill('OpenAI');
    await page.locator('#f-sources-0-url').fill('https://x.com/openai');
    await tagChip(page, 'Sam Altman').check();
    await page.locator('#f-body').fill(BODY);

    // 4. the live preview: the server's own card, with the typed title and the rendered emphasis
    const preview = page.locator('[data-preview-target]');
    await preview.locator('article.event .event__title', { hasText: TITLE }).waitFor();
    await preview.locator('.event__body em', { hasText: 'accord de principe' }).waitFor();
    expect(await preview.locator('a.external').getAttribute('href')).toBe('https://x.com/openai');
    expect(previews.length).toBeGreaterThan(0);
    expect(previews.every((p) => p.method === 'POST' && p.status === 200)).toBe(true);

    // 5. save: refused, with the error next to the date, a summary, and everything typed kept
    expect(await submit(page, 'Enregistrer')).toBe(400);
    const dateError = page.locator('#f-date .field-error');
    await dateError.waitFor();
    expect(await dateError.textContent()).toContain('Date impossible');
    expect(await page.locator('#f-date').getAttribute('aria-describedby')).toBe('f-date-error');
    expect(await page.locator('#year').getAttribute('aria-invalid')).toBe('true');
    const summary = page.locator('#f-errors');
    expect(await summary.isVisible()).toBe(true);
    expect(await summary.getAttribute('role')).toBe('alert');
    expect(await summary.locator('a[href="#f-date"]').textContent()).toBe('Date');
    await page.waitForFunction(() => document.activeElement?.id === 'f-errors'); // the script moves focus to the summary
    expect(await page.locator('#f-title').inputValue()).toBe(TITLE);
    expect(await page.locator('#f-body').inputValue()).toBe(BODY);
    expect(await page.locator('#f-sources-0-label').inputValue()).toBe('OpenAI');
    expect(await page.locator('#f-sources-0-url').inputValue()).toBe('https://x.com/openai');
    expect(await tagChip(page, 'Sam Altman').isChecked()).toBe(true);
    expect(await tagChip(page, 'OpenAI').isChecked()).toBe(false);
    expect(await precisionChip(page, 'Heure').isChecked()).toBe(true);
    expect(await page.locator('#time').isVisible()).toBe(true);
    expect([await page.locator('#year').inputValue(), await page.locator('#month').inputValue(), await page.locator('#day').inputValue(), await page.locator('#time').inputValue()]).toEqual([
      '2023',
      '02',
      '30',
      '07:00',
    ]);
    expect(await page.locator('.compact-list').getByText(TITLE).count()).toBe(0); // nothing was saved

    // 6. fix the date and save: back on the story's editor, with a notice linking to the public page
    await page.locator('#day').fill('22');
    await page.locator('#month').fill('11');
    await page.locator('#year').fill('2023');
    await page.locator('#time').fill('07:00');
    expect(await submit(page, 'Enregistrer')).toBe(303);
    const saved = new URL(page.url());
    expect(saved.pathname).toBe(STORY_EDITOR);
    const eventId = saved.searchParams.get('saved');
    expect(eventId).toBeTruthy();
    expect(saved.hash).toBe(`#event-${eventId}`);
    const notice = page.locator('p.notice[role="status"]');
    expect(await notice.textContent()).toContain('Événement enregistré.');
    const publicLink = notice.getByRole('link', { name: `Le voir sur la page publique : ${TITLE}` });
    expect(await publicLink.getAttribute('href')).toBe(`/stories/${DEMO_SLUG}/events/${eventId}`);
    expect(await page.locator(`#event-${eventId}.is-saved`).textContent()).toContain(TITLE);
    expect(await page.locator('#f-errors').count()).toBe(0);
    const editorUrl = page.url();

    // the public event page
    await Promise.all([page.waitForURL((url) => url.pathname === `/stories/${DEMO_SLUG}/events/${eventId}`), publicLink.click()]);
    expect(await page.locator('h1.event__title').textContent()).toBe(TITLE);
    expect(await page.locator('.event__date time').textContent()).toBe('22 novembre 2023, 07:00');
    expect(await page.locator('.event__date time').getAttribute('datetime')).toBe('2023-11-22T07:00:00+01:00');
    expect(await page.locator('.event__body em').textContent()).toBe('accord de principe');
    expect(await page.locator('.event__sources a.external').getAttribute('href')).toBe('https://x.com/openai');
    expect(await page.locator('.event__sources a.external').textContent()).toContain('OpenAI');

    // the public chronology: under Wednesday 22 November, with its time and source
    await Promise.all([page.waitForURL((url) => url.pathname === `/stories/${DEMO_SLUG}`), page.getByRole('link', { name: 'Voir dans la chronologie' }).click()]);
    const card = cardUnderDay(page, 'mercredi 22 novembre 2023', TITLE);
    expect(await card.count()).toBe(1);
    expect(await card.getAttribute('id')).toBe(eventId);
    expect(await card.locator('.event__date time').textContent()).toBe('22 novembre 2023, 07:00');
    expect(await card.locator('.event__rail').textContent()).toBe('07:00');
    expect(await card.locator('.event__sources a.external').getAttribute('href')).toBe('https://x.com/openai');
    expect(await card.locator('.tags .tag').allTextContents()).toEqual(['Sam Altman']);

    // for a human: the editor page right after the save
    await page.goto(editorUrl);
    await page.locator('p.notice').waitFor();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    expect(problems).toEqual([]);
    expect(httpErrors).toEqual([`400 POST ${STORY_EDITOR}/events`]); // the refused save, nothing else
  }, 60_000);

  test('without JavaScript: sign in, preview on the server, add an event, see it on the public page', async () => {
    const { page, problems, httpErrors } = await newContext({ javaScriptEnabled: false });
    const TITLE = 'Le nouveau conseil d’administration est annoncé';

    await openDemoEditor(page);
    expect(await page.locator('button.add-source').count()).toBe(0); // the script did not run
    // every date part is shown: nothing hides them without the script
    for (const part of ['#year', '#month', '#day', '#time']) expect(await page.locator(part).isVisible()).toBe(true);

    await precisionChip(page, 'Jour').check();
    await page.locator('#year').fill('2023');
    await page.locator('#month').fill('11');
    await page.locator('#day').fill('21');
    await page.locator('#f-title').fill(TITLE);
    await page.locator('#f-body').fill('Bret Taylor le **présidera**.');
    await page.locator('#f-sources-0-label').fill('OpenAI');
    await page.locator('#f-sources-0-url').fill('https://openai.com/blog');
    await tagChip(page, 'OpenAI').check();

    // the "Prévisualiser" button: the server renders the card into the page, keeping the form
    expect(await submit(page, 'Prévisualiser')).toBe(200);
    await page.locator('[data-preview-target] .event__title', { hasText: TITLE }).waitFor();
    expect(await page.locator('[data-preview-target] .event__body strong').textContent()).toBe('présidera');
    expect(await page.locator('#f-title').inputValue()).toBe(TITLE);
    expect(await tagChip(page, 'OpenAI').isChecked()).toBe(true);

    expect(await submit(page, 'Enregistrer')).toBe(303);
    const eventId = new URL(page.url()).searchParams.get('saved');
    expect(eventId).toBeTruthy();
    const publicLink = page.locator('p.notice').getByRole('link', { name: `Le voir sur la page publique : ${TITLE}` });
    await Promise.all([page.waitForURL((url) => url.pathname === `/stories/${DEMO_SLUG}/events/${eventId}`), publicLink.click()]);
    expect(await page.locator('h1.event__title').textContent()).toBe(TITLE);
    expect(await page.locator('.event__date time').textContent()).toBe('21 novembre 2023');

    await page.goto(`/stories/${DEMO_SLUG}`);
    const card = cardUnderDay(page, 'mardi 21 novembre 2023', TITLE);
    expect(await card.count()).toBe(1);
    expect(await card.locator('.event__sources a.external').getAttribute('href')).toBe('https://openai.com/blog');
    expect(await card.locator('.tags .tag').allTextContents()).toEqual(['OpenAI']);

    expect(problems).toEqual([]);
    expect(httpErrors).toEqual([]);
  }, 60_000);
});
