import { Hono } from 'hono'
import { analyticsRoutes } from './analytics/routes.ts'
import type { Config } from './config.ts'
import { ManychatStatus } from './contacts/manychat-status.ts'
import { contactRoutes } from './contacts/routes.ts'
import { type Logger, silentLogger } from './core/logger.ts'
import type { Store } from './db/open.ts'
import { createPostgresReads } from './db/postgres.ts'
import { createReadPool, type ReadHooks } from './db/read-pool.ts'
import { followUpRoutes } from './follow-ups/routes.ts'
import { guardRoutes } from './http/access.ts'
import { orgAuth } from './http/auth.ts'
import { clientAddressOf } from './http/client-address.ts'
import type { AppDeps, AppEnv } from './http/context.ts'
import { notFoundOrMethodNotAllowed } from './http/fallback.ts'
import { requestsInFlight } from './http/foreground.ts'
import { transportSecurity } from './http/https.ts'
import { idempotency } from './http/idempotency.ts'
import { errorRenderer } from './http/render-error.ts'
import { requestLog } from './http/request-log.ts'
import { bucketsFor } from './http/shared-buckets.ts'
import { openApiRoutes } from './openapi/routes.ts'
import { type Reads, runTasks, streamTasks } from './read-tasks.ts'
import { systemRoutes } from './system/routes.ts'
import { TokenUsage } from './tokens/usage.ts'
import { pageErrorRenderer, webRoutes } from './web/routes.tsx'
import { sessionAuth } from './web/session.ts'

export interface AppOptions {
  store: Store
  config: Config
  log?: Logger
  now?: () => number
  /** Test-only hooks into the read workers. */
  readHooks?: ReadHooks
}

export interface App {
  readonly hono: Hono<AppEnv>
  readonly fetch: Hono<AppEnv>['fetch']
  readonly request: Hono<AppEnv>['request']
  /** Ends the web app's open event streams, so a server can stop without waiting for them. */
  endStreams(): void
  /** The read workers (tests look at their stats). */
  readonly reads: Reads
  /** Whether a request is being answered now: the webhook delivery worker paces its attempts while one is. */
  busy(): boolean
  /** Flushes what is kept in memory (token last-use times, ManyChat's last call) and stops the read workers; the store stays open. */
  close(): Promise<void>
}

/** Builds the HTTP app around an open, migrated store. */
export function createApp({ store, config, log = silentLogger, now = Date.now, readHooks }: AppOptions): App {
  const usage = new TokenUsage(store)
  const manychat = new ManychatStatus(store)
  const requests = requestsInFlight()
  // The worker's file sits beside this one, as Bun's compiled executables require (scripts/build.ts).
  const entry = new URL('./read-worker.ts', import.meta.url)
  const reads: Reads =
    store.engine === 'postgres'
      ? createPostgresReads(store.db, runTasks, streamTasks, readHooks)
      : createReadPool({
          entry,
          path: config.dbPath,
          workers: config.readWorkers,
          busyTimeoutMs: config.busyTimeoutMs,
          foreground: requests.shared,
          hooks: readHooks,
        })
  const deps: AppDeps = { store, reads, config, log, now, manychat }
  const routes = new Hono<AppEnv>()
  routes.route('/', systemRoutes(deps))
  // The API lives under /api/v1, as on the hosted product.
  routes.route('/api/v1', contactRoutes(deps))
  routes.route('/api/v1', followUpRoutes(deps))
  routes.route('/api/v1', analyticsRoutes(deps))
  routes.route('/api/v1', openApiRoutes())
  // The web app for the team (signed in with a session cookie, never with it on /api/v1).
  const web = webRoutes(deps)
  routes.route('/', web.routes)

  // Not strict: /path/ reaches /path. A pasted URL with a trailing slash (ManyChat's step editor,
  // curl) should work, and the 405 fallback, which also matches it, must not contradict the router.
  const app = new Hono<AppEnv>({ strict: false })
  app.use(requestLog({ log: config.logRequests ? log : silentLogger }))
  app.use(transportSecurity({ https: config.acme !== undefined }))
  // Counts the requests in flight: exports in the read workers and the webhook worker's attempts give way to them.
  app.use(async function foreground(_c, next) {
    await requests.run(next)
  })
  // Who may call what is declared in http/access.ts; each route gets its guard before its handler.
  const orgToken = orgAuth({
    db: store.db,
    usage,
    now,
    failuresPerMinute: config.authFailuresPerMinute,
    clientAddress: clientAddressOf(config.trustProxy),
    buckets: bucketsFor(store, 'auth-failure'),
  })
  guardRoutes(app, routes.routes, {
    'org-token': orgToken,
    session: sessionAuth({ store, now }),
    'session-admin': sessionAuth({ store, now, admin: true }),
  })
  // After the guards (keys belong to the caller's organization), before the routes and their rate limits.
  app.use('/api/v1/*', idempotency(store, config.bodyLimitBytes, now))
  app.route('/', routes)

  const renderError = pageErrorRenderer(errorRenderer(log))
  app.notFound(notFoundOrMethodNotAllowed(app, renderError))
  app.onError(renderError)

  return {
    hono: app,
    fetch: app.fetch,
    request: app.request,
    endStreams: web.endStreams,
    reads,
    busy: requests.busy,
    async close() {
      web.endStreams()
      await reads.close()
      await usage.stop()
      await manychat.stop()
    },
  }
}
