import { Hono } from 'hono'
import { readJsonObject } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { rateLimit } from '../http/rate-limit.ts'
import { parseInput } from '../core/validate.ts'
import { createContactSchema } from './schemas.ts'
import { createContactFromApi } from './create-contact.ts'

/** POST /organization/create-contact. */
export function contactRoutes(deps: AppDeps) {
  // After authentication, so the bucket is the caller's organization; one set of buckets per app.
  const limit = rateLimit({
    perMinute: deps.config.rateLimitPerMinute,
    burst: deps.config.rateLimitBurst,
    now: deps.now,
    key: (c) => c.get('caller').organizationId,
    policy: 'org',
  })
  return new Hono<AppEnv>().post('/organization/create-contact', deps.auth, limit, async (c) => {
    const input = parseInput(createContactSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
    const now = new Date(deps.now()).toISOString()
    const { httpStatus, ...body } = await deps.store.write((trx) => createContactFromApi(trx, c.get('caller'), input, now))
    return c.json({ status: 'success', ...body }, httpStatus)
  })
}
