// Entry point: configuration → lock → compose → listen; and a graceful close.
import type { Server } from 'node:http';
import { pino } from 'pino';
import { compose } from './compose.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DirectoryLockedError, lockDirectory } from './storage/dir-lock.js';

async function main(config: Config): Promise<void> {
  const logger = pino({ level: config.env === 'test' ? 'warn' : 'info' });
  // lowdb files take one writer; with PostgreSQL any number of instances run side by side
  const lock = config.databaseUrl ? undefined : lockDirectory(config.dataDir);
  const chrono = await compose(config, logger);

  const server: Server = chrono.app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ port, dataDir: config.dataDir }, `Chrono listening on http://${config.host}:${port}`);
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // stop accepting, let in-flight requests (and their writes) finish, then release the directory
    chrono.live.close(); // open streams would otherwise keep the server from closing
    server.close(async () => {
      await chrono.close();
      lock?.release();
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
  if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED' || (error as { severity?: string }).severity) {
    console.error(`chrono: could not open the database (CHRONO_DATABASE_URL): ${(error as Error).message}`);
    process.exit(1);
  }
  throw error;
}
