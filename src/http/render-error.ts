import type { Context, ErrorHandler } from 'hono'
import type { Logger } from '../core/logger.ts'
import type { AppEnv } from './context.ts'
import { AppError, toAppError } from '../core/errors.ts'

/** The one place an error becomes a response: the reference's shape, with the request id. */
export function errorRenderer(log: Logger): ErrorHandler<AppEnv> {
  return function renderError(error: Error, c: Context<AppEnv>) {
    const appError = toAppError(error)
    if (appError.kind === 'unavailable') {
      // Expected under load or a full disk: one line with SQLite's code, no stack.
      const code = (error as { code?: unknown }).code
      log({ level: 'warn', msg: appError.message, code: typeof code === 'string' ? code : undefined, request_id: c.get('requestId') })
    } else if (appError.status >= 500) {
      // Logged with the request id so the user's report can be matched; the body has no internals.
      log({
        level: 'error',
        msg: error instanceof AppError ? error.message : 'unhandled error',
        error: error instanceof AppError ? undefined : String(error.stack ?? error),
        request_id: c.get('requestId'),
      })
    }
    for (const [name, value] of Object.entries(appError.headers ?? {})) c.header(name, value)
    return c.json(appError.body(c.get('requestId')), appError.status)
  }
}
