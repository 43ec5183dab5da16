import * as cheerio from 'cheerio';

/**
 * Parses HTML as a browser would and looks for anything that could run: scripts other than
 * Chrono's own static ones (JSON-LD must still parse: hostile text stayed inside its strings),
 * event handlers, script URLs, active elements, and frames other than Chrono's embeds.
 */
export function expectInert(html: string, options: { fragment?: boolean } = {}): void {
  const $ = options.fragment ? cheerio.load(html, null, false) : cheerio.load(html);
  const jsonLd = $('script[type="application/ld+json"]').toArray();
  for (const el of jsonLd) expect(() => JSON.parse($(el).text())).not.toThrow();
  const scripts = $('script').toArray().filter((el) => !jsonLd.includes(el) && (!/^\/static\/[\w.-]+\.js$/.test($(el).attr('src') ?? '') || $(el).text().trim() !== ''));
  expect(scripts).toHaveLength(0);
  expect($('img[src="x"]')).toHaveLength(0);
  const handlers = $('*')
    .toArray()
    .flatMap((el) => Object.keys($(el).attr() ?? {}).filter((name) => name.toLowerCase().startsWith('on')));
  expect(handlers).toEqual([]);
  const urls = $('[href],[src],[action],[formaction]')
    .toArray()
    .flatMap((el) => ['href', 'src', 'action', 'formaction'].map((a) => $(el).attr(a)).filter((u): u is string => u !== undefined));
  expect(urls.filter((u) => /^\s*(javascript|data|vbscript):/i.test(u))).toEqual([]);
  expect($('object, embed, math, meta[http-equiv], base[href]')).toHaveLength(0);
  for (const el of $('iframe').toArray()) expect($(el).attr('src')).toMatch(/^https?:\/\/[^/]+\/embed\//);
  if (options.fragment) expect($('form')).toHaveLength(0);
}
