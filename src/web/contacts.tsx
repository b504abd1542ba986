import { Hono } from 'hono'
import { html } from 'hono/html'
import { contactExportQuery } from '../contacts/schemas.ts'
import type { ContactView } from '../contacts/view.ts'
import { AppError } from '../core/errors.ts'
import { parseQuery } from '../core/query.ts'
import { isoTime } from '../core/time.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { activeStageNames } from '../pipeline/service.ts'
import { Filters, filterSearch, type ListQuery, parseListQuery } from './filters.tsx'
import { Notice, renderPage } from './layout.tsx'
import { agoTime } from './pieces.tsx'

/**
 * One row of the list (50 a page), an `html` template like the board's cards (src/web/board.tsx
 * says why), byte for byte the markup the JSX version made.
 */
export function contactRow(contact: ContactView, now: number) {
  const next = contact.follow_up_needed && contact.next_follow_up_at
  return html`<tr><th scope="row"><a href="/contacts/${contact.id}">@${contact.username}</a></th><td>${contact.contact_type}</td>\
<td>${contact.lead_status}</td><td>${contact.pipeline_stage ?? '—'}</td><td>${contact.tags.map((t) => t.name).join(', ')}</td>\
<td>${contact.last_response_at ? agoTime(contact.last_response_at, now) : '—'}</td>\
<td>${next ? html`<time datetime="${next}">${next.slice(0, 10)}</time>` : '—'}</td></tr>`
}

/** GET /contacts (the list with GET /api/v1/contacts' filters) and its CSV export. */
export function contactPages(deps: AppDeps) {
  const { store } = deps
  return new Hono<AppEnv>()
    .get('/contacts', async (c) => {
      const member = c.get('member')
      const org = member.organization
      const now = deps.now()
      let query: ListQuery = { limit: 50 }
      let error: string | undefined
      let page: { items: ContactView[]; next: string | null } = { items: [], next: null }
      const stages = await activeStageNames(store.db, org.id)
      try {
        query = parseListQuery(c.req.queries())
        page = await deps.reads.run('webContacts', { organizationId: org.id, query, now })
      } catch (e) {
        if (!(e instanceof AppError) || e.kind !== 'validation') throw e
        error = `${e.message}${e.details?.length ? `: ${e.details.map((d) => `${d.field} ${d.message}`).join('; ')}` : ''}`
      }
      const search = filterSearch(query)
      return renderPage(
        c,
        { title: 'Contacts', current: 'Contacts', status: error ? 400 : 200 },
        <>
          <h1>Contacts</h1>
          <Filters action="/contacts" query={query} stages={stages} full />
          <p>
            <a href={`/contacts/export.csv${search}`} download>
              Export these contacts as CSV
            </a>
          </p>
          <div id="live">
            {error ? <Notice kind="error">{error}</Notice> : null}
            <div class="table-wrap">
              <table>
                <caption class="visually-hidden">Contacts</caption>
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Type</th>
                    <th scope="col">Lead status</th>
                    <th scope="col">Stage</th>
                    <th scope="col">Tags</th>
                    <th scope="col">Last reply</th>
                    <th scope="col">Next follow-up</th>
                  </tr>
                </thead>
                <tbody id="contact-rows">{page.items.map((contact) => contactRow(contact, now))}</tbody>
              </table>
            </div>
            {page.items.length === 0 && !error ? <p class="meta">No contacts match.</p> : null}
            {page.next ? (
              <p class="more">
                <a href={`/contacts${filterSearch(query, { cursor: page.next })}`} data-more="contact-rows">
                  Show more contacts
                </a>
              </p>
            ) : null}
          </div>
        </>,
      )
    })
    .get('/contacts/export.csv', async (c) => {
      const org = c.get('member').organization
      const given: Record<string, string[]> = {}
      for (const [name, values] of Object.entries(c.req.queries()))
        if (values.some((v) => v.trim())) given[name] = values.filter((v) => v.trim())
      const query = parseQuery(contactExportQuery, given)
      // The API's export in a read worker: the same columns and formula-safe cells; a bad filter is a 400 before any byte.
      const stream = await deps.reads.stream('webContactsCsv', { organizationId: org.id, query, now: deps.now() }, (error) =>
        deps.log({ level: 'error', msg: 'csv export failed', error: String(error), request_id: c.get('requestId') }),
      )
      return c.body(stream, 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="contacts-${isoTime(deps.now()).slice(0, 10)}.csv"`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      })
    })
}
