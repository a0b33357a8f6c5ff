// The API's one error model: what a feature refuses is a DomainError with a code; the errors filter
// (errors.filter.ts) turns the code into the HTTP status, in one exhaustive switch, and sends the
// error's body. Services throw them; controllers do not catch them.

/** Why a request was refused; each code is one HTTP status (statusOf). */
export type ErrorCode = 'invalid_field' | 'not_found' | 'conflict' | 'unavailable' | 'failed';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;

  /** The response body (Django REST framework's `{"detail": …}` unless the error says otherwise). */
  body(): Record<string, unknown> {
    return { detail: this.message };
  }
}

/** The HTTP status of a code. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'invalid_field':
      return 400;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'unavailable':
      return 503;
    case 'failed':
      return 500;
    default: {
      const unknown: never = code;
      throw new Error(`no HTTP status for error code ${String(unknown)}`);
    }
  }
}

/**
 * A field of a request body that cannot be accepted (alert rules, dashboards, report schedules):
 * 400 `{detail: "<field>: <problem>", field, valid?}`, `valid` listing what would be.
 */
export class InvalidFieldError extends DomainError {
  readonly code = 'invalid_field';

  constructor(
    readonly field: string,
    readonly problem: string,
    readonly valid?: readonly (string | number)[] | string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'InvalidFieldError';
  }

  override body(): { detail: string; field: string; valid?: readonly (string | number)[] | string } {
    return { detail: this.message, field: this.field, ...(this.valid === undefined ? {} : { valid: this.valid }) };
  }
}

/** What the request names does not exist (or is not the caller's to see): 404 `{detail}`. */
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
}

/** The request contradicts the current state (e.g. acknowledging a resolved alert): 409 `{detail}`. */
export class ConflictError extends DomainError {
  readonly code = 'conflict';
}

/** A store the request needs is down: 503 `{error}`. */
export class UnavailableError extends DomainError {
  readonly code = 'unavailable';

  override body(): { error: string } {
    return { error: this.message };
  }
}

/**
 * The work failed for a reason that is not the request's (the engine, a browser, a bug), on a route
 * whose clients expect Django's `{"detail": …}` (the legacy endpoints): 500 `{detail}`; the errors
 * filter logs the cause.
 */
export class OperationFailedError extends DomainError {
  readonly code = 'failed';

  constructor(
    detail: string,
    override readonly cause: Error,
  ) {
    super(detail);
    this.name = 'OperationFailedError';
  }
}
