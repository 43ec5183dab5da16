import path from 'node:path';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { APP_ROOT, type Config } from './config.js';
import { AccountService } from './services/accounts.js';
import { systemClock, type Clock } from './services/clock.js';
import { loadDemoIfEmpty } from './services/demo.js';
import { StoryService } from './services/stories.js';
import { LowdbAccountStore } from './storage/lowdb-account-store.js';
import { LowdbStore } from './storage/lowdb-store.js';

export const DEMO_SEED = path.join(APP_ROOT, 'data', 'demo-story.json');

/** Wires the stores, services and app for a data directory; the caller owns the lock and the listening. */
export async function compose(config: Config, logger: Logger, clock: Clock = systemClock) {
  const store = await LowdbStore.open(config.dataDir);
  const accountStore = await LowdbAccountStore.open(config.dataDir);
  const service = new StoryService({ store, clock });
  const accounts = new AccountService({ accounts: accountStore, clock });
  if (await loadDemoIfEmpty(service, DEMO_SEED)) logger.info('loaded the demo story');
  const app = createApp({ service, accounts, clock, config, logger });
  return {
    app,
    service,
    accounts,
    async close() {
      await store.close();
      await accountStore.close();
    },
  };
}
