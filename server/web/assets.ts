import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';

/**
 * Static files under fingerprinted names (chrono.3f2a9c1b.js) so they can be cached for a
 * year: a changed file gets a new name. `asset('chrono.js')` gives the current URL.
 */
export function fingerprintedAssets(dir: string): { asset: (name: string) => string; serve: RequestHandler } {
  const byName = new Map<string, string>();
  const byUrlName = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    if (!/\.(js|css)$/.test(name)) continue;
    const hash = createHash('sha256').update(readFileSync(path.join(dir, name))).digest('hex').slice(0, 10);
    const ext = path.extname(name);
    const urlName = `${path.basename(name, ext)}.${hash}${ext}`;
    byName.set(name, `/static/${urlName}`);
    byUrlName.set(urlName, name);
  }
  const files = express.static(dir, { immutable: true, maxAge: '365d', index: false });
  const plain = express.static(dir, { maxAge: '1h', index: false });
  const serve: RequestHandler = (req, res, next) => {
    const original = byUrlName.get(req.path.slice(1));
    if (!original) return plain(req, res, next);
    req.url = `/${original}`;
    files(req, res, next);
  };
  return {
    asset: (name) => {
      const url = byName.get(name);
      if (!url) throw new Error(`no static asset named ${name}`);
      return url;
    },
    serve,
  };
}
