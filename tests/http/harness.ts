import path from 'node:path';
import { pino } from 'pino';
import { createApp } from '../../server/app.js';
import { APP_ROOT } from '../../server/config.js';
import { fixedClock } from '../../server/services/clock.js';
import { loadDemoIfEmpty } from '../../server/services/demo.js';
import { StoryService, type Change } from '../../server/services/stories.js';
import { LiveHub } from '../../server/web/live.js';
import { MemoryStore } from '../../server/storage/memory-store.js';
import { MemoryAccountStore } from '../../server/storage/memory-account-store.js';
import { AccountService } from '../../server/services/accounts.js';

export const DEMO_SLUG = 'openai-limogeage-sam-altman';

/** The real app on an in-memory store, with a fixed clock and the demo story loaded. */
export async function demoApp(options: { demo?: boolean; maxStreams?: number; heartbeatMs?: number; onChange?: (change: Change) => void } = {}) {
  const store = new MemoryStore();
  const clock = fixedClock('2023-11-20T13:02:00.000Z');
  const live = new LiveHub({ changesSince: (slug, after) => store.changesSince(slug, after), maxStreams: options.maxStreams ?? 100, heartbeatMs: options.heartbeatMs ?? 15_000, maxReplay: 500 });
  const service = new StoryService({
    store,
    clock,
    publish: (change) => {
      live.publish(change);
      options.onChange?.(change);
    },
  });
  if (options.demo !== false) await loadDemoIfEmpty(service, path.join(APP_ROOT, 'data', 'demo-story.json'));
  const accounts = new AccountService({ accounts: new MemoryAccountStore(), clock });
  const app = createApp({ service, live, accounts, clock, config: { env: 'test', baseUrl: undefined }, logger: pino({ level: 'silent' }) });
  return { app, service, store, clock, accounts, live };
}

/** The ids of the event cards in page order. */
export function articleIds(html: string): string[] {
  return [...html.matchAll(/<article id="([^"]+)"/g)].map((m) => m[1]!);
}
