import { Router } from 'express';
import { tagCounts } from '../domain/chronology.js';
import { readEmbedOptions } from './embed.js';
import { buildFeed } from './feeds.js';
import { pageMeta } from './meta.js';
import { originOf } from './urls.js';
import { publicCache } from './http-cache.js';
import { RenderCache } from './render-cache.js';
import { NotFoundError } from '../domain/errors.js';
import type { Story } from '../domain/types.js';
import type { StoryService } from '../services/stories.js';
import { presentChronologyView, readViewState, viewUrl, type ChronologyView } from './chronology-view.js';
import { LABELS, SITE_LANGUAGE, type Labels } from './i18n.js';
import { parseVersion, type LiveHub } from './live.js';
import { presentCorrections, presentEvent, presentStory, storyPath } from './present.js';

const FEED_TYPES = { atom: 'application/atom+xml', rss: 'application/rss+xml', json: 'application/feed+json' } as const;

function escapeAttr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

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

export function pageRoutes(service: StoryService, live: LiveHub, baseUrl: string | undefined): Router {
  const router = Router();
  const pagesCache = new RenderCache();

  router.get('/', async (_req, res) => {
    const stories = await service.listStories();
    res.render('pages/home', {
      lang: SITE_LANGUAGE,
      labels: LABELS[SITE_LANGUAGE],
      stories: stories.map((s) => ({ ...presentStory(s), eventCount: s.eventCount })),
    });
  });

  router.get('/stories/:slug', async (req, res, next) => {
    const record = await service.getStory(req.params.slug);
    const story: Story = record.story;
    res.locals.lang = story.language;
    const state = readViewState(req.query, story);
    if (typeof req.query.jump === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(req.query.jump)) {
      return res.redirect(303, viewUrl(story, state, `#day-${req.query.jump}`));
    }
    if (publicCache(req, res, { slug: story.slug, version: story.version })) return;
    const origin = originOf(req, baseUrl);
    const key = `${story.slug}|${story.version}|${origin}|${req.originalUrl}`;
    const cached = pagesCache.get(key);
    if (cached) return void res.type('html').send(cached);
    const labels = LABELS[story.language];
    const view = presentChronologyView(record, state);
    res.render('pages/story', {
      ...presentStory(story),
      lang: story.language,
      view,
      pager: pagerOf(view, labels),
      corrections: presentCorrections(record),
      clientLabels: clientLabels(labels),
      meta: pageMeta(record, origin),
    }, (error: Error | null, html: string) => {
      if (error) return next(error);
      pagesCache.set(key, html);
      res.type('html').send(html);
    });
  });

  router.get('/stories/:slug/feed.:format', async (req, res) => {
    const format = req.params.format;
    if (format !== 'atom' && format !== 'rss' && format !== 'json') throw new NotFoundError('story', req.params.slug);
    const record = await service.getStory(req.params.slug);
    if (publicCache(req, res, { slug: record.story.slug, version: record.story.version, maxAge: 60 })) return;
    res.type(FEED_TYPES[format]).send(buildFeed(record, format, originOf(req, baseUrl), req.query.key === '1'));
  });

  router.get('/stories/:slug/embed', async (req, res) => {
    const record = await service.getStory(req.params.slug);
    const { story } = record;
    res.locals.lang = story.language;
    const options = readEmbedOptions(req.query);
    const origin = originOf(req, baseUrl);
    const params = new URLSearchParams();
    if (options.limit) params.set('limit', String(options.limit));
    if (options.order !== 'desc') params.set('order', options.order);
    if (options.tags.length) params.set('tags', options.tags.join(','));
    if (options.keyOnly) params.set('key', '1');
    if (options.theme !== 'auto') params.set('theme', options.theme);
    if (options.asof) params.set('asof', options.asof);
    const storyUrl = `${origin}${storyPath(story.slug)}`;
    const frameUrl = `${origin}/embed/${encodeURIComponent(story.slug)}${params.size ? `?${params}` : ''}`;
    const dataAttrs = [...params].map(([k, v]) => ` data-${k === 'tags' ? 'tags' : k}="${escapeAttr(v)}"`).join('');
    res.render('pages/embed-panel', {
      ...presentStory(story),
      lang: story.language,
      options,
      tags: tagCounts(record.events).map((t) => t.tag),
      snippets: {
        script: `<div data-chrono="${escapeAttr(storyUrl)}"${dataAttrs}><a href="${escapeAttr(storyUrl)}">${escapeAttr(story.title)}</a></div>\n<script async src="${escapeAttr(origin)}/embed.js"></script>`,
        iframe: `<iframe src="${escapeAttr(frameUrl)}" title="${escapeAttr(story.title)}" width="100%" height="600" style="border:0" loading="lazy" data-chrono-frame></iframe>`,
        url: storyUrl,
      },
      frameUrl,
    });
  });

  router.get('/stories/:slug/live', async (req, res) => {
    await service.changesSince(req.params.slug, Number.MAX_SAFE_INTEGER); // a 404 for an unknown story, cheaply
    const after = parseVersion(req.get('last-event-id')) ?? parseVersion(req.query.since);
    await live.open(req.params.slug, req, res, after);
  });

  router.get('/stories/:slug/events/:id', async (req, res) => {
    const record = await service.getStory(req.params.slug);
    res.locals.lang = record.story.language;
    const event = record.events.find((e) => e.id === req.params.id);
    if (!event) throw new NotFoundError('event', req.params.id);
    if (publicCache(req, res, { slug: record.story.slug, version: record.story.version })) return;
    res.render('pages/event', {
      ...presentStory(record.story),
      lang: record.story.language,
      event: presentEvent(event, record.story),
      meta: pageMeta(record, originOf(req, baseUrl), event),
    });
  });

  return router;
}
