import { Router, type RequestHandler } from 'express';
import path from 'node:path';
import { fold, groupByDay, matches, sortEvents, type Order } from '../domain/chronology.js';
import { formatInstant, instantInZone, isIsoInstant } from '../domain/dates.js';
import { NotFoundError } from '../domain/errors.js';
import { snapshotAt } from '../domain/snapshot.js';
import { LANGUAGES, type Language, type Story } from '../domain/types.js';
import type { StoryService } from '../services/stories.js';
import type { StoryRecord } from '../storage/store.js';
import { APP_ROOT } from '../config.js';
import { itemView, lastChanges } from './chronology-view.js';
import { HttpError } from './http-error.js';
import { LABELS } from './i18n.js';
import { eventPath, presentEvent, presentStory, storyPath } from './present.js';
import { absolute, originOf } from './urls.js';
import { publicCache } from './http-cache.js';

export interface EmbedOptions {
  limit?: number;
  order: Order;
  tags: string[];
  keyOnly: boolean;
  theme: 'light' | 'dark' | 'auto';
  lang?: Language;
  asof?: string;
}

const MAX_LIMIT = 200;

export function readEmbedOptions(query: Record<string, unknown>): EmbedOptions {
  const one = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : undefined);
  const limit = Number(one('limit'));
  const tags = (Array.isArray(query.tags) ? query.tags : [one('tags') ?? '']).flatMap((t) => String(t).split(',')).map((t) => t.trim()).filter(Boolean);
  const asof = one('asof');
  if (asof !== undefined && !isIsoInstant(asof)) throw new HttpError(400, 'invalid_asof', 'asof must be an ISO 8601 instant with its offset, e.g. 2023-11-20T15:00:00+01:00', 'asof');
  return {
    ...(Number.isInteger(limit) && limit > 0 ? { limit: Math.min(limit, MAX_LIMIT) } : {}),
    order: one('order') === 'asc' ? 'asc' : 'desc',
    tags,
    keyOnly: one('key') === '1',
    theme: one('theme') === 'light' || one('theme') === 'dark' ? (one('theme') as 'light' | 'dark') : 'auto',
    ...(LANGUAGES.find((l) => l === one('lang')) ? { lang: one('lang') as Language } : {}),
    ...(asof ? { asof } : {}),
  };
}

/** Embeds are made to be framed by any site, and carry nothing from an editor's session. */
const frameable: RequestHandler = (_req, res, next) => {
  res.removeHeader('X-Frame-Options');
  const csp = res.getHeader('Content-Security-Policy');
  if (typeof csp === 'string') res.setHeader('Content-Security-Policy', csp.replace(/frame-ancestors [^;]*/, 'frame-ancestors *'));
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  next();
};

function inLanguage(story: Story, lang: Language | undefined): Story {
  return lang ? { ...story, language: lang } : story;
}

