import express, { Router, type Request, type Response } from 'express';
import { canAdminister } from '../domain/accounts.js';
import { sortEvents } from '../domain/chronology.js';
import { checkDate, formatEventDate, formatInstant, isValidTimeZone, todayIn } from '../domain/dates.js';
import { ConflictError, ValidationError } from '../domain/errors.js';
import type { ChronoEvent, EventInput, Language, Story } from '../domain/types.js';
import { LANGUAGES, STORY_STATUSES, VERIFICATIONS } from '../domain/types.js';
import { isWebUrl } from '../domain/validate.js';
import type { Clock } from '../services/clock.js';
import type { StoryService } from '../services/stories.js';
import type { StoryRecord } from '../storage/store.js';
import { checkCsrf, privatePage, requireSession } from './auth.js';
import { EDITOR_LABELS, fieldLabel } from './editor-i18n.js';
import { blankForm, formOf, patchOf, readForm, type EventFormValues } from './event-form.js';
import { LABELS, SITE_LANGUAGE } from './i18n.js';
import { eventPath, presentEvent, presentStory, type EventView } from './present.js';

const TIME_ZONES = Intl.supportedValuesOf('timeZone');

type Errors = Record<string, string>;

/** Field errors in the editor's language, keyed by the domain's field path. */
function errorsOf(error: ValidationError, lang: Language): Errors {
  const errors: Errors = {};
  for (const p of error.problems) {
    const field = p.field.startsWith('tags') ? 'tags' : p.field;
    errors[field] ??= EDITOR_LABELS[lang].problems[p.code] ?? p.message;
  }
  return errors;
}

function editorPath(slug: string, id?: string): string {
  return `/admin/stories/${encodeURIComponent(slug)}${id ? `/events/${encodeURIComponent(id)}` : ''}`;
}

function storyTags(record: StoryRecord): string[] {
  return [...new Set(record.events.flatMap((e) => e.tags))].sort((a, b) => a.localeCompare(b));
}

/**
 * A card for the preview, built from what was typed, as readers would see it. While the
 * date is not yet a real one, the card shows "…" rather than another day.
 */
function previewOf(input: EventInput & Record<string, unknown>, story: Story, at: string): EventView | undefined {
  const zone = typeof input.timeZone === 'string' && isValidTimeZone(input.timeZone) ? input.timeZone : story.timeZone;
  const dateOk = !checkDate(input.date, zone) && (!input.endDate || !checkDate(input.endDate, zone));
  const base: ChronoEvent = {
    id: 'preview', date: dateOk ? input.date : '2000', ...(dateOk && input.endDate ? { endDate: input.endDate } : {}), timeZone: zone,
    approximate: input.approximate, title: input.title, body: input.body.slice(0, 5000), sources: input.sources, tags: input.tags,
    importance: input.importance, verification: VERIFICATIONS.includes(input.verification) ? input.verification : 'confirmed',
    ...(input.media && isWebUrl(input.media.url) ? { media: input.media } : {}), createdAt: at, updatedAt: at, version: 0,
  };
  const view = presentEvent(base, story);
  return dateOk ? view : { ...view, date: { text: '…' }, datetime: '' };
}

