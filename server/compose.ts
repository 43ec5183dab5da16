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
import { MAX_REPLAY } from './web/api.js';
import { LiveHub } from './web/live.js';

export const DEMO_SEED = path.join(APP_ROOT, 'data', 'demo-story.json');

/** Wires the stores, services and app for a data directory; the caller owns the lock and the listening. */
export async function compose(config: Config, logger: Logger, clock: Clock = systemClock) {
  const store = await LowdbStore.open(config.dataDir);
  const accountStore = await LowdbAccountStore.open(config.dataDir);
  const live = new LiveHub({ load: (slug) => store.getStory(slug), maxStreams: config.maxStreams, heartbeatMs: 15_000, maxReplay: MAX_REPLAY });
  const service = new StoryService({ store, clock, publish: live.publish });
  const accounts = new AccountService({ accounts: accountStore, clock });
  if (await loadDemoIfEmpty(service, DEMO_SEED)) logger.info('loaded the demo story');
  const app = createApp({ service, live, accounts, clock, config, logger });
  return {
    app,
    service,
    live,
    accounts,
    async close() {
      live.close();
      await store.close();
      await accountStore.close();
    },
  };
}
