import path from 'node:path';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { APP_ROOT, type Config } from './config.js';
import { AccountService } from './services/accounts.js';
import { systemClock, type Clock } from './services/clock.js';
import { loadDemoIfEmpty } from './services/demo.js';
import { StoryService } from './services/stories.js';
import type { AccountStore } from './storage/account-store.js';
import { LowdbAccountStore } from './storage/lowdb-account-store.js';
import { LowdbStore } from './storage/lowdb-store.js';
import { PgChangeListener } from './storage/pg-listener.js';
import { PgAccountStore, PgStore } from './storage/pg-store.js';
import type { Store } from './storage/store.js';
import { MAX_REPLAY } from './web/api.js';
import { LiveHub } from './web/live.js';

export const DEMO_SEED = path.join(APP_ROOT, 'data', 'demo-story.json');
/** How often, with PostgreSQL, each story with readers here is checked even without a hint. */
export const CATCH_UP_MS = 30_000;

export interface Health {
  storage: 'lowdb' | 'postgresql';
  database: 'ok' | 'unreachable' | 'n/a';
  listening: boolean;
  streams: number;
}

/**
 * Wires stores, services and the app. lowdb (the default) publishes changes to this
 * process's readers directly; with PostgreSQL every instance learns of every change from
 * LISTEN/NOTIFY and reads it from the database, so readers on any instance see it.
 */
export async function compose(config: Config, logger: Logger, clock: Clock = systemClock) {
  let store: Store;
  let accountStore: AccountStore;
  let listener: PgChangeListener | undefined;
  let pgStore: PgStore | undefined;
  if (config.databaseUrl) {
    pgStore = await PgStore.open(config.databaseUrl);
    store = pgStore;
    accountStore = new PgAccountStore(pgStore.pool);
  } else {
    store = await LowdbStore.open(config.dataDir);
    accountStore = await LowdbAccountStore.open(config.dataDir);
  }
  const live = new LiveHub({ changesSince: (slug, after) => store.changesSince(slug, after), maxStreams: config.maxStreams, heartbeatMs: 15_000, maxReplay: MAX_REPLAY });
  const service = new StoryService({ store, clock, ...(pgStore ? {} : { publish: live.publish }) });
  const accounts = new AccountService({ accounts: accountStore, clock });

  let backstop: NodeJS.Timeout | undefined;
  if (config.databaseUrl) {
    listener = new PgChangeListener(config.databaseUrl, {
      hint: (slug) => void live.hint(slug).catch((error: unknown) => logger.warn({ err: error, slug }, 'live catch-up failed')),
      connected: () => {
        logger.info('listening for changes');
        void live.catchUpAll();
      },
      error: (error) => logger.warn({ err: error }, 'change listener lost its connection; reconnecting'),
    });
    listener.start();
    backstop = setInterval(() => void live.catchUpAll(), CATCH_UP_MS);
    backstop.unref();
  }

  const health = async (): Promise<Health> => ({
    storage: pgStore ? 'postgresql' : 'lowdb',
    database: pgStore ? ((await pgStore.health()) ? 'ok' : 'unreachable') : 'n/a',
    listening: listener ? listener.connected : true,
    streams: live.count,
  });

  if (await loadDemoIfEmpty(service, DEMO_SEED).catch((error: unknown) => {
    // several instances may seed at once: one wins, the others find the story there
    if ((error as { code?: string }).code === 'story_exists') return false;
    throw error;
  })) logger.info('loaded the demo story');

  const app = createApp({ service, live, accounts, clock, config, logger, health });
  return {
    app,
    service,
    accounts,
    live,
    async close() {
      clearInterval(backstop);
      live.close();
      await listener?.close();
      await store.close();
      await accountStore.close();
    },
  };
}
