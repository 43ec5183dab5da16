import pg from 'pg';
import { CHANGE_CHANNEL } from './pg-store.js';

export interface ListenerEvents {
  /** a committed change: `slug` reached `version` (a hint: read the changes from the database) */
  hint(slug: string, version: number): void;
  /** (re)connected: changes may have been missed meanwhile, so catch up */
  connected(): void;
  error?(error: Error): void;
}

/**
 * LISTENs for committed changes on a dedicated connection (a pooled one could be handed
 * to a query and stop listening). A lost connection is retried with backoff, and each
 * new connection is followed by a catch-up.
 */
export class PgChangeListener {
  #client: pg.Client | undefined;
  #closed = false;
  #delay = 250;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly events: ListenerEvents,
  ) {}

  get connected(): boolean {
    return this.#client !== undefined;
  }

  start(): void {
    void this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'chrono-listener' });
    const lost = (error?: Error) => {
      if (error) this.events.error?.(error);
      if (this.#client === client) this.#client = undefined;
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end().catch(() => undefined);
      this.#retry();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      const [slug, version] = (message.payload ?? '').split(' ');
      if (slug && Number(version) > 0) this.events.hint(slug, Number(version));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      return;
    }
    if (this.#closed) return void client.end().catch(() => undefined);
    this.#client = client;
    this.#delay = 250;
    this.events.connected();
  }

  #retry(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, this.#delay);
    this.#timer.unref();
    this.#delay = Math.min(this.#delay * 2, 10_000);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
