import { Hono } from 'hono'
import { readJsonObject } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { parseInput } from '../core/validate.ts'
import { updateTagsSchema } from './schemas.ts'
import { updateContactTags } from '../contacts/update-tags.ts'

/** POST /contact/update-tags-external: set, add or remove a contact's tags by name. */
export function tagRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().post('/contact/update-tags-external', deps.auth, async (c) => {
    const input = parseInput(updateTagsSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
    const now = new Date(deps.now()).toISOString()
    return c.json(await deps.store.write((trx) => updateContactTags(trx, c.get('caller'), input, now)))
  })
}
