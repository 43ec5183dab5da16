// Composition root: configuration → lock → store → service → app → listen; and a graceful close.
import path from 'node:path';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { createApp } from './app.js';
import { APP_ROOT, ConfigError, loadConfig, type Config } from './config.js';
import { systemClock } from './services/clock.js';
import { loadDemoIfEmpty } from './services/demo.js';
import { StoryService } from './services/stories.js';
import { DirectoryLockedError, lockDirectory } from './storage/dir-lock.js';
import { LowdbStore } from './storage/lowdb-store.js';

export const DEMO_SEED = path.join(APP_ROOT, 'data', 'demo-story.json');

async function main(config: Config): Promise<void> {
  const logger = pino({ level: config.env === 'test' ? 'warn' : 'info' });
  const lock = lockDirectory(config.dataDir);
  const store = await LowdbStore.open(config.dataDir);
  const service = new StoryService({ store, clock: systemClock });
  if (await loadDemoIfEmpty(service, DEMO_SEED)) logger.info('loaded the demo story');

  const app = createApp({ service, config, logger });
  const server: Server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ port, dataDir: config.dataDir }, `Chrono listening on http://${config.host}:${port}`);
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    server.close(async () => {
      await store.close();
      lock.release();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

try {
  await main(loadConfig());
} catch (error) {
  if (error instanceof ConfigError || error instanceof DirectoryLockedError) {
    console.error(`chrono: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
