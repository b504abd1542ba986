import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { parseQuery } from '../http/query.ts'
import { parseInput } from '../http/validate.ts'
import { callerOrganization, CANCELLED_MESSAGE, isCancelled } from '../organizations/access.ts'
import { archiveContact } from './archive.ts'
import { archiveQuery, contactDetailQuery, contactExportQuery, contactIdParam, contactListQuery } from './schemas.ts'

/** GET /contacts, GET /contacts/export.csv, GET /contacts/{id}, DELETE /contacts/{id}. */
export function contactListRoutes(deps: AppDeps) {
  const { store } = deps
  return (
    new Hono<AppEnv>()
      // Lists, the export and the detail grow with the organization: they run in a read worker.
      .get('/contacts', deps.auth, async (c) => {
        const query = parseQuery(c, contactListQuery)
        const page = await deps.reads.run('contactList', { caller: c.get('caller'), query, now: deps.now() })
        return c.json({ status: 'success', ...page })
      })
      // Registered before /contacts/:id, which would otherwise take "export.csv" for an id.
      .get('/contacts/export.csv', deps.auth, async (c) => {
        const query = parseQuery(c, contactExportQuery)
        const day = new Date(deps.now()).toISOString().slice(0, 10)
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
      .get('/contacts/:id', deps.auth, async (c) => {
        const { id } = parseInput(contactIdParam, { id: c.req.param('id') })
        const query = parseQuery(c, contactDetailQuery)
        const data = await deps.reads.run('contactDetail', { organizationId: c.get('caller').organizationId, id, query })
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
