import { Hono } from 'hono'
import { readJsonObject } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { parseInput } from '../core/validate.ts'
import { CANCELLED_MESSAGE } from '../organizations/access.ts'
import { contactStatusSchema } from './status-schema.ts'
import { updateContactStatus } from '../contacts/contact-status.ts'

/** PATCH /contact/contact-status: lead status and/or pipeline stage, then smart automations. */
export function statusRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().patch('/contact/contact-status', deps.auth, async (c) => {
    const input = parseInput(contactStatusSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
    const now = new Date(deps.now()).toISOString()
    const contact = await deps.store.write((trx) => updateContactStatus(trx, c.get('caller'), input, now))
    return c.json(contact ? { status: 'success', data: contact } : { status: 'success', message: CANCELLED_MESSAGE })
  })
}
