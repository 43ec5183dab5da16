import { randomUUID } from 'node:crypto';
import express, { Router, type ErrorRequestHandler, type Response } from 'express';
import multer from 'multer';
import { canAdminister } from '../domain/accounts.js';
import { formatEventDate } from '../domain/dates.js';
import { ValidationError } from '../domain/errors.js';
import { SLUG_PATTERN } from '../domain/validate.js';
import { LANGUAGES } from '../domain/types.js';
import type { Clock } from '../services/clock.js';
import type { StoryService } from '../services/stories.js';
import { checkCsrf, privatePage, requireSession } from './auth.js';
import { EDITOR_LABELS } from './editor-i18n.js';
import { LABELS, SITE_LANGUAGE } from './i18n.js';
import { detectFormat, exportStory, MAX_IMPORT_BYTES, parseImport, type ImportRow } from './interchange.js';

interface Pending {
  slug: string;
  story: { title?: string; summary?: string; language: 'fr' | 'en'; timeZone: string };
  rows: ImportRow[];
  actor: string;
  expires: number;
}

const PENDING_MS = 30 * 60_000;

/**
 * The editor's import: upload, then a dry-run preview listing every event and every row's
 * errors, then a confirmation that stores all or nothing. Pending imports live in this
 * process for 30 minutes.
 */
export function editorImportRoutes(service: StoryService, clock: Clock): Router {
  const router = Router();
  const pending = new Map<string, Pending>();
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 20 } });
  const t = EDITOR_LABELS[SITE_LANGUAGE];
  const common = (res: Response) => ({
    lang: SITE_LANGUAGE,
    labels: LABELS[SITE_LANGUAGE],
    t,
    actor: res.locals.actor!,
    csrf: res.locals.auth!.session.csrfToken,
    isAdmin: canAdminister(res.locals.actor!),
  });
  const renderForm = async (res: Response, status: number, values: Record<string, string>, error?: string) => {
    const stories = await service.listStories();
    res.status(status).render('editor/import', { ...common(res), stories, values, error, languages: LANGUAGES, maxMb: MAX_IMPORT_BYTES / 1024 / 1024 });
  };

  router.use(privatePage, requireSession);

  router.get('/import', async (req, res) => {
    await renderForm(res, 200, { slug: typeof req.query.story === 'string' ? req.query.story : '', language: 'fr', timeZone: 'Europe/Paris' });
  });

  router.post('/import', upload.single('file'), checkCsrf, async (req, res) => {
    const body = req.body as Record<string, string>;
    const values = { slug: (body.slug ?? '').trim(), title: body.title ?? '', language: body.language ?? 'fr', timeZone: body.timeZone ?? 'Europe/Paris' };
    if (!req.file) return renderForm(res, 400, values, t.importNoFile);
    if (!SLUG_PATTERN.test(values.slug)) return renderForm(res, 400, values, t.problems.invalid_format);
    const text = req.file.buffer.toString('utf8');
    const parsed = parseImport(detectFormat(req.file.originalname, text), text);
    if (parsed.fileProblems.length) return renderForm(res, 400, values, parsed.fileProblems.map((p) => p.message).join(' '));
    const story = {
      ...parsed.story,
      ...(values.title.trim() ? { title: values.title.trim() } : {}),
      language: (LANGUAGES.find((l) => l === values.language) ?? 'fr') as 'fr' | 'en',
      timeZone: values.timeZone || 'Europe/Paris',
    };
    const report = await service.importEvents({ slug: values.slug, story: { title: values.slug, ...story } }, parsed.rows, res.locals.actor!, true).catch((error: unknown) => {
      if (error instanceof ValidationError) return error;
      throw error;
    });
    if (report instanceof ValidationError) return renderForm(res, 400, values, report.problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    const id = randomUUID();
    const ok = report.rows.every((r) => !r.problems.length) && report.rows.length > 0;
    if (ok) pending.set(id, { slug: values.slug, story, rows: parsed.rows, actor: res.locals.actor!.name, expires: clock.now().getTime() + PENDING_MS });
    for (const [key, p] of pending) if (p.expires < clock.now().getTime()) pending.delete(key);
    res.status(ok ? 200 : 400).render('editor/import-preview', {
      ...common(res),
      id: ok ? id : undefined,
      format: parsed.format,
      report,
      rows: report.rows.map((r) => ({ ...r, when: r.event ? formatEventDate(r.event, report.story.timeZone, report.story.language).text : '' })),
    });
  });

  router.post('/import/:id', express.urlencoded({ extended: false, limit: '10kb' }), checkCsrf, async (req, res) => {
    const job = pending.get(req.params.id as string);
    if (!job || job.actor !== res.locals.actor!.name || job.expires < clock.now().getTime()) return renderForm(res, 410, { slug: job?.slug ?? '', language: 'fr', timeZone: 'Europe/Paris' }, t.importExpired);
    pending.delete(req.params.id as string);
    const report = await service.importEvents({ slug: job.slug, story: { title: job.slug, ...job.story } }, job.rows, res.locals.actor!, false);
    if (!report.stored) return renderForm(res, 409, { slug: job.slug, language: job.story.language, timeZone: job.story.timeZone }, t.importChanged);
    res.redirect(303, `/admin/stories/${encodeURIComponent(job.slug)}`);
  });

  router.get('/stories/:slug/export.:format', async (req, res) => {
    const format = req.params.format === 'csv' ? 'csv' : req.params.format === 'timelinejs.json' ? 'timelinejs' : req.params.format === 'json' ? 'json' : undefined;
    if (!format) return void res.status(404).end();
    const record = await service.getStory(req.params.slug);
    const out = exportStory(record, format);
    res.type(out.type).attachment(`${record.story.slug}.${out.extension}`).send(out.body);
  });

  const tooLarge: ErrorRequestHandler = (error, _req, res, next) => {
    if (error instanceof multer.MulterError) return void renderForm(res, error.code === 'LIMIT_FILE_SIZE' ? 413 : 400, { slug: '', language: 'fr', timeZone: 'Europe/Paris' }, error.code === 'LIMIT_FILE_SIZE' ? t.importTooLarge : error.message);
    next(error);
  };
  router.use(tooLarge);
  return router;
}
