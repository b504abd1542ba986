/** Every failure a client can be told about. Services throw these; http/render-error.ts renders them. */
export type ErrorKind =
  | 'bad_request'
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unprocessable'
  | 'rate_limited'
  | 'internal'
  | 'unavailable'

export interface FieldError {
  field: string
  message: string
}

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: FieldError[],
    /** What the client is told to do next, as response headers (Allow, Retry-After); mostly for http/. */
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

/** Seconds a client should wait before retrying when the database is busy or out of space. */
const DATABASE_RETRY_AFTER_SECONDS = 1

// SQLite result codes that mean "try again later", not "your request was wrong".
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|NOMEM|READONLY|PROTOCOL)/
// PostgreSQL's and the network's: still not serializable after the retries, out of connections or
// disk (class 53), shutting down or restarting (57P01-57P03), the connection lost (class 08).
/** character_not_in_repertoire: what Postgres says of a NUL in a text parameter. */
const POSTGRES_NUL_IN_TEXT = '22021'
const POSTGRES_UNAVAILABLE_CODES = /^(40001|40P01|53...|57P0[123]|08...|ECONNREFUSED|ECONNRESET|ETIMEDOUT)$/

/** Turns anything thrown into an AppError; unknown errors become a 500 without internals. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  const code = (error as { code?: unknown } | null)?.code
  // PostgreSQL's text cannot hold NUL (U+0000), which SQLite stores: on Postgres such a value is the
  // client's mistake, answered as one (docs/decisions.md), never a 500.
  if (code === POSTGRES_NUL_IN_TEXT) return new AppError('bad_request', 'Text must not contain NUL (\\u0000) characters on this server.')
  if (typeof code === 'string' && (UNAVAILABLE_CODES.test(code) || POSTGRES_UNAVAILABLE_CODES.test(code))) {
    return new AppError('unavailable', 'The database is temporarily unavailable. Try again shortly.', undefined, {
      'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS),
    })
  }
  return new AppError('internal', 'An unexpected error occurred.')
}
