import { Hono } from 'hono'
import { toAppError } from '../core/errors.ts'
import { parseQuery } from '../core/query.ts'
import { isoTime } from '../core/time.ts'
import { parseInput } from '../core/validate.ts'
import { readJsonObject } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { writeAndAnswer } from '../http/idempotency.ts'
import { rateLimit } from '../http/rate-limit.ts'
import { errorStatus } from '../http/render-error.ts'
import { success } from '../http/respond.ts'
import { bucketsFor } from '../http/shared-buckets.ts'
import { CANCELLED_MESSAGE, callerOrganization, isCancelled } from '../organizations/access.ts'
import { archiveContact } from './archive.ts'
import { assignContact } from './assign.ts'
import { updateContactStatus } from './contact-status.ts'
import { createContactFromApi } from './create-contact.ts'
import { handleDefaultReply } from './default-reply.ts'
import {
  archiveQuery,
  boardQuery,
  contactDetailQuery,
  contactExportQuery,
  contactIdParam,
  contactListQuery,
  contactStatusSchema,
  createContactSchema,
  defaultReplySchema,
  updateContactSchema,
  updateTagsSchema,
} from './schemas.ts'
import { updateContactTags } from './update-tags.ts'
import { contactView } from './view.ts'

/**
 * Every contact endpoint: the reference's four (default-reply, create-contact, update-tags,
 * contact-status), the lists, the export, one contact's detail and archive, and the pipeline board.
 */
export function contactRoutes(deps: AppDeps) {
  const { store } = deps
  // After authentication, so the bucket is the caller's organization; one set of buckets per app.
  const createLimit = rateLimit({
    perMinute: deps.config.rateLimitPerMinute,
    burst: deps.config.rateLimitBurst,
    now: deps.now,
    key: (c) => c.get('caller').organizationId,
    policy: 'org',
    buckets: bucketsFor(store, 'create-contact'),
  })
  return (
    new Hono<AppEnv>()
      // The webhook ManyChat calls when a subscriber replies to a DM.
      // Settings shows the organization's last call and its result (manychat-status.ts, kept in memory).
      .post('/contact/default-reply', async (c) => {
        const caller = c.get('caller')
        try {
          const input = parseInput(defaultReplySchema, await readJsonObject(c, deps.config.bodyLimitBytes))
          const now = isoTime(deps.now())
          let result = ''
          const response = await writeAndAnswer(
            c,
            store,
            deps.now(),
            (trx) => handleDefaultReply(trx, caller, input, now),
            (outcome) => {
              result = outcome.message
              return { body: success(outcome) }
            },
          )
          deps.manychat.record(caller.organizationId, deps.now(), response.status, result)
          return response
        } catch (error) {
          const refused = toAppError(error)
          deps.manychat.record(caller.organizationId, deps.now(), errorStatus(refused.kind), refused.message)
          throw error
        }
      })
      .post('/organization/create-contact', createLimit, async (c) => {
        const input = parseInput(createContactSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
        const now = isoTime(deps.now())
        return writeAndAnswer(
          c,
          store,
          deps.now(),
          (trx) => createContactFromApi(trx, c.get('caller'), input, now),
          ({ httpStatus, ...body }) => ({ body: success(body), status: httpStatus }),
        )
      })
      // Set, add or remove a contact's tags by name.
      .post('/contact/update-tags-external', async (c) => {
        const input = parseInput(updateTagsSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
        const now = isoTime(deps.now())
        return writeAndAnswer(
          c,
          store,
          deps.now(),
          (trx) => updateContactTags(trx, c.get('caller'), input, now),
          (result) => ({ body: success(result) }),
        )
      })
      // Lead status and/or pipeline stage, then smart automations.
      .patch('/contact/contact-status', async (c) => {
        const input = parseInput(contactStatusSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
        const now = isoTime(deps.now())
        return writeAndAnswer(
          c,
          store,
          deps.now(),
          (trx) => updateContactStatus(trx, c.get('caller'), input, now),
          (contact) => ({
            body: success(contact ? { data: contact } : { message: CANCELLED_MESSAGE }),
          }),
        )
      })
      // Lists, the export and the detail grow with the organization: they run in a read worker.
      .get('/contacts', async (c) => {
        const query = parseQuery(contactListQuery, c.req.queries())
        const page = await deps.reads.run('contactList', { caller: c.get('caller'), query, now: deps.now() })
        return c.json(success(page))
      })
      // Registered before /contacts/:id, which would otherwise take "export.csv" for an id.
      .get('/contacts/export.csv', async (c) => {
        const query = parseQuery(contactExportQuery, c.req.queries())
        const day = isoTime(deps.now()).slice(0, 10)
        const headers = {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="contacts-${day}.csv"`,
          'Cache-Control': 'no-store',
        }
        // Hono answers HEAD by dropping the GET's body without cancelling it, which would hold a
        // read worker until the export's time limit: a HEAD starts no export.
        if (c.req.method === 'HEAD') return c.body(null, 200, headers)
        // Bad filters are a JSON 400 here: the stream settles only once its first chunk is ready.
        const stream = await deps.reads.stream('contactsCsv', { caller: c.get('caller'), query, now: deps.now() }, (error) =>
          // The status line has gone out; all that is left is to cut the stream short and say why.
          deps.log({ level: 'error', msg: 'csv export failed', error: String(error), request_id: c.get('requestId') }),
        )
        return c.body(stream, 200, headers)
      })
      .get('/contacts/:id', async (c) => {
        const { id } = parseInput(contactIdParam, { id: c.req.param('id') })
        const query = parseQuery(contactDetailQuery, c.req.queries())
        const data = await deps.reads.run('contactDetail', { organizationId: c.get('caller').organizationId, id, query })
        return c.json(success({ data }))
      })
      // The contact's assigned setter (the one field it changes today).
      .patch('/contacts/:id', async (c) => {
        const { id } = parseInput(contactIdParam, { id: c.req.param('id') })
        const input = parseInput(updateContactSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
        const now = isoTime(deps.now())
        const body = await store.write(async (trx) => {
          const org = await callerOrganization(trx, c.get('caller'))
          if (isCancelled(org)) return success({ message: CANCELLED_MESSAGE })
          return success({
            message: 'Contact updated',
            data: await contactView(trx, await assignContact(trx, org, id, input.assigned_email, now)),
          })
        })
        return c.json(body)
      })
      .delete('/contacts/:id', async (c) => {
        const { id } = parseInput(contactIdParam, { id: c.req.param('id') })
        const { email } = parseQuery(archiveQuery, c.req.queries())
        const now = isoTime(deps.now())
        const body = await store.write(async (trx) => {
          const org = await callerOrganization(trx, c.get('caller'))
          if (isCancelled(org)) return success({ message: CANCELLED_MESSAGE })
          return success({ message: 'Contact archived', data: await archiveContact(trx, org, id, email, now) })
        })
        return c.json(body)
      })
      // The stages in order with counts and their first contacts.
      .get('/pipeline', async (c) => {
        const { limit } = parseQuery(boardQuery, c.req.queries())
        const stages = await deps.reads.run('pipeline', { organizationId: c.get('caller').organizationId, limit })
        return c.json(success({ data: { stages } }))
      })
  )
}
