import { Hono } from 'hono'
import { boardQuery, contactIdParam } from '../contacts/schemas.ts'
import { contactView } from '../contacts/view.ts'
import { parseQuery } from '../core/query.ts'
import { isoTime } from '../core/time.ts'
import { parseInput } from '../core/validate.ts'
import type { Trx } from '../db/write.ts'
import { readJsonObject } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { writeAndAnswer } from '../http/idempotency.ts'
import { success } from '../http/respond.ts'
import { CANCELLED_MESSAGE, callerOrganization, isCancelled } from '../organizations/access.ts'
import { actOnFollowUp } from './actions.ts'
import { followUpActionSchema } from './schemas.ts'

/** GET /follow-ups (the board) and POST /contacts/{id}/follow-ups (done or snooze). */
export function followUpRoutes(deps: AppDeps) {
  const { store } = deps
  return new Hono<AppEnv>()
    .get('/follow-ups', async (c) => {
      const { limit } = parseQuery(boardQuery, c.req.queries())
      const data = await deps.reads.run('followUpBoard', { caller: c.get('caller'), now: deps.now(), limit })
      return c.json(success({ data }))
    })
    .post('/contacts/:id/follow-ups', async (c) => {
      const { id } = parseInput(contactIdParam, { id: c.req.param('id') })
      const action = parseInput(followUpActionSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
      const now = isoTime(deps.now())
      const work = async (trx: Trx) => {
        const org = await callerOrganization(trx, c.get('caller'))
        if (isCancelled(org)) return success({ message: CANCELLED_MESSAGE })
        const contact = await actOnFollowUp(trx, org, id, action, now)
        const message = action.snoozeUntil
          ? 'Follow-up snoozed'
          : contact.follow_up_needed
            ? 'Follow-up done; next one scheduled'
            : 'Follow-up done; the cadence is complete'
        return success({ message, data: await contactView(trx, contact) })
      }
      return writeAndAnswer(c, store, deps.now(), work, (body) => ({ body }))
    })
}
