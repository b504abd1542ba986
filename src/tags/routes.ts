import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../http/context.ts'

/** POST /contact/update-tags-external (issue 5). */
export function tagRoutes(_deps: AppDeps) {
  return new Hono<AppEnv>()
}
