import { Hono } from 'hono'
import { parseQuery } from '../core/query.ts'
import { parseInput } from '../core/validate.ts'
import { readTogether } from '../db/read.ts'
import { readJsonObject } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { rateLimit } from '../http/rate-limit.ts'
import { bucketsFor } from '../http/shared-buckets.ts'
import { callerOrganization, CANCELLED_MESSAGE, isCancelled } from '../organizations/access.ts'
import { archiveContact } from './archive.ts'
import { updateContactStatus } from './contact-status.ts'
import { createContactFromApi } from './create-contact.ts'
import { contactsCsv } from './csv.ts'
import { handleDefaultReply } from './default-reply.ts'
import { contactDetail } from './detail.ts'
import { resolveFilter } from './filter.ts'
import { contactPage, cursorPosition, nextCursor } from './page.ts'
import { pipelineBoard } from './pipeline-board.ts'
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
  updateTagsSchema,
} from './schemas.ts'
import { updateContactTags } from './update-tags.ts'
import { contactViews } from './view.ts'
import { isoTime } from '../core/time.ts'
import { success } from '../http/respond.ts'

/** Rows per read while streaming an export: each page is one short read. */
export const EXPORT_PAGE_SIZE = 500

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
      .post('/contact/default-reply', async (c) => {
        const input = parseInput(defaultReplySchema, await readJsonObject(c, deps.config.bodyLimitBytes))
        const caller = c.get('caller')
        const now = isoTime(deps.now())
        const outcome = await store.write((trx) => handleDefaultReply(trx, caller, input, now))
        return c.json(success(outcome))
      })
      .post('/organization/create-contact', createLimit, async (c) => {
        const input = parseInput(createContactSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
        const now = isoTime(deps.now())
        const { httpStatus, ...body } = await store.write((trx) => createContactFromApi(trx, c.get('caller'), input, now))
        return c.json(success(body), httpStatus)
      })
      // Set, add or remove a contact's tags by name.
      .post('/contact/update-tags-external', async (c) => {
        const input = parseInput(updateTagsSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
        const now = isoTime(deps.now())
        return c.json(success(await store.write((trx) => updateContactTags(trx, c.get('caller'), input, now))))
      })
      // Lead status and/or pipeline stage, then smart automations.
      .patch('/contact/contact-status', async (c) => {
        const input = parseInput(contactStatusSchema, await readJsonObject(c, deps.config.bodyLimitBytes))
        const now = isoTime(deps.now())
        const contact = await store.write((trx) => updateContactStatus(trx, c.get('caller'), input, now))
        return c.json(success(contact ? { data: contact } : { message: CANCELLED_MESSAGE }))
      })
      .get('/contacts', async (c) => {
        const query = parseQuery(contactListQuery, c.req.queries())
        const body = await readTogether(store.db, async (db) => {
          const org = await callerOrganization(db, c.get('caller'))
          const filter = await resolveFilter(db, org, query, deps.now())
          const page = await contactPage(db, org.id, filter, cursorPosition(filter, query.cursor), query.limit)
          return success({ data: await contactViews(db, page.contacts), next_cursor: nextCursor(filter, page.next) })
        })
        return c.json(body)
      })
      // Registered before /contacts/:id, which would otherwise take "export.csv" for an id.
      .get('/contacts/export.csv', async (c) => {
        const query = parseQuery(contactExportQuery, c.req.queries())
        const caller = c.get('caller')
        // Bad filters are a JSON 400 here, before the first byte of CSV goes out.
        const filter = await readTogether(store.db, async (db) => resolveFilter(db, await callerOrganization(db, caller), query, deps.now()))
        const stream = contactsCsv((after) =>
          readTogether(store.db, async (db) => {
            const page = await contactPage(db, caller.organizationId, filter, after, EXPORT_PAGE_SIZE)
            return { views: await contactViews(db, page.contacts), next: page.next }
          }).catch((error: unknown) => {
            // The status line has gone out; all that is left is to cut the stream short and say why.
            deps.log({ level: 'error', msg: 'csv export failed', error: String(error), request_id: c.get('requestId') })
            throw error
          }),
        )
        const day = isoTime(deps.now()).slice(0, 10)
        return c.body(stream, 200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="contacts-${day}.csv"`,
          'Cache-Control': 'no-store',
        })
      })
      .get('/contacts/:id', async (c) => {
        const { id } = parseInput(contactIdParam, { id: c.req.param('id') })
        const query = parseQuery(contactDetailQuery, c.req.queries())
        const data = await readTogether(store.db, (db) => contactDetail(db, c.get('caller').organizationId, id, query))
        return c.json(success({ data }))
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
        const stages = await readTogether(store.db, (db) => pipelineBoard(db, c.get('caller').organizationId, limit))
        return c.json(success({ data: { stages } }))
      })
  )
}
