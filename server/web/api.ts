import { Router, type Request, type Response } from 'express';
import type { StoryService } from '../services/stories.js';
import { missedSince, parseVersion } from './live.js';
import { chronologyJson, eventJson } from './present.js';

export const MAX_REPLAY = 500;

/** Strong validator: a story's version changes with every change to it or its events. */
export function storyEtag(version: number): string {
  return `"${version}"`;
}

function sendFresh(req: Request, res: Response, etag: string, body: () => unknown, cacheControl = 'public, max-age=5, stale-while-revalidate=30'): void {
  res.set({ ETag: etag, 'Cache-Control': cacheControl });
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  res.json(body());
}

export function readApiRoutes(service: StoryService): Router {
  const router = Router();

  router.get('/stories', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=5').json({ stories: await service.listStories() });
  });

  router.get('/stories/:slug', async (req, res) => {
    const record = await service.getStory(req.params.slug);
    sendFresh(req, res, storyEtag(record.story.version), () => chronologyJson(record));
  });

  // what a polling reader (or an edge cache) missed since a version: the same messages as the live stream
  router.get('/stories/:slug/changes', async (req, res) => {
    const requested = parseVersion(req.query.after);
    const record = await service.changesSince(req.params.slug, requested ?? Number.MAX_SAFE_INTEGER);
    const after = requested ?? record.story.version;
    const version = record.story.version;
    const tooFar = version - after > MAX_REPLAY;
    res.set({ 'Surrogate-Key': `story-${record.story.slug}`, 'Cache-Tag': `story-${record.story.slug}` });
    sendFresh(req, res, `"${version}-${after}"`, () => ({ version, ...(tooFar ? { refetch: true, changes: [] } : { changes: missedSince(record, after) }) }), 'public, max-age=2');
  });

  router.get('/stories/:slug/events/:id', async (req, res) => {
    const { record, event } = await service.getEvent(req.params.slug, req.params.id);
    sendFresh(req, res, storyEtag(event.version), () => ({ event: eventJson(event, record.story) }));
  });

  return router;
}
