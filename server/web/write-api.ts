import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { ValidationError } from '../domain/errors.js';
import type { AccountService } from '../services/accounts.js';
import type { StoryService } from '../services/stories.js';
import { storyEtag } from './api.js';
import { requireBearer } from './auth.js';
import { HttpError } from './http-error.js';
import { eventJson } from './present.js';

export const API_BODY_LIMIT = '256kb';

const jsonOnly: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) return next(new HttpError(415, 'unsupported_media_type', 'Send the body as application/json'));
  next();
};

/** The version a write is based on, from `If-Match: "<version>"`; required for every edit. */
function expectedVersion(req: Request): number {
  const header = req.get('if-match');
  if (!header) throw new HttpError(428, 'precondition_required', 'Send If-Match with the ETag you last read, so that no one else’s change is overwritten', 'If-Match');
  const match = /^"(\d+)"$/.exec(header.trim());
  if (!match) throw new HttpError(412, 'precondition_failed', 'If-Match must be the strong ETag you last read, such as "3"', 'If-Match');
  return Number(match[1]);
}

function jsonObject(body: unknown, field = '(body)'): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ field, code: 'invalid_type', message: 'must be a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

function onlyKeys(body: unknown, allowed: string[], field?: string): Record<string, unknown> {
  const object = jsonObject(body, field);
  const unknown = Object.keys(object).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new ValidationError(unknown.map((k) => ({ field: field ? `${field}.${k}` : k, code: 'unknown_field', message: 'is not a known field' })));
  return object;
}

function eventPath(slug: string, id: string): string {
  return `/api/stories/${encodeURIComponent(slug)}/events/${encodeURIComponent(id)}`;
}

export function writeApiRoutes(service: StoryService, accounts: AccountService): Router {
  const router = Router();
  const auth = requireBearer(accounts);
  const body: RequestHandler[] = [auth, jsonOnly, express.json({ limit: API_BODY_LIMIT, strict: true, type: 'application/json' })];

  router.post('/stories', ...body, async (req, res) => {
    const { story } = await service.createStory(req.body, [], res.locals.actor!);
    res.status(201).location(`/api/stories/${encodeURIComponent(story.slug)}`).set('ETag', storyEtag(story.version)).json({ story });
  });

  router.patch('/stories/:slug', ...body, async (req, res) => {
    const { story } = await service.updateStory(req.params.slug as string, req.body, expectedVersion(req), res.locals.actor!);
    res.set('ETag', storyEtag(story.version)).json({ story });
  });

  const sendEvent = (res: Response, status: number, result: Awaited<ReturnType<StoryService['appendEvent']>>) => {
    res.status(status).set('ETag', storyEtag(result.event.version)).json({ event: eventJson(result.event, result.record.story) });
  };

  router.post('/stories/:slug/events', ...body, async (req, res) => {
    const result = await service.appendEvent(req.params.slug as string, req.body, res.locals.actor!);
    res.location(eventPath(result.record.story.slug, result.event.id));
    sendEvent(res, 201, result);
  });

  router.patch('/stories/:slug/events/:id', ...body, async (req, res) => {
    const version = expectedVersion(req);
    const { correction, ...patch } = jsonObject(req.body);
    const note = correction === undefined ? undefined : onlyKeys(correction, ['note'], 'correction');
    const result = await service.updateEvent(req.params.slug as string, req.params.id as string, patch, version, res.locals.actor!, note && { note: note.note });
    sendEvent(res, 200, result);
  });

  router.post('/stories/:slug/events/:id/retract', ...body, async (req, res) => {
    const { reason } = onlyKeys(req.body, ['reason']);
    const version = req.get('if-match') ? expectedVersion(req) : undefined;
    const result = await service.retractEvent(req.params.slug as string, req.params.id as string, reason, res.locals.actor!, version);
    sendEvent(res, 200, result);
  });

  router.delete('/stories/:slug/events/:id', auth, async (req, res) => {
    await service.deleteEvent(req.params.slug as string, req.params.id as string, res.locals.actor!);
    res.status(204).end();
  });

  router.get('/stories/:slug/events/:id/revisions', auth, async (req, res) => {
    res.json({ revisions: await service.revisions(req.params.slug as string, req.params.id as string) });
  });

  return router;
}
