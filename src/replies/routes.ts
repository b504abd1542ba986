import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../http/context.ts'

/** POST /contact/default-reply (issue 3). */
export function replyRoutes(_deps: AppDeps) {
  return new Hono<AppEnv>()
}
