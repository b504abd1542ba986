import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../http/context.ts'

/** PATCH /contact/contact-status (issue 6). */
export function statusRoutes(_deps: AppDeps) {
  return new Hono<AppEnv>()
}
