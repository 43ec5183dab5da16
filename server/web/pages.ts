import { Router } from 'express';
import { NotFoundError } from '../domain/errors.js';
import type { Story } from '../domain/types.js';
import type { StoryService } from '../services/stories.js';
import { presentChronologyView, readViewState, viewUrl, type ChronologyView } from './chronology-view.js';
import { LABELS, SITE_LANGUAGE, type Labels } from './i18n.js';
import { parseVersion, type LiveHub } from './live.js';
import { presentCorrections, presentEvent, presentStory } from './present.js';

/** The few words the page script needs, in the story's language ({n} stands for a number). */
function clientLabels(labels: Labels) {
  const plural = (f: (n: number) => string) => [f(1), f(999).replace('999', '{n}')];
  return {
    events: plural(labels.events),
    newEvents: plural(labels.newEvents),
    newSinceVisit: plural(labels.newSinceVisit),
    jumpToFirstNew: labels.jumpToFirstNew,
    newBadge: labels.newBadge,
    updatedBadge: labels.updatedBadge,
    timeIn: labels.timeIn,
    yourZone: labels.yourZone,
    copied: labels.copied,
    liveUnavailable: labels.liveUnavailable,
    showing: labels.showing(998, 999).replace('998', '{shown}').replace('999', '{total}'),
  };
}

function pagerOf(view: ChronologyView, labels: Labels) {
  const earlier = view.earlier && { ...view.earlier, text: labels.earlier };
  const later = view.later && { ...view.later, text: labels.later };
  return view.state.order === 'desc' ? { top: later, bottom: earlier } : { top: earlier, bottom: later };
}

export function pageRoutes(service: StoryService, live: LiveHub): Router {
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
    const story: Story = record.story;
    res.locals.lang = story.language;
    const state = readViewState(req.query, story);
    if (typeof req.query.jump === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(req.query.jump)) {
      return res.redirect(303, viewUrl(story, state, `#day-${req.query.jump}`));
    }
    const labels = LABELS[story.language];
    const view = presentChronologyView(record, state);
    res.render('pages/story', {
      ...presentStory(story),
      lang: story.language,
      view,
      pager: pagerOf(view, labels),
      corrections: presentCorrections(record),
      clientLabels: clientLabels(labels),
    });
  });

  router.get('/stories/:slug/live', async (req, res) => {
    await service.getStory(req.params.slug);
    const after = parseVersion(req.get('last-event-id')) ?? parseVersion(req.query.since);
    await live.open(req.params.slug, req, res, after);
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
