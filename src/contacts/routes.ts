import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../http/context.ts'

/** POST /organization/create-contact (issue 4). */
export function contactRoutes(_deps: AppDeps) {
  return new Hono<AppEnv>()
}
