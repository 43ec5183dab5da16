/**
 * Rendered pages keyed by what they depend on (story version, build, URL, origin): a page
 * is rendered once per version however many readers arrive. Bounded in entries and bytes;
 * the least recently used page goes first.
 */
export class RenderCache {
  readonly #pages = new Map<string, string>();
  #bytes = 0;

  constructor(
    private readonly maxEntries = 200,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(key: string): string | undefined {
    const html = this.#pages.get(key);
    if (html !== undefined) {
      this.#pages.delete(key);
      this.#pages.set(key, html);
    }
    return html;
  }

  set(key: string, html: string): void {
    if (html.length > this.maxBytes / 4) return;
    const old = this.#pages.get(key);
    if (old !== undefined) {
      this.#bytes -= old.length;
      this.#pages.delete(key);
    }
    this.#pages.set(key, html);
    this.#bytes += html.length;
    for (const [k, v] of this.#pages) {
      if (this.#pages.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#pages.delete(k);
      this.#bytes -= v.length;
    }
  }
}