export function embedRoutes(service: StoryService, baseUrl: string | undefined): Router {
  const router = Router();

  const load = async (slug: string, asof: string | undefined): Promise<StoryRecord> => {
    const record = await service.getStory(slug);
    if (!asof) return record;
    const snap = snapshotAt(record, asof);
    if (!snap) throw new NotFoundError('story', slug);
    return { ...snap, revisions: record.revisions.filter((r) => Date.parse(r.at) <= Date.parse(asof)) };
  };

  router.get('/embed/:slug', frameable, async (req, res) => {
    const options = readEmbedOptions(req.query);
    const record = await load(req.params.slug as string, options.asof);
    const story = inLanguage(record.story, options.lang);
    res.locals.lang = story.language;
    const filter = { tags: options.tags, keyOnly: options.keyOnly, q: '' };
    const latest = sortEvents(record.events.filter((e) => matches(e, filter)), story.timeZone, 'desc').slice(0, options.limit ?? MAX_LIMIT);
    const ordered = options.order === 'asc' ? [...latest].reverse() : latest;
    const changed = lastChanges(record);
    const groups = groupByDay(ordered, story.timeZone, story.language).map((g) => ({ heading: g.heading, events: g.events.map((e) => itemView(e, story, changed.get(e.id) ?? 1)) }));
    const full = absolute(req, baseUrl, storyPath(story.slug));
    if (publicCache(req, res, { slug: story.slug, version: story.version, frozen: Boolean(options.asof) })) return;
    res.render('pages/embed', {
      ...presentStory(story),
      lang: story.language,
      theme: options.theme,
      order: options.order,
      limit: options.limit,
      groups,
      full,
      more: latest.length < record.events.filter((e) => matches(e, filter)).length,
      asof: options.asof && { text: formatInstant(options.asof, story.timeZone, story.language), iso: instantInZone(options.asof, story.timeZone) },
      live: !options.asof,
      filter: { tags: options.tags.map(fold), keyOnly: options.keyOnly, verification: null, q: '' },
      liveUrl: `${storyPath(story.slug)}/live`,
      changesUrl: `/api/stories/${encodeURIComponent(story.slug)}/changes`,
    });
  });

  router.get('/embed/:slug/events/:id', frameable, async (req, res) => {
    const options = readEmbedOptions(req.query);
    const record = await load(req.params.slug as string, options.asof);
    const story = inLanguage(record.story, options.lang);
    res.locals.lang = story.language;
    const event = record.events.find((e) => e.id === req.params.id);
    if (!event) throw new NotFoundError('event', req.params.id as string);
    if (publicCache(req, res, { slug: story.slug, version: story.version, frozen: Boolean(options.asof) })) return;
    res.render('pages/embed-event', {
      ...presentStory(story),
      lang: story.language,
      theme: options.theme,
      event: presentEvent(event, story),
      full: absolute(req, baseUrl, `${storyPath(story.slug)}#${encodeURIComponent(event.id)}`),
      eventUrl: absolute(req, baseUrl, eventPath(story.slug, event.id)),
    });
  });

  router.get('/embed.js', (_req, res) => {
    res.set({ 'Cache-Control': 'public, max-age=3600', 'Cross-Origin-Resource-Policy': 'cross-origin' });
    res.type('application/javascript').sendFile(path.join(APP_ROOT, 'server', 'public', 'embed.js'));
  });

  router.get('/oembed', async (req, res) => {
    const format = typeof req.query.format === 'string' ? req.query.format : 'json';
    if (format !== 'json') throw new HttpError(501, 'format_not_implemented', 'Only format=json is offered', 'format');
    const origin = originOf(req, baseUrl);
    let url: URL;
    try {
      url = new URL(String(req.query.url ?? ''));
    } catch {
      throw new HttpError(404, 'not_embeddable', 'url must be a Chrono story or event URL', 'url');
    }
    const match = /^\/stories\/([^/]+)(?:\/events\/([^/]+))?\/?$/.exec(url.pathname);
    if (url.origin !== origin || !match) throw new HttpError(404, 'not_embeddable', 'url must be a story or event URL of this Chrono', 'url');
    const slug = decodeURIComponent(match[1]!);
    const id = match[2] && decodeURIComponent(match[2]);
    const record = await service.getStory(slug).catch(() => {
      throw new HttpError(404, 'not_embeddable', 'No such story', 'url');
    });
    const event = id ? record.events.find((e) => e.id === id) : undefined;
    if (id && !event) throw new HttpError(404, 'not_embeddable', 'No such event', 'url');
    const maxwidth = Number(req.query.maxwidth) || Infinity;
    const maxheight = Number(req.query.maxheight) || Infinity;
    // the consumer's maximums are maximums, however small
    const width = Math.floor(Math.min(640, maxwidth));
    const height = Math.floor(Math.min(event ? 320 : 600, maxheight));
    const src = `${origin}/embed/${encodeURIComponent(slug)}${event ? `/events/${encodeURIComponent(event.id)}` : ''}`;
    const title = event ? event.title : record.story.title;
    const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    res.set('Cache-Control', 'public, max-age=300').json({
      version: '1.0',
      type: 'rich',
      provider_name: 'Chrono',
      provider_url: `${origin}/`,
      title,
      width,
      height,
      html: `<iframe src="${attr(src)}" title="${attr(title)}" width="${width}" height="${height}" style="border:0;width:100%;max-width:${width}px" loading="lazy" data-chrono-frame></iframe>`,
    });
  });

  return router;
}
