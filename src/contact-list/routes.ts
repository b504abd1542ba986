import { Hono } from 'hono'
import { contactViews } from '../contacts/view.ts'
import { readTogether } from '../db/read.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { parseQuery } from '../core/query.ts'
import { parseInput } from '../core/validate.ts'
import { callerOrganization, CANCELLED_MESSAGE, isCancelled } from '../organizations/access.ts'
import { archiveContact } from '../contacts/archive.ts'
import { contactsCsv } from '../contacts/csv.ts'
import { contactDetail } from '../contacts/detail.ts'
import { resolveFilter } from '../contacts/filter.ts'
import { contactPage, cursorPosition, nextCursor } from '../contacts/page.ts'
import { archiveQuery, contactDetailQuery, contactExportQuery, contactIdParam, contactListQuery } from './schemas.ts'

/** Rows per read while streaming an export: each page is one short read. */
export const EXPORT_PAGE_SIZE = 500

/** GET /contacts, GET /contacts/export.csv, GET /contacts/{id}, DELETE /contacts/{id}. */
export function contactListRoutes(deps: AppDeps) {
  const { store } = deps
  return (
    new Hono<AppEnv>()
      .get('/contacts', deps.auth, async (c) => {
        const query = parseQuery(c, contactListQuery)
        const body = await readTogether(store.db, async (db) => {
          const org = await callerOrganization(db, c.get('caller'))
          const filter = await resolveFilter(db, org, query, deps.now())
          const page = await contactPage(db, org.id, filter, cursorPosition(filter, query.cursor), query.limit)
          return { status: 'success', data: await contactViews(db, page.contacts), next_cursor: nextCursor(filter, page.next) }
        })
        return c.json(body)
      })
      // Registered before /contacts/:id, which would otherwise take "export.csv" for an id.
      .get('/contacts/export.csv', deps.auth, async (c) => {
        const query = parseQuery(c, contactExportQuery)
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
        const day = new Date(deps.now()).toISOString().slice(0, 10)
        return c.body(stream, 200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="contacts-${day}.csv"`,
          'Cache-Control': 'no-store',
        })
      })
      .get('/contacts/:id', deps.auth, async (c) => {
        const { id } = parseInput(contactIdParam, { id: c.req.param('id') })
        const query = parseQuery(c, contactDetailQuery)
        const data = await readTogether(store.db, (db) => contactDetail(db, c.get('caller').organizationId, id, query))
        return c.json({ status: 'success', data })
      })
      .delete('/contacts/:id', deps.auth, async (c) => {
        const { id } = parseInput(contactIdParam, { id: c.req.param('id') })
        const { email } = parseQuery(c, archiveQuery)
        const now = new Date(deps.now()).toISOString()
        const body = await store.write(async (trx) => {
          const org = await callerOrganization(trx, c.get('caller'))
          if (isCancelled(org)) return { status: 'success', message: CANCELLED_MESSAGE }
          return { status: 'success', message: 'Contact archived', data: await archiveContact(trx, org, id, email, now) }
        })
        return c.json(body)
      })
  )
}
