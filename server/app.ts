import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { APP_ROOT, type Config } from './config.js';
import zlib from 'node:zlib';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import { fingerprintedAssets } from './web/assets.js';
import type { LiveHub } from './web/live.js';
import type { AccountService } from './services/accounts.js';
import type { Clock } from './services/clock.js';
import type { StoryService } from './services/stories.js';
import { loadSession } from './web/auth.js';
import { editorRoutes } from './web/editor.js';
import { editorImportRoutes } from './web/editor-import.js';
import { embedRoutes } from './web/embed.js';
import { loginRoutes } from './web/login.js';
import { writeApiRoutes } from './web/write-api.js';
import { readApiRoutes } from './web/api.js';
import { errorHandler, notFound } from './web/errors.js';
import { pageRoutes } from './web/pages.js';

export interface AppDeps {
  service: StoryService;
  live: LiveHub;
  accounts: AccountService;
  clock: Clock;
  /** what /healthz reports; a database that cannot be reached makes it 503 */
  health?: () => Promise<{ database: string }>;
  config: Pick<Config, 'env' | 'baseUrl'>;
  logger: Logger;
}

/** Routes and middleware; no environment reads and no listen, so tests build it freely. */
export function createApp({ service, live, accounts, clock, config, logger, health }: AppDeps): express.Express {
  const app = express();
  app.set('views', path.join(APP_ROOT, 'views'));
  app.set('view engine', 'ejs');
  app.set('view cache', config.env !== 'development');
  app.set('json escape', true);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger,
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      // method, path and status are what an operator reads; headers may carry credentials
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'img-src': ["'self'", 'https:', 'data:'],
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  // the event stream must reach the reader as it is written: never compressed or buffered
  app.use(compression({ filter: (req, res) => !String(res.getHeader('Content-Type') ?? '').startsWith('text/event-stream') && compression.filter(req, res), brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } } }));
  const assets = fingerprintedAssets(path.join(APP_ROOT, 'server', 'public'));
  app.locals.asset = assets.asset;
  app.use('/static', assets.serve);

  app.get('/favicon.ico', (_req, res) => {
    res.status(204).set('Cache-Control', 'public, max-age=86400').end();
  });
  app.get('/healthz', async (_req, res) => {
    const details = health ? await health() : {};
    const ok = !('database' in details) || details.database !== 'unreachable';
    res.status(ok ? 200 : 503).set('Cache-Control', 'no-store').json({ status: ok ? 'ok' : 'degraded', ...details });
  });
  app.use('/api', readApiRoutes(service));
  app.use('/api', writeApiRoutes(service, accounts));
  app.use(pageRoutes(service, live, config.baseUrl));
  app.use(embedRoutes(service, config.baseUrl));

  const secureOrigin = config.baseUrl?.startsWith('https:') ?? false;
  app.use(['/admin', '/login', '/logout'], cookieParser(), loadSession(accounts));
  app.use(loginRoutes(accounts, { secureOrigin }));
  app.use('/admin', editorImportRoutes(service, clock));
  app.use('/admin', editorRoutes(service, clock));

  app.use(notFound);
  app.use(
    errorHandler({
      showStack: config.env === 'development',
      log: (error, req) => req.log?.error({ err: error }, 'request failed') ?? logger.error({ err: error }),
    }),
  );
  return app;
}
