import { Router } from 'express';
import { defaultOrder, type Order } from '../domain/chronology.js';
import { NotFoundError } from '../domain/errors.js';
import type { StoryService } from '../services/stories.js';
import { LABELS, SITE_LANGUAGE } from './i18n.js';
import { presentChronology, presentCorrections, presentEvent, presentStory } from './present.js';

function orderParam(value: unknown): Order | undefined {
  return value === 'asc' || value === 'desc' ? value : undefined;
}

export function pageRoutes(service: StoryService): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    const stories = await service.listStories();
    res.render('pages/home', {
      lang: SITE_LANGUAGE,
      labels: LABELS[SITE_LANGUAGE],
      stories: stories.map((s) => ({ ...presentStory(s), eventCount: s.eventCount })),
    });
  });

  router.get('/stories/:slug', async (req, res) => {
    const record = await service.getStory(req.params.slug);
    const view = presentStory(record.story);
    res.locals.lang = record.story.language;
    const order = orderParam(req.query.order) ?? defaultOrder(record.story);
    res.render('pages/story', {
      ...view,
      lang: record.story.language,
      order,
      eventCount: record.events.length,
      groups: presentChronology(record, order),
      corrections: presentCorrections(record),
    });
  });

  router.get('/stories/:slug/events/:id', async (req, res) => {
    const record = await service.getStory(req.params.slug);
    res.locals.lang = record.story.language;
    const event = record.events.find((e) => e.id === req.params.id);
    if (!event) throw new NotFoundError('event', req.params.id);
    res.render('pages/event', { ...presentStory(record.story), lang: record.story.language, event: presentEvent(event, record.story) });
  });

  return router;
}
