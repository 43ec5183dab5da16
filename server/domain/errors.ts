export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/** A failure the user can act on; `code` is stable English, `field` names the input at fault. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationError extends DomainError {
  constructor(readonly problems: FieldProblem[]) {
    const first = problems[0]!;
    super(first.code, problems.map((p) => `${p.field}: ${p.message}`).join('; '), first.field);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends DomainError {
  constructor(what: 'story' | 'event' | 'user' | 'token', id: string) {
    super(`${what}_not_found`, `No ${what} "${id}"`, what === 'story' ? 'slug' : what === 'user' ? 'name' : 'id');
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, field);
    this.name = 'ConflictError';
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('forbidden', message);
    this.name = 'ForbiddenError';
  }
}

/** The store could not persist a write; nothing was applied. */
export class StorageError extends DomainError {
  constructor(message: string, cause?: unknown) {
    super('storage_failed', message);
    this.name = 'StorageError';
    this.cause = cause;
  }
}
