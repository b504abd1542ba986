/** Every failure a client can be told about. Services throw these; one onError renders them. */
export type ErrorKind =
  | 'bad_request'
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'rate_limited'
  | 'internal'
  | 'unavailable'

export interface FieldError {
  field: string
  message: string
}

const KINDS: Record<ErrorKind, { status: 400 | 401 | 403 | 404 | 405 | 413 | 429 | 500 | 503; title: string }> = {
  bad_request: { status: 400, title: 'Bad Request' },
  validation: { status: 400, title: 'Validation Error' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not Found' },
  method_not_allowed: { status: 405, title: 'Method Not Allowed' },
  payload_too_large: { status: 413, title: 'Payload Too Large' },
  rate_limited: { status: 429, title: 'Rate Limit Exceeded' },
  internal: { status: 500, title: 'Internal Server Error' },
  unavailable: { status: 503, title: 'Service Unavailable' },
}

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: FieldError[],
    /** Extra response headers, such as Allow or Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'AppError'
  }

  get status() {
    return KINDS[this.kind].status
  }

  /** The reference's error shape, plus details and the request id. */
  body(requestId?: string) {
    return {
      error: KINDS[this.kind].title,
      message: this.message,
      ...(this.details?.length ? { details: this.details } : {}),
      ...(requestId ? { request_id: requestId } : {}),
    }
  }
}

/** Seconds a client should wait before retrying when the database is busy or out of space. */
export const DATABASE_RETRY_AFTER_SECONDS = 1

// SQLite result codes that mean "try again later", not "your request was wrong".
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|NOMEM|READONLY|PROTOCOL)/

/** Turns anything thrown into an AppError; unknown errors become a 500 without internals. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    return new AppError('unavailable', 'The database is temporarily unavailable. Try again shortly.', undefined, {
      'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS),
    })
  }
  return new AppError('internal', 'An unexpected error occurred.')
}
