import { type Context, Hono } from 'hono'
import { reportCsv } from '../analytics/routes.ts'
import { AppError } from '../core/errors.ts'
import { parseQuery } from '../core/query.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { DailySection } from './analytics-daily.tsx'
import { GROUPINGS, OutreachSection } from './analytics-outreach.tsx'
import { type PageQuery, pageQuery, rangeOf } from './analytics-query.ts'
import { RangePicker } from './analytics-range.tsx'
import { SettersTable } from './analytics-setters.tsx'
import { Notice, renderPage } from './layout.tsx'

// GET /analytics: the numbers of GET /api/v1/analytics/* for the signed-in person's organization,
// from the same services in a read worker. Everything is a link or a GET form: sorting is done on
// the server, so the page needs no script. Its pieces: the query (analytics-query.ts), the range
// picker, the setters table, the daily and the outreach sections (analytics-*.tsx).

function errorText(e: AppError): string {
  return `${e.message}${e.details?.length ? `: ${e.details.map((d) => `${d.field} ${d.message}`).join('; ')}` : ''}`
}

/** GET /analytics (the page) and its CSV downloads, the API's .csv answers for the signed-in person's organization. */
export function analyticsPages(deps: AppDeps) {
  async function render(c: Context<AppEnv>) {
    const org = c.get('member').organization
    let query: PageQuery = { by: 'message_label' }
    let error: string | undefined
    let data: Awaited<ReturnType<typeof deps.reads.run<'webAnalytics'>>> | undefined
    try {
      // A GET form sends its empty fields too: an empty field is "not given".
      const given = Object.fromEntries(Object.entries(c.req.queries()).filter(([, values]) => values.some((value) => value.trim())))
      query = parseQuery(pageQuery, given)
      const now = deps.now()
      data = await deps.reads.run('webAnalytics', { organizationId: org.id, range: rangeOf(query, org.timezone, now), by: query.by, now })
    } catch (e) {
      if (!(e instanceof AppError) || e.kind !== 'validation') throw e
      error = errorText(e)
    }
    const range = data ? `?from=${data.setters.from}&to=${data.setters.to}` : ''
    return renderPage(
      c,
      { title: 'Analytics', current: 'Analytics', status: error ? 400 : 200 },
      <>
        <h1>Analytics</h1>
        <RangePicker query={query} report={data?.setters} />
        {error ? <Notice kind="error">{error}</Notice> : null}
        {data ? (
          <>
            <p class="meta">
              {data.setters.from} to {data.setters.to}, calendar days in {data.setters.timezone}. Outreach counts on the day it was
              recorded; its replies and bookings count with it. A dash means there is nothing to divide by. Definitions: docs/analytics.md.
            </p>
            <section aria-labelledby="setters-heading">
              <h2 id="setters-heading">Setters</h2>
              <SettersTable query={query} report={data.setters} />
            </section>
            <DailySection report={data.daily} />
            <OutreachSection query={query} report={data.outreach} />
            <section aria-labelledby="csv-heading">
              <h2 id="csv-heading">Download</h2>
              <ul>
                <li>
                  <a href={`/analytics/setters.csv${range}`} download>
                    Setters as CSV
                  </a>
                </li>
                <li>
                  <a href={`/analytics/daily.csv${range}`} download>
                    Days as CSV
                  </a>
                </li>
                <li>
                  <a href={`/analytics/outreach.csv${range}&by=${query.by}`} download>
                    By {GROUPINGS[query.by].label.toLowerCase()} as CSV
                  </a>
                </li>
              </ul>
            </section>
          </>
        ) : null}
      </>,
    )
  }

  const organizationId = (c: Context<AppEnv>) => c.get('member').organization.id
  return new Hono<AppEnv>()
    .get('/analytics', (c) => render(c))
    .get('/analytics/setters.csv', (c) => reportCsv(deps, c, 'setters', organizationId(c)))
    .get('/analytics/outreach.csv', (c) => reportCsv(deps, c, 'outreach', organizationId(c)))
    .get('/analytics/daily.csv', (c) => reportCsv(deps, c, 'daily', organizationId(c)))
}
