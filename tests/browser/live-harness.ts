// Helpers for the live chronology tests (live.test.ts): a bearer token made with the real CLI,
// a small client for the real write API, a TCP relay that can cut the browser off from the
// server (Chromium's offline emulation does not touch loopback streams), and what a page shows.
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Page } from 'playwright-core';
import { ROOT } from './server.js';

/** `chrono token create <name>` on the data directory; the token is the last line it prints. */
export async function createToken(dataDir: string, name: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHRONO_DATA_DIR: dataDir, NODE_ENV: 'production' };
  delete env.NODE_OPTIONS; // jest's --experimental-vm-modules is not for the CLI
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'token', 'create', name], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const token = out.trim().split('\n').at(-1)?.trim();
  if (code !== 0 || !token) throw new Error(`chrono token create ${name} failed (exit ${code}):\n${out}`);
  return token;
}

export interface EventJson {
  id: string;
  title: string;
  date: string;
  [key: string]: unknown;
}

/** The bearer-token write API of one story, spoken to directly (never through the relay). */
export class StoryApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly slug: string,
  ) {}

  #url(path = ''): string {
    return `${this.baseUrl}/api/stories/${encodeURIComponent(this.slug)}${path}`;
  }

  async #send(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(this.#url(path), {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return response;
  }

  async #json<T>(response: Response, expected: number, what: string): Promise<T> {
    const text = await response.text();
    if (response.status !== expected) throw new Error(`${what}: expected ${expected}, got ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** POST /events; resolves with the stored event (its id included). */
  async append(input: Record<string, unknown>): Promise<EventJson> {
    const { event } = await this.#json<{ event: EventJson }>(await this.#send('POST', '/events', input), 201, `append ${JSON.stringify(input)}`);
    return event;
  }

  /** The ETag of GET /events/:id, as If-Match wants it. */
  async etag(id: string): Promise<string> {
    const response = await fetch(this.#url(`/events/${encodeURIComponent(id)}`));
    await this.#json(response, 200, `GET event ${id}`);
    const etag = response.headers.get('etag');
    if (!etag) throw new Error(`GET event ${id}: no ETag`);
    return etag;
  }

  /** PATCH /events/:id with If-Match from a fresh GET. */
  async edit(id: string, patch: Record<string, unknown>): Promise<EventJson> {
    const ifMatch = await this.etag(id);
    const response = await this.#send('PATCH', `/events/${encodeURIComponent(id)}`, patch, { 'If-Match': ifMatch });
    return (await this.#json<{ event: EventJson }>(response, 200, `edit ${id}`)).event;
  }

  /** POST /events/:id/retract with a reason. */
  async retract(id: string, reason: string): Promise<EventJson> {
    const response = await this.#send('POST', `/events/${encodeURIComponent(id)}/retract`, { reason });
    return (await this.#json<{ event: EventJson }>(response, 200, `retract ${id}`)).event;
  }
}

/**
 * A TCP relay on 127.0.0.1 in front of the server. cut() drops every open connection (the
 * page's event stream among them) and resets each new one until restore(): to the browser,
 * the network is gone; the server itself keeps running and keeps accepting API writes.
 */
export class CuttableRelay {
  readonly #sockets = new Set<net.Socket>();
  readonly #server: net.Server;
  #blocked = false;
  /** connections refused while cut */
  refused = 0;
  /** the head (request line and headers) of every request relayed, in order; the browser's own
   * request events do not show every header Chromium sends (Last-Event-ID, for one) */
  readonly requestHeads: string[] = [];

  private constructor(targetPort: number) {
    this.#server = net.createServer((client) => {
      if (this.#blocked) {
        this.refused++;
        client.resetAndDestroy();
        return;
      }
      const upstream = net.connect(targetPort, '127.0.0.1');
      client.on('data', (chunk: Buffer) => {
        const text = chunk.toString('latin1');
        for (const match of text.matchAll(/^[A-Z]+ \S+ HTTP\/1\.1\r\n[\s\S]*?\r\n\r\n/gm)) this.requestHeads.push(match[0]);
      });
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.#sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.#sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
  }

  static async start(targetPort: number): Promise<{ relay: CuttableRelay; baseUrl: string }> {
    const relay = new CuttableRelay(targetPort);
    await new Promise<void>((resolve, reject) => {
      relay.#server.once('error', reject);
      relay.#server.listen(0, '127.0.0.1', resolve);
    });
    const address = relay.#server.address() as net.AddressInfo;
    return { relay, baseUrl: `http://127.0.0.1:${address.port}` };
  }

  cut(): void {
    this.#blocked = true;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#blocked = false;
  }

  /** The Last-Event-ID header of each relayed request for `path` (undefined where there was none). */
  lastEventIds(path: string): (string | undefined)[] {
    return this.requestHeads
      .filter((head) => head.split(' ', 2)[1]?.split('?')[0] === path)
      .map((head) => /^last-event-id:\s*(.*?)\r$/im.exec(head)?.[1]);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export interface Listing {
  /** article ids, in document order */
  ids: string[];
  /** each day section as "group: id, id, …", in document order */
  sections: string[];
}

/** What the chronology shows: the day sections and the articles in them, in order. */
export function listing(page: Page): Promise<Listing> {
  return page.evaluate(() => {
    const root = document.getElementById('chronology');
    if (!root) return { ids: [], sections: [] };
    const ids = [...root.querySelectorAll('article')].map((a) => a.id);
    const sections = [...root.querySelectorAll<HTMLElement>('section[data-group]')].map(
      (s) => `${s.dataset.group}: ${[...s.querySelectorAll('article')].map((a) => a.id).join(', ')}`,
    );
    return { ids, sections };
  });
}

/** Accent- and case-insensitive text, as the server's search folds it. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}
