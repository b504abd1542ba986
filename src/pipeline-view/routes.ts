import { Hono } from 'hono'
import { readTogether } from '../db/read.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { boardQuery } from '../contact-list/schemas.ts'
import { parseQuery } from '../core/query.ts'
import { pipelineBoard } from '../contacts/pipeline-board.ts'

/** GET /pipeline: the stages in order with counts and their first contacts. */
export function pipelineViewRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/pipeline', deps.auth, async (c) => {
    const { limit } = parseQuery(c, boardQuery)
    const stages = await readTogether(deps.store.db, (db) => pipelineBoard(db, c.get('caller').organizationId, limit))
    return c.json({ status: 'success', data: { stages } })
  })
}
