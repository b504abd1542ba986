import type { Context, ErrorHandler } from 'hono'
import { AppError, type ErrorKind, toAppError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { AppEnv } from './context.ts'

/** The one place an error becomes a response: the reference's shape, with the request id. */
export function errorRenderer(log: Logger): ErrorHandler<AppEnv> {
  return function renderError(error: Error, c: Context<AppEnv>) {
    const appError = toAppError(error)
    const status = errorStatus(appError.kind)
    if (appError.kind === 'unavailable') {
      // Expected under load or a full disk: one line with SQLite's code, no stack.
      const code = (error as { code?: unknown }).code
      log({ level: 'warn', msg: appError.message, code: typeof code === 'string' ? code : undefined, request_id: c.get('requestId') })
    } else if (status >= 500) {
      // Logged with the request id so the user's report can be matched; the body has no internals.
      log({
        level: 'error',
        msg: error instanceof AppError ? error.message : 'unhandled error',
        error: error instanceof AppError ? undefined : String(error.stack ?? error),
        request_id: c.get('requestId'),
      })
    }
    for (const [name, value] of Object.entries(appError.headers ?? {})) c.header(name, value)
    return c.json(errorBody(appError, c.get('requestId')), status)
  }
}

/** The one table from an error's kind to its status code and the reference's `error` title. */
const KINDS: Record<ErrorKind, { status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 422 | 429 | 500 | 503; title: string }> = {
  bad_request: { status: 400, title: 'Bad Request' },
  validation: { status: 400, title: 'Validation Error' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not Found' },
  method_not_allowed: { status: 405, title: 'Method Not Allowed' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'Payload Too Large' },
  unprocessable: { status: 422, title: 'Unprocessable Content' },
  rate_limited: { status: 429, title: 'Rate Limit Exceeded' },
  internal: { status: 500, title: 'Internal Server Error' },
  unavailable: { status: 503, title: 'Service Unavailable' },
}

export function errorStatus(kind: ErrorKind) {
  return KINDS[kind].status
}

/** The reference's error shape, plus details and the request id. */
function errorBody(error: AppError, requestId?: string) {
  return {
    error: KINDS[error.kind].title,
    message: error.message,
    ...(error.details?.length ? { details: error.details } : {}),
    ...(requestId ? { request_id: requestId } : {}),
  }
}
