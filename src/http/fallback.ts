import type { ErrorHandler, Hono, NotFoundHandler } from 'hono'
import { AppError } from '../core/errors.ts'
import type { AppEnv } from './context.ts'

/**
 * Unknown path: 404. Known path, wrong method: 405 with Allow. The table of paths comes from
 * the routes the app itself registered, so it cannot drift from them.
 */
export function notFoundOrMethodNotAllowed(app: Hono<AppEnv>, renderError: ErrorHandler<AppEnv>): NotFoundHandler<AppEnv> {
  let table: { pattern: RegExp; isStatic: boolean; methods: string[] }[] | undefined
  const build = () => {
    const byPath = new Map<string, Set<string>>()
    for (const { method, path } of app.routes) {
      if (method === 'ALL') continue // middleware
      const methods = byPath.get(path) ?? new Set()
      methods.add(method)
      if (method === 'GET') methods.add('HEAD')
      byPath.set(path, methods)
    }
    return [...byPath].map(([path, methods]) => ({
      // Matched exactly against c.req.path, the path the router saw (one trailing slash already
      // dropped: the app is not strict), so a 405 is given only where another method would be routed.
      pattern: new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}$`),
      isStatic: !path.includes(':'),
      methods: [...methods],
    }))
  }
  return function notFound(c) {
    table ??= build()
    const matches = table.filter((r) => r.pattern.test(c.req.path))
    // A static path wins over a pattern that also matches it (/contacts/export.csv, not /contacts/:id).
    const exact = matches.filter((r) => r.isStatic)
    const allowed = (exact.length > 0 ? exact : matches).flatMap((r) => r.methods)
    // Returned, not thrown: Hono calls notFound outside the middleware chain's error handling.
    if (allowed.length === 0) return renderError(new AppError('not_found', `No endpoint at ${c.req.path}`), c)
    const allow = [...new Set(allowed)].join(', ')
    const error = new AppError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`, undefined, {
      Allow: allow,
    })
    return renderError(error, c)
  }
}
