import { type Context, type ErrorHandler, Hono } from 'hono'
import { toAppError } from '../core/errors.ts'
import { readForm } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { errorStatus } from '../http/render-error.ts'
import { switchOrganization } from '../sessions/service.ts'
import { analyticsPages } from './analytics.tsx'
import { APP_CSS, APP_JS } from './assets.ts'
import { boardPages } from './board.tsx'
import { contactPage } from './contact.tsx'
import { contactPages } from './contacts.tsx'
import { eventStreams } from './events.ts'
import { Notice, renderPage } from './layout.tsx'
import { pipelinePages } from './pipeline.tsx'
import { sameOrigin } from './security.ts'
import { settingsPages } from './settings/index.tsx'
import { signInPages } from './sign-in.tsx'

const ASSET_CACHE = 'public, max-age=31536000, immutable'

/** The web app: every page, its assets and its live events. `endStreams` closes open event streams. */
export function webRoutes(deps: AppDeps) {
  const events = eventStreams(deps)
  const routes = new Hono<AppEnv>()
    .get('/assets/app.css', (c) =>
      c.body(APP_CSS, 200, {
        'Content-Type': 'text/css; charset=utf-8',
        'Cache-Control': ASSET_CACHE,
        'X-Content-Type-Options': 'nosniff',
      }),
    )
    .get('/assets/app.js', (c) =>
      c.body(APP_JS, 200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': ASSET_CACHE,
        'X-Content-Type-Options': 'nosniff',
      }),
    )
    .post('/organization', sameOrigin(), async (c) => {
      const form = await readForm(c, deps.config.bodyLimitBytes)
      await deps.store.write((trx) => switchOrganization(trx, c.get('member').session, form.organization_id ?? ''))
      return c.redirect('/follow-ups', 303)
    })
  routes.route('/', signInPages(deps))
  routes.route('/', boardPages(deps))
  routes.route('/', contactPages(deps))
  routes.route('/', contactPage(deps)) // after contactPages: /contacts/export.csv is not a contact id
  routes.route('/', pipelinePages(deps))
  routes.route('/', settingsPages(deps))
  routes.route('/', analyticsPages(deps))
  routes.route('/', events.routes)
  return { routes, endStreams: events.endAll }
}

/** Whether a path belongs to the web app rather than the API (whose errors stay JSON). */
function isPagePath(path: string): boolean {
  return !path.startsWith('/api/') && path !== '/healthz' && path !== '/version'
}

/** Errors on pages are pages (same status codes as the API's); elsewhere `json` renders them. */
export function pageErrorRenderer(json: ErrorHandler<AppEnv>): ErrorHandler<AppEnv> {
  return function renderPageError(error, c: Context<AppEnv>) {
    if (!isPagePath(c.req.path) || c.req.path === '/events') return json(error, c)
    const appError = toAppError(error)
    if (errorStatus(appError.kind) >= 500) json(error, c) // logs it, with the request id
    const status = errorStatus(appError.kind)
    const message =
      status >= 500 ? `Something went wrong on our side (request ${c.get('requestId') ?? ''}). Try again in a moment.` : appError.message
    return renderPage(
      c,
      { title: 'Error', status },
      <>
        <h1>{status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong'}</h1>
        <Notice kind="error">{message}</Notice>
        <p>
          <a href={c.get('member') ? '/follow-ups' : '/login'}>Back to the app</a>
        </p>
      </>,
    )
  }
}
