import type { MiddlewareHandler } from 'hono'
import type { Logger } from '../core/logger.ts'
import type { AppEnv } from './context.ts'

const REQUEST_ID = /^[\w.:-]{1,128}$/

/**
 * Accepts a well-formed X-Request-Id or makes one, echoes it, and logs one line per request.
 * The line has method, path, status, duration, organization and request id: never the token
 * or the body, which may hold personal data.
 */
export function requestLog({ log }: { log: Logger }): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = performance.now()
    const offered = c.req.header('x-request-id')
    const requestId = offered && REQUEST_ID.test(offered) ? offered : crypto.randomUUID()
    c.set('requestId', requestId)
    await next()
    c.header('X-Request-Id', requestId)
    log({
      level: c.res.status >= 500 ? 'error' : 'info',
      msg: 'request',
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      org_id: c.get('caller')?.organizationId ?? null,
      request_id: requestId,
    })
  }
}
