import { Hono } from 'hono'
import { sql } from 'kysely'
import { runtime } from '#runtime'
import pkg from '../../package.json' with { type: 'json' }
import { AppError } from '../core/errors.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { buildInfo } from './version.ts'

export const VERSION: string = pkg.version

/** Liveness and version, without auth: for load balancers, uptime checks and `curl`. */
export function systemRoutes({ store }: AppDeps) {
  return new Hono<AppEnv>()
    .get('/healthz', async (c) => {
      try {
        await sql`select 1`.execute(store.db)
      } catch {
        throw new AppError('unavailable', 'The database is not answering', undefined, { 'Retry-After': '1' })
      }
      return c.json({ status: 'ok' })
    })
    .get('/version', (c) => c.json({ name: 'dmtracker-server', ...buildInfo(), runtime: runtime.name }))
}
