import { type Context, Hono } from 'hono'
import { parseQuery } from '../core/query.ts'
import { isoTime } from '../core/time.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { success } from '../http/respond.ts'
import { dailyTable, outreachTable, settersTable, tableCsv } from './csv.ts'
import { dailyQuery, OUTREACH_GROUPINGS, outreachQuery, settersQuery } from './schemas.ts'

export type ReportName = 'setters' | 'outreach' | 'daily'

/**
 * One report as CSV for an organization, with the request's query: the API's .csv variants and
 * the web app's download links are this one function, so they send the same bytes. The report is
 * read (in a read worker) before the first byte, so a bad query is still a 400.
 */
export async function reportCsv(deps: AppDeps, c: Context<AppEnv>, name: ReportName, organizationId: string): Promise<Response> {
  const now = deps.now()
  const queries = c.req.queries()
  let body: ReadableStream<Uint8Array>
  if (name === 'setters') {
    const query = parseQuery(settersQuery, queries)
    body = tableCsv(settersTable(await deps.reads.run('analyticsSetters', { organizationId, query, now })))
  } else if (name === 'outreach') {
    const query = parseQuery(outreachQuery, queries)
    const report = await deps.reads.run('analyticsOutreach', { organizationId, query, now })
    body = tableCsv(outreachTable(report, OUTREACH_GROUPINGS[query.by]))
  } else {
    const query = parseQuery(dailyQuery, queries)
    body = tableCsv(dailyTable(await deps.reads.run('analyticsDaily', { organizationId, query, now })))
  }
  return c.body(body, 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="analytics-${name}-${isoTime(now).slice(0, 10)}.csv"`,
    'Cache-Control': 'no-store',
  })
}

/**
 * GET /analytics/setters, /outreach and /daily, each as JSON and as .csv with the same query.
 * Each report is one read in a read worker (one snapshot, off the write path).
 */
export function analyticsRoutes(deps: AppDeps) {
  const organizationId = (c: Context<AppEnv>) => c.get('caller').organizationId
  const args = <Q>(c: Context<AppEnv>, query: Q) => ({ organizationId: organizationId(c), query, now: deps.now() })

  return new Hono<AppEnv>()
    .get('/analytics/setters', async (c) => {
      const query = parseQuery(settersQuery, c.req.queries())
      return c.json(success({ data: await deps.reads.run('analyticsSetters', args(c, query)) }))
    })
    .get('/analytics/setters.csv', (c) => reportCsv(deps, c, 'setters', organizationId(c)))
    .get('/analytics/outreach', async (c) => {
      const query = parseQuery(outreachQuery, c.req.queries())
      return c.json(success({ data: await deps.reads.run('analyticsOutreach', args(c, query)) }))
    })
    .get('/analytics/outreach.csv', (c) => reportCsv(deps, c, 'outreach', organizationId(c)))
    .get('/analytics/daily', async (c) => {
      const query = parseQuery(dailyQuery, c.req.queries())
      return c.json(success({ data: await deps.reads.run('analyticsDaily', args(c, query)) }))
    })
    .get('/analytics/daily.csv', (c) => reportCsv(deps, c, 'daily', organizationId(c)))
}
