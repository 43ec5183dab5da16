import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import { APP_ROOT } from '../config.js';

/** Changes whenever templates or static files do, so a deploy never serves a stale page as fresh. */
export const BUILD_ID = (() => {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(ejs|js|css)$/.test(name)) hash.update(name).update(readFileSync(file));
    }
  };
  walk(path.join(APP_ROOT, 'views'));
  walk(path.join(APP_ROOT, 'server', 'public'));
  return hash.digest('hex').slice(0, 8);
})();

export interface CacheOptions {
  slug: string;
  version: number;
  /** seconds a shared cache may serve it without asking */
  maxAge?: number;
  /** a representation that never changes (an asof snapshot) */
  frozen?: boolean;
}

/**
 * Public story representations: cacheable by CDNs for a few seconds, revalidated by the
 * story version, and purgeable by the story's surrogate key. Returns true when the client's
 * copy is still fresh and a 304 was sent.
 */
export function publicCache(req: Request, res: Response, options: CacheOptions): boolean {
  const maxAge = options.frozen ? 86_400 : (options.maxAge ?? 5);
  res.set({
    'Cache-Control': `public, max-age=${maxAge}, stale-while-revalidate=${options.frozen ? 604_800 : 30}, stale-if-error=86400`,
    ETag: `"${options.version}-${BUILD_ID}"`,
    'Surrogate-Key': `story-${options.slug}`,
    'Cache-Tag': `story-${options.slug}`,
    Vary: 'Accept-Encoding',
  });
  if (req.fresh) {
    res.status(304).end();
    return true;
  }
  return false;
}
