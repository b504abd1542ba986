import { Hono, type Context } from 'hono'
import { parseQuery } from '../core/query.ts'
import { isoTime } from '../core/time.ts'
import { readTogether } from '../db/read.ts'
import type { ReadDb } from '../db/write.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { success } from '../http/respond.ts'
import { callerOrganization } from '../organizations/access.ts'
import type { Organization } from '../db/schema.ts'
import { dailyTable, outreachTable, settersTable, tableCsv } from './csv.ts'
import { dailyQuery, OUTREACH_GROUPINGS, outreachQuery, settersQuery } from './schemas.ts'
import { dailyReport, outreachReport, settersReport } from './service.ts'

/**
 * GET /analytics/setters, /outreach and /daily, each as JSON and as .csv with the same query.
 * Each answer is computed in one read (one snapshot), then sent; a bad query is a JSON 400.
 */
export function analyticsRoutes(deps: AppDeps) {
  const { store } = deps
  const read = <T>(c: Context<AppEnv>, work: (db: ReadDb, org: Organization, now: number) => Promise<T>) =>
    readTogether(store.db, async (db) => work(db, await callerOrganization(db, c.get('caller')), deps.now()))
  const csv = (c: Context<AppEnv>, name: string, body: ReadableStream<Uint8Array>) =>
    c.body(body, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="analytics-${name}-${isoTime(deps.now()).slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store',
    })

  return new Hono<AppEnv>()
    .get('/analytics/setters', async (c) => {
      const query = parseQuery(settersQuery, c.req.queries())
      return c.json(success({ data: await read(c, (db, org, now) => settersReport(db, org, query, now)) }))
    })
    .get('/analytics/setters.csv', async (c) => {
      const query = parseQuery(settersQuery, c.req.queries())
      return csv(c, 'setters', tableCsv(settersTable(await read(c, (db, org, now) => settersReport(db, org, query, now)))))
    })
    .get('/analytics/outreach', async (c) => {
      const query = parseQuery(outreachQuery, c.req.queries())
      return c.json(success({ data: await read(c, (db, org, now) => outreachReport(db, org, query, now)) }))
    })
    .get('/analytics/outreach.csv', async (c) => {
      const query = parseQuery(outreachQuery, c.req.queries())
      const report = await read(c, (db, org, now) => outreachReport(db, org, query, now))
      return csv(c, 'outreach', tableCsv(outreachTable(report, OUTREACH_GROUPINGS[query.by])))
    })
    .get('/analytics/daily', async (c) => {
      const query = parseQuery(dailyQuery, c.req.queries())
      return c.json(success({ data: await read(c, (db, org, now) => dailyReport(db, org, query, now)) }))
    })
    .get('/analytics/daily.csv', async (c) => {
      const query = parseQuery(dailyQuery, c.req.queries())
      return csv(c, 'daily', tableCsv(dailyTable(await read(c, (db, org, now) => dailyReport(db, org, query, now)))))
    })
}
