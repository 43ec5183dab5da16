// A small Server-Sent Events client for tests: Node's http client plus a parser that follows
// the WHATWG event-stream rules (blank line dispatches, data lines joined by \n, ':' comments).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';

export interface SseMessage {
  /** the event type; "message" when the block had no event: field */
  event: string;
  data: string;
  /** the id: field of this very block, if it had one */
  id?: string;
  /** the stream's last event id when this message was dispatched (ids persist across messages) */
  lastEventId: string;
}

/** Incremental parser: feed it text chunks as they arrive, in any split. */
export class SseParser {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  retry?: number;
  lastEventId = '';
  #buffer = '';
  #first = true;
  #data: string[] = [];
  #event = '';
  #id: string | undefined;

  constructor(private readonly onUpdate: () => void = () => {}) {}

  feed(chunk: string): void {
    if (this.#first && chunk.length) {
      this.#first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.#buffer += chunk;
    // a line ends at \r\n, \n or \r; a trailing \r may be the first half of \r\n, so keep it
    const re = /\r\n|\n|\r(?!$)/g;
    let start = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(this.#buffer))) {
      this.#line(this.#buffer.slice(start, m.index));
      start = m.index + m[0].length;
    }
    this.#buffer = this.#buffer.slice(start);
    this.onUpdate();
  }

  #line(line: string): void {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    switch (field) {
      case 'data':
        this.#data.push(value);
        break;
      case 'event':
        this.#event = value;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.#id = value;
          this.lastEventId = value;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  #dispatch(): void {
    const hadData = this.#data.length > 0;
    const message: SseMessage = { event: this.#event || 'message', data: this.#data.join('\n'), lastEventId: this.lastEventId, ...(this.#id !== undefined ? { id: this.#id } : {}) };
    this.#data = [];
    this.#event = '';
    this.#id = undefined;
    // per the spec, a block without data dispatches nothing
    if (hadData) this.messages.push(message);
  }
}

interface Waiter {
  check: () => boolean;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ConnectOptions {
  headers?: Record<string, string>;
  /** an http.Agent, or false for a dedicated socket (the default) */
  agent?: http.Agent | false;
}

/** One open stream (or a refused request): its response, the parsed messages and the raw text. */
export class SseClient {
  readonly parser: SseParser;
  raw = '';
  ended = false;
  readonly #waiters = new Set<Waiter>();

  private constructor(
    readonly req: http.ClientRequest,
    readonly res: http.IncomingMessage,
  ) {
    this.parser = new SseParser(() => this.#wake());
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.raw += chunk;
      if (res.statusCode === 200) this.parser.feed(chunk);
      else this.#wake();
    });
    const done = () => {
      this.ended = true;
      this.#wake();
    };
    res.on('end', done);
    res.on('close', done);
    res.on('error', done);
  }

  /** Resolves once the response headers are in. */
  static connect(url: string, options: ConnectOptions = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = http.get(url, { agent: options.agent ?? false, headers: { Accept: 'text/event-stream', ...options.headers } }, (res) => resolve(new SseClient(req, res)));
      req.on('error', reject);
    });
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  get headers(): http.IncomingHttpHeaders {
    return this.res.headers;
  }

  get messages(): SseMessage[] {
    return this.parser.messages;
  }

  get comments(): string[] {
    return this.parser.comments;
  }

  /** The change messages, in arrival order. */
  changes(): SseMessage[] {
    return this.messages.filter((m) => m.event === 'change');
  }

  /** The ids of the change messages, as numbers, in arrival order. */
  changeIds(): number[] {
    return this.changes().map((m) => Number(m.id));
  }

  /** Waits until `check` holds (checked on every chunk); rejects after `timeoutMs` or if the stream ends first. */
  waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(this.raw.slice(-2000))}`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Waits for a change message with this id (a story version). */
  waitForChange(version: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.changes().some((m) => m.id === String(version)), timeoutMs, `change ${version}`);
  }

  /** Waits for the response body to end (useful for refused requests). */
  waitForEnd(timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.ended, timeoutMs, 'the end of the response');
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) {
      if (waiter.check()) {
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
        waiter.resolve();
      } else if (this.ended) {
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
        waiter.reject(new Error(`the stream ended before the condition held; received: ${JSON.stringify(this.raw.slice(-2000))}`));
      }
    }
  }

  /** Closes the connection from the reader's side. */
  close(): void {
    this.req.destroy();
    this.res.destroy();
    for (const waiter of this.#waiters) clearTimeout(waiter.timer);
    this.#waiters.clear();
  }
}

/** Listens on an ephemeral loopback port; resolves with the base URL. */
export function listen(app: Express): Promise<{ server: Server; base: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, base: `http://127.0.0.1:${port}` });
    });
    server.on('error', reject);
  });
}

/** Closes a server and every connection still open on it. */
export function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Polls until `check` holds (for server-side state such as a stream count). */
export async function eventually(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