export function editorRoutes(service: StoryService, clock: Clock): Router {
  const router = Router();
  router.use(privatePage, express.urlencoded({ extended: true, limit: '200kb', parameterLimit: 500 }), requireSession, checkCsrf);

  const common = (res: Response, lang: 'fr' | 'en') => ({
    lang,
    labels: LABELS[lang],
    t: EDITOR_LABELS[lang],
    actor: res.locals.actor!,
    csrf: res.locals.auth!.session.csrfToken,
    isAdmin: canAdminister(res.locals.actor!),
    fieldLabel: (field: string) => fieldLabel(field, EDITOR_LABELS[lang]),
  });

  const renderStory = (res: Response, record: StoryRecord, extra: { values?: EventFormValues; errors?: Errors; saved?: string; preview?: unknown; status?: number }) => {
    const { story } = record;
    const events = sortEvents(record.events, story.timeZone, 'desc').map((e) => ({ ...e, when: formatEventDate(e, story.timeZone, story.language).text }));
    res.status(extra.status ?? 200).render('editor/story', {
      ...common(res, story.language),
      ...presentStory(story),
      events,
      form: extra.values ?? blankForm(story, todayIn(clock.now(), story.timeZone)),
      errors: extra.errors ?? {},
      saved: extra.saved && record.events.find((e) => e.id === extra.saved),
      savedLink: extra.saved && eventPath(story.slug, extra.saved),
      preview: extra.preview,
      tags: storyTags(record),
      timeZones: TIME_ZONES,
      verifications: VERIFICATIONS,
      action: `${editorPath(story.slug)}/events`,
    });
  };

  const renderEvent = (res: Response, record: StoryRecord, event: ChronoEvent, extra: { values?: EventFormValues; errors?: Errors; preview?: unknown; status?: number; version?: number }) => {
    const { story } = record;
    res.status(extra.status ?? 200).render('editor/event', {
      ...common(res, story.language),
      ...presentStory(story),
      event,
      card: presentEvent(event, story),
      version: extra.version ?? event.version,
      form: extra.values ?? formOf(event),
      errors: extra.errors ?? {},
      preview: extra.preview,
      tags: storyTags(record),
      timeZones: TIME_ZONES,
      verifications: VERIFICATIONS,
      action: editorPath(story.slug, event.id),
      revisions: record.revisions.filter((r) => r.eventId === event.id).reverse(),
      when: (at: string) => formatInstant(at, story.timeZone, story.language),
      publicLink: eventPath(story.slug, event.id),
    });
  };

  const renderStoryForm = (res: Response, values: Record<string, unknown>, extra: { errors?: Errors; story?: Story; status?: number }) => {
    const lang = extra.story?.language ?? SITE_LANGUAGE;
    res.status(extra.status ?? 200).render('editor/story-form', {
      ...common(res, lang),
      values,
      errors: extra.errors ?? {},
      story: extra.story,
      languages: LANGUAGES,
      statuses: STORY_STATUSES,
      timeZones: TIME_ZONES,
    });
  };

  router.get('/', async (_req, res) => {
    const stories = (await service.listStories()).map((s) => ({ ...presentStory(s), eventCount: s.eventCount, link: editorPath(s.slug) }));
    res.render('editor/stories', { ...common(res, SITE_LANGUAGE), stories });
  });

  router.get('/stories/new', (_req, res) => {
    renderStoryForm(res, { language: 'fr', timeZone: 'Europe/Paris', status: 'developing' }, {});
  });

  router.post('/stories', async (req, res) => {
    const { slug, title, summary, language, timeZone, status } = req.body as Record<string, string>;
    const values = { slug, title, summary, language, timeZone, status };
    try {
      const { story } = await service.createStory(values, [], res.locals.actor!);
      res.redirect(303, editorPath(story.slug));
    } catch (error) {
      if (!(error instanceof ValidationError || (error instanceof ConflictError && error.field === 'slug'))) throw error;
      const errors = error instanceof ValidationError ? errorsOf(error, SITE_LANGUAGE) : { slug: EDITOR_LABELS[SITE_LANGUAGE].problems.story_exists! };
      renderStoryForm(res, values, { errors, status: 400 });
    }
  });

  router.get('/stories/:slug', async (req, res) => {
    const record = await service.getStory(req.params.slug);
    renderStory(res, record, { saved: typeof req.query.saved === 'string' ? req.query.saved : undefined });
  });

  router.get('/stories/:slug/edit', async (req, res) => {
    const { story } = await service.getStory(req.params.slug);
    renderStoryForm(res, { ...story }, { story });
  });

  router.post('/stories/:slug/edit', async (req, res) => {
    const { story } = await service.getStory(req.params.slug);
    const { title, summary, language, timeZone, status, version } = req.body as Record<string, string>;
    const values = { title, summary, language, timeZone, status };
    try {
      await service.updateStory(story.slug, values, Number(version), res.locals.actor!);
      res.redirect(303, editorPath(story.slug));
    } catch (error) {
      if (error instanceof ValidationError) return renderStoryForm(res, { ...values, slug: story.slug, version }, { errors: errorsOf(error, story.language), story, status: 400 });
      if (error instanceof ConflictError) return renderStoryForm(res, { ...values, slug: story.slug, version: story.version }, { errors: { version: EDITOR_LABELS[story.language].conflictText }, story, status: 409 });
      throw error;
    }
  });

  router.post('/stories/:slug/preview', async (req, res) => {
    const { story } = await service.getStory(req.params.slug);
    const { input } = readForm(req.body as Record<string, unknown>);
    const card = previewOf(input, story, clock.now().toISOString());
    if (!card) return res.json({ html: '' });
    res.render('partials/event-card', { event: card, labels: LABELS[story.language], headingLevel: 3 }, (err, html) => {
      if (err) throw err;
      res.json({ html });
    });
  });

  router.post('/stories/:slug/events', async (req, res) => {
    const record = await service.getStory(req.params.slug);
    const { values, input } = readForm(req.body as Record<string, unknown>);
    if (req.body.action === 'preview') return renderStory(res, record, { values, preview: previewOf(input, record.story, clock.now().toISOString()) });
    try {
      const { event } = await service.appendEvent(record.story.slug, input, res.locals.actor!);
      res.redirect(303, `${editorPath(record.story.slug)}?saved=${encodeURIComponent(event.id)}#event-${encodeURIComponent(event.id)}`);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      renderStory(res, record, { values, errors: errorsOf(error, record.story.language), status: 400 });
    }
  });

  const loadEvent = async (req: Request) => {
    const { record, event } = await service.getEvent(req.params.slug as string, req.params.id as string);
    return { record, event };
  };

  router.get('/stories/:slug/events/:id', async (req, res) => {
    const { record, event } = await loadEvent(req);
    renderEvent(res, record, event, {});
  });

  router.post('/stories/:slug/events/:id', async (req, res) => {
    const { record, event } = await loadEvent(req);
    const { values, input } = readForm(req.body as Record<string, unknown>);
    const version = Number(req.body.version);
    if (req.body.action === 'preview') return renderEvent(res, record, event, { values, version, preview: previewOf(input, record.story, clock.now().toISOString()) });
    try {
      const correction = values.correction ? { note: values.correctionNote } : undefined;
      await service.updateEvent(record.story.slug, event.id, patchOf(input), version, res.locals.actor!, correction);
      res.redirect(303, `${editorPath(record.story.slug)}?saved=${encodeURIComponent(event.id)}#event-${encodeURIComponent(event.id)}`);
    } catch (error) {
      if (error instanceof ValidationError) return renderEvent(res, record, event, { values, version, errors: errorsOf(error, record.story.language), status: 400 });
      if (error instanceof ConflictError && error.code === 'version_mismatch') {
        const mine = previewOf({ ...input, timeZone: input.timeZone ?? event.timeZone }, record.story, clock.now().toISOString());
        return res.status(409).render('editor/conflict', {
          ...common(res, record.story.language),
          ...presentStory(record.story),
          mine,
          current: presentEvent(event, record.story),
          form: values,
          version: event.version,
          action: editorPath(record.story.slug, event.id),
          tags: storyTags(record),
          timeZones: TIME_ZONES,
          verifications: VERIFICATIONS,
          errors: {},
        });
      }
      throw error;
    }
  });

  router.post('/stories/:slug/events/:id/retract', async (req, res) => {
    const { record, event } = await loadEvent(req);
    try {
      await service.retractEvent(record.story.slug, event.id, req.body.reason, res.locals.actor!, Number(req.body.version));
      res.redirect(303, editorPath(record.story.slug, event.id));
    } catch (error) {
      if (error instanceof ValidationError) return renderEvent(res, record, event, { errors: errorsOf(error, record.story.language), status: 400 });
      if (error instanceof ConflictError && error.code === 'version_mismatch') {
        return renderEvent(res, record, event, { errors: { reason: EDITOR_LABELS[record.story.language].conflictText }, status: 409 });
      }
      throw error;
    }
  });

  router.post('/stories/:slug/events/:id/delete', async (req, res) => {
    const { record, event } = await loadEvent(req);
    await service.deleteEvent(record.story.slug, event.id, res.locals.actor!);
    res.redirect(303, editorPath(record.story.slug));
  });

  return router;
}
