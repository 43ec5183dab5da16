// Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (Playwright's
// own browser download is not available here). CHROMIUM_PATH overrides the executable.
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

export interface TestContext {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors seen so far (a CSP violation shows up here); failed loads are in httpErrors. */
  problems: string[];
  /** Responses with a status of 400 or more, as "400 POST /path?query", in order. */
  httpErrors: string[];
}

/**
 * A fresh context (own cookies) with one page. Relative URLs in page.goto resolve against baseUrl.
 * Requests anywhere but the server under test are aborted, so a test can never reach the network.
 */
export async function openContext(browser: Browser, baseUrl: string, options: BrowserContextOptions = {}): Promise<TestContext> {
  const context = await browser.newContext({ baseURL: baseUrl, locale: 'fr-FR', viewport: { width: 1280, height: 900 }, ...options });
  const origin = new URL(baseUrl).origin;
  await context.route('**/*', (route) => (new URL(route.request().url()).origin === origin ? route.continue() : route.abort()));
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  const httpErrors: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx/5xx as "Failed to load resource"; those are listed, with their URL, in httpErrors
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() < 400) return;
    const url = new URL(response.url());
    httpErrors.push(`${response.status()} ${response.request().method()} ${url.pathname}${url.search}`);
  });
  return { context, page, problems, httpErrors };
}

/** Signs in through the login form on the page it is on (or on /login if not there yet), and waits for the redirect. */
export async function signIn(page: Page, name: string, password: string): Promise<void> {
  if (new URL(page.url(), 'http://x').pathname !== '/login') await page.goto('/login');
  await page.getByLabel('Identifiant').fill(name);
  await page.getByLabel('Mot de passe').fill(password);
  await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.getByRole('button', { name: 'Se connecter' }).click()]);
}
