import { Hono } from 'hono'
import { readJsonObject } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { parseInput } from '../core/validate.ts'
import { defaultReplySchema } from './schemas.ts'
import { handleDefaultReply } from '../contacts/default-reply.ts'

/** POST /contact/default-reply: the webhook ManyChat calls when a subscriber replies to a DM. */
export function replyRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().post('/contact/default-reply', deps.auth, async (c) => {
    const input = parseInput(defaultReplySchema, await readJsonObject(c, deps.config.bodyLimitBytes))
    const caller = c.get('caller')
    const now = new Date(deps.now()).toISOString()
    const outcome = await deps.store.write((trx) => handleDefaultReply(trx, caller, input, now))
    return c.json({ status: 'success', ...outcome })
  })
}
