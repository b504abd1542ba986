import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { boardQuery } from '../contact-list/schemas.ts'
import { parseQuery } from '../http/query.ts'

/** GET /pipeline: the stages in order with counts and their first contacts. */
export function pipelineViewRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/pipeline', deps.auth, async (c) => {
    const { limit } = parseQuery(c, boardQuery)
    const stages = await deps.reads.run('pipeline', { organizationId: c.get('caller').organizationId, limit })
    return c.json({ status: 'success', data: { stages } })
  })
}
