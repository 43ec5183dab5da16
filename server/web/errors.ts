import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, StorageError, ValidationError, type FieldProblem } from '../domain/errors.js';
import { LABELS, SITE_LANGUAGE } from './i18n.js';
import { HttpError } from './http-error.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string; problems?: FieldProblem[] };
}

interface Described {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

// body-parser's errors carry a `type`; map the ones a client can cause.
const PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.too.large': [413, 'payload_too_large', 'The request body is too large'],
  'entity.parse.failed': [400, 'invalid_json', 'The request body is not valid JSON'],
  'encoding.unsupported': [415, 'unsupported_encoding', 'The request body encoding is not supported'],
  'charset.unsupported': [415, 'unsupported_charset', 'The request body charset is not supported'],
};

function describe(error: unknown): Described {
  const plain = (status: number, code: string, message: string, field?: string): Described => ({
    status,
    body: { error: { code, message, ...(field ? { field } : {}) } },
    headers: {},
  });
  if (error instanceof HttpError) return { ...plain(error.status, error.code, error.message, error.field), headers: error.headers };
  if (error instanceof ValidationError) {
    const d = plain(400, error.code, error.message, error.field);
    d.body.error.problems = error.problems;
    return d;
  }
  if (error instanceof NotFoundError) return plain(404, error.code, error.message, error.field);
  if (error instanceof ForbiddenError) return plain(403, error.code, error.message, error.field);
  if (error instanceof ConflictError && error.code === 'version_mismatch') return plain(412, error.code, error.message, error.field);
  if (error instanceof ConflictError) return plain(409, error.code, error.message, error.field);
  if (error instanceof StorageError) return plain(503, error.code, 'The change could not be saved; nothing was changed. Try again.');
  if (error instanceof DomainError) return plain(400, error.code, error.message, error.field);
  const type = (error as { type?: string } | null)?.type;
  if (type && PARSER_ERRORS[type]) return plain(...PARSER_ERRORS[type]);
  return plain(500, 'internal_error', 'Something went wrong on our side');
}

export function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.accepts(['html', 'json']) === 'json';
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `Nothing at ${req.path}`));
};

/** The one error path: a status and a stable code, as JSON or as a page in the reader's language. */
export function errorHandler(options: { showStack: boolean; log: (error: unknown, req: Request) => void }): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const { status, body, headers } = describe(error);
    if (status >= 500) options.log(error, req);
    // an error must not be kept by a cache as if it were the page
    res.removeHeader('ETag');
    res.status(status).set({ 'Cache-Control': 'no-store', ...headers });
    const stack = options.showStack && error instanceof Error ? error.stack : undefined;
    if (wantsJson(req)) {
      res.json(stack ? { ...body, stack } : body);
      return;
    }
    const lang = res.locals.lang ?? SITE_LANGUAGE;
    const labels = LABELS[lang as keyof typeof LABELS];
    res.render('pages/error', {
      lang,
      labels,
      status,
      title: status === 404 ? labels.notFoundTitle : labels.errorTitle,
      message: status === 404 ? labels.notFoundText : status < 500 ? body.error.message : labels.errorText,
      stack,
    });
  };
}
