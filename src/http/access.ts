import type { Hono, MiddlewareHandler } from 'hono'
import type { AppEnv } from './context.ts'

/**
 * Who may call a route: anyone, a caller holding an organization's API token, a person signed in
 * to the web app (a member of the organization their session looks at), or only its owners and admins.
 */
export type Access = 'public' | 'org-token' | 'session' | 'session-admin'

/**
 * Every route the app serves, by method and path as registered, and who may call it. This is
 * the one place access is declared: the app guards each route by it, refuses to start if a
 * route is missing here, and the OpenAPI document marks its security from it.
 */
export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  'GET /healthz': 'public',
  'GET /version': 'public',
  'GET /api/v1/openapi.json': 'public',
  'POST /api/v1/contact/default-reply': 'org-token',
  'POST /api/v1/organization/create-contact': 'org-token',
  'POST /api/v1/contact/update-tags-external': 'org-token',
  'PATCH /api/v1/contact/contact-status': 'org-token',
  'GET /api/v1/contacts': 'org-token',
  'GET /api/v1/contacts/export.csv': 'org-token',
  'GET /api/v1/contacts/:id': 'org-token',
  'DELETE /api/v1/contacts/:id': 'org-token',
  'PATCH /api/v1/contacts/:id': 'org-token',
  'POST /api/v1/contacts/:id/follow-ups': 'org-token',
  'GET /api/v1/follow-ups': 'org-token',
  'GET /api/v1/pipeline': 'org-token',
  'GET /api/v1/analytics/setters': 'org-token',
  'GET /api/v1/analytics/setters.csv': 'org-token',
  'GET /api/v1/analytics/outreach': 'org-token',
  'GET /api/v1/analytics/outreach.csv': 'org-token',
  'GET /api/v1/analytics/daily': 'org-token',
  'GET /api/v1/analytics/daily.csv': 'org-token',
  // The web app (src/web/). A session cookie never authenticates an /api/v1 route.
  'GET /assets/app.css': 'public',
  'GET /assets/app.js': 'public',
  'GET /login': 'public',
  'POST /login': 'public',
  'GET /invite/:token': 'public',
  'POST /invite/:token': 'public',
  'POST /logout': 'session',
  'GET /': 'session',
  'POST /organization': 'session',
  'GET /follow-ups': 'session',
  'GET /pipeline': 'session',
  'POST /pipeline/:id/move': 'session',
  'POST /follow-ups/:id/done': 'session',
  'POST /follow-ups/:id/snooze': 'session',
  'GET /contacts': 'session',
  'GET /contacts/export.csv': 'session',
  'GET /contacts/:id': 'session',
  'POST /contacts/:id/status': 'session',
  'POST /contacts/:id/tags': 'session',
  'POST /contacts/:id/tags/remove': 'session',
  'POST /contacts/:id/notes': 'session',
  'POST /contacts/:id/follow-up/done': 'session',
  'POST /contacts/:id/follow-up/snooze': 'session',
  'POST /contacts/:id/follow-ups': 'session',
  'GET /contacts/:id/archive': 'session',
  'POST /contacts/:id/archive': 'session',
  'GET /events': 'session',
  'GET /settings': 'session-admin',
  'POST /settings/invite': 'session-admin',
  // Settings (src/web/settings/): owners and admins only, every page and every action.
  'GET /assets/settings.css': 'public',
  'GET /assets/settings.js': 'public',
  'GET /settings/stages': 'session-admin',
  'POST /settings/stages': 'session-admin',
  'POST /settings/stages/rename': 'session-admin',
  'POST /settings/stages/color': 'session-admin',
  'POST /settings/stages/move': 'session-admin',
  'POST /settings/stages/remove': 'session-admin',
  'GET /settings/automations': 'session-admin',
  'POST /settings/automations': 'session-admin',
  'POST /settings/automations/:id/enable': 'session-admin',
  'POST /settings/automations/:id/disable': 'session-admin',
  'POST /settings/automations/:id/remove': 'session-admin',
  'GET /settings/follow-ups': 'session-admin',
  'POST /settings/follow-ups': 'session-admin',
  'GET /settings/tokens': 'session-admin',
  'POST /settings/tokens': 'session-admin',
  'POST /settings/tokens/:id/revoke': 'session-admin',
  'GET /settings/team': 'session-admin',
  'POST /settings/team/:userId/role': 'session-admin',
  'POST /settings/team/:userId/remove': 'session-admin',
  'GET /settings/manychat': 'session-admin',
  'GET /settings/webhooks': 'session-admin',
  'POST /settings/webhooks': 'session-admin',
  'GET /settings/webhooks/:id': 'session-admin',
  'POST /settings/webhooks/:id/remove': 'session-admin',
  'POST /settings/webhooks/:id/enable': 'session-admin',
  'POST /settings/webhooks/:id/rotate': 'session-admin',
  'POST /settings/webhooks/:id/test': 'session-admin',
  'GET /settings/audit': 'session-admin',
  'GET /analytics': 'session',
  'GET /analytics/setters.csv': 'session',
  'GET /analytics/outreach.csv': 'session',
  'GET /analytics/daily.csv': 'session',
}

/** The access a route was declared with, or undefined if it was not. */
export function routeAccess(method: string, path: string): Access | undefined {
  return ROUTE_ACCESS[`${method.toUpperCase()} ${path}`]
}

type Guards = Record<Exclude<Access, 'public'>, MiddlewareHandler<AppEnv>>

/**
 * Puts each route's guard on `app` ahead of the routes in `routes` (mount them on `app`
 * afterwards). Guards go on the routes themselves, not on a prefix, so an unknown path or
 * method is a 404 or 405 before it is a 401.
 */
export function guardRoutes(app: Hono<AppEnv>, routes: Hono<AppEnv>['routes'], guards: Guards): void {
  const seen = new Set<string>()
  for (const { method, path } of routes) {
    if (method === 'ALL' || seen.has(`${method} ${path}`)) continue
    seen.add(`${method} ${path}`)
    const access = routeAccess(method, path)
    if (access === undefined) throw new Error(`${method} ${path} is served but has no entry in ROUTE_ACCESS (src/http/access.ts)`)
    if (access !== 'public') app.on(method, path, once(guards[access]))
  }
}

/** A request can match two guarded patterns (/contacts/export.csv and /contacts/:id): check it once. */
function once(guard: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return async function guardOnce(c, next) {
    if (c.get('caller') || c.get('member')) return next()
    return guard(c, next)
  }
}
