import { type Context, Hono } from 'hono'
import { parseQuery } from '../core/query.ts'
import { isoTime } from '../core/time.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { success } from '../http/respond.ts'
import { dailyTable, outreachTable, settersTable, tableCsv } from './csv.ts'
import { dailyQuery, OUTREACH_GROUPINGS, outreachQuery, settersQuery } from './schemas.ts'

/**
 * GET /analytics/setters, /outreach and /daily, each as JSON and as .csv with the same query.
 * Each report is one read in a read worker (one snapshot, off the write path); the CSV is made
 * from it here, so a bad query is still a JSON 400 before the first byte of CSV.
 */
export function analyticsRoutes(deps: AppDeps) {
  const args = <Q>(c: Context<AppEnv>, query: Q) => ({ caller: c.get('caller'), query, now: deps.now() })
  const csv = (c: Context<AppEnv>, name: string, body: ReadableStream<Uint8Array>) =>
    c.body(body, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="analytics-${name}-${isoTime(deps.now()).slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store',
    })

  return new Hono<AppEnv>()
    .get('/analytics/setters', async (c) => {
      const query = parseQuery(settersQuery, c.req.queries())
      return c.json(success({ data: await deps.reads.run('analyticsSetters', args(c, query)) }))
    })
    .get('/analytics/setters.csv', async (c) => {
      const query = parseQuery(settersQuery, c.req.queries())
      return csv(c, 'setters', tableCsv(settersTable(await deps.reads.run('analyticsSetters', args(c, query)))))
    })
    .get('/analytics/outreach', async (c) => {
      const query = parseQuery(outreachQuery, c.req.queries())
      return c.json(success({ data: await deps.reads.run('analyticsOutreach', args(c, query)) }))
    })
    .get('/analytics/outreach.csv', async (c) => {
      const query = parseQuery(outreachQuery, c.req.queries())
      const report = await deps.reads.run('analyticsOutreach', args(c, query))
      return csv(c, 'outreach', tableCsv(outreachTable(report, OUTREACH_GROUPINGS[query.by])))
    })
    .get('/analytics/daily', async (c) => {
      const query = parseQuery(dailyQuery, c.req.queries())
      return c.json(success({ data: await deps.reads.run('analyticsDaily', args(c, query)) }))
    })
    .get('/analytics/daily.csv', async (c) => {
      const query = parseQuery(dailyQuery, c.req.queries())
      return csv(c, 'daily', tableCsv(dailyTable(await deps.reads.run('analyticsDaily', args(c, query)))))
    })
}
