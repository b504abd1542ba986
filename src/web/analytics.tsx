import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { NUMBER_FIELDS, type Numbers } from '../analytics/report.ts'
import { reportCsv } from '../analytics/routes.ts'
import { day, type OutreachGrouping } from '../analytics/schemas.ts'
import type { DailyReport, OutreachReport, SetterRow, SettersReport } from '../analytics/service.ts'
import { AppError } from '../core/errors.ts'
import { parseQuery, queryParams } from '../core/query.ts'
import { addCalendarDays, calendarDay, dayText } from '../core/time-zone.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { BarChart, Legend, LineChart, type Series } from './charts.tsx'
import { Notice, renderPage } from './layout.tsx'

// GET /analytics: the numbers of GET /api/v1/analytics/* for the signed-in person's organization,
// from the same services in a read worker. Everything is a link or a GET form: sorting is done on
// the server, so the page needs no script.

const PRESETS = ['7', '30', '90'] as const
const SORTS = ['setter', ...NUMBER_FIELDS] as const
type Sort = (typeof SORTS)[number]

const pageQuery = queryParams({
  days: v.optional(v.picklist(PRESETS, 'must be 7, 30 or 90')),
  from: v.optional(day),
  to: v.optional(day),
  sort: v.optional(v.picklist(SORTS, `must be one of ${SORTS.join(', ')}`)),
  dir: v.optional(v.picklist(['asc', 'desc'], 'must be asc or desc')),
  by: v.optional(v.picklist(['message_label', 'reason'], 'must be message_label or reason'), 'message_label'),
})
type PageQuery = v.InferOutput<typeof pageQuery>

/** The columns of the setters table, in order, with what their header says. */
const COLUMNS: { key: Sort; label: string }[] = [
  { key: 'setter', label: 'Setter' },
  { key: 'outreach_count', label: 'Outreach' },
  { key: 'replied_count', label: 'Replied' },
  { key: 'reply_rate', label: 'Reply rate' },
  { key: 'booked_count', label: 'Booked' },
  { key: 'booking_rate', label: 'Booking rate' },
  { key: 'follow_ups_due', label: 'Follow-ups due' },
  { key: 'follow_ups_done_on_time', label: 'Done on time' },
  { key: 'follow_up_consistency', label: 'Follow-up consistency' },
  { key: 'median_hours_to_first_reply', label: 'Median hours to first reply' },
  { key: 'inbound_count', label: 'Inbound' },
]

const RATES = new Set<Sort>(['reply_rate', 'booking_rate', 'follow_up_consistency'])

/** A number as the page shows it: rates as percentages (exact: the API rounds to 4 decimals), null as a dash. */
function shown(key: keyof Numbers, value: number | null): string {
  if (value === null) return '—'
  if (RATES.has(key)) return `${Number((value * 100).toFixed(2))}%`
  if (key === 'median_hours_to_first_reply') return `${value} h`
  return String(value)
}

const setterName = (s: SetterRow) => (s.user_id === null ? 'Unassigned' : (s.name ?? s.email ?? s.user_id))

/** Sorted on the server: nulls last either way, ties in the API's order (members by email, unassigned last). */
function sortSetters(rows: SetterRow[], sort: Sort | undefined, dir: 'asc' | 'desc'): SetterRow[] {
  if (sort === undefined) return rows
  const sign = dir === 'asc' ? 1 : -1
  const value = (s: SetterRow) => (sort === 'setter' ? (s.user_id === null ? null : setterName(s).toLowerCase()) : s[sort])
  return [...rows].sort((a, b) => {
    const [x, y] = [value(a), value(b)]
    if (x === y) return 0
    if (x === null) return 1
    if (y === null) return -1
    return (x < y ? -1 : 1) * sign
  })
}

/** A link to this page with the query changed; range, sort and grouping carry over. */
function pageHref(query: PageQuery, change: Partial<Record<keyof PageQuery, string | undefined>>): string {
  const params = new URLSearchParams()
  const next: Record<string, string | undefined> = { ...query, ...change }
  if (next.by === 'message_label') next.by = undefined // the default
  for (const name of ['days', 'from', 'to', 'sort', 'dir', 'by'] as const) if (next[name] !== undefined) params.set(name, next[name])
  const text = params.toString()
  return text ? `/analytics?${text}` : '/analytics'
}

/** The range to ask for: from/to when given (the custom form), else the last 7, 30 or 90 days up to today. */
function rangeOf(query: PageQuery, timezone: string, now: number): { from?: string; to?: string } {
  if (query.from !== undefined || query.to !== undefined) return { from: query.from, to: query.to }
  const today = calendarDay(timezone, now)
  return { from: dayText(addCalendarDays(today, 1 - Number(query.days ?? '30'))), to: dayText(today) }
}

function errorText(e: AppError): string {
  return `${e.message}${e.details?.length ? `: ${e.details.map((d) => `${d.field} ${d.message}`).join('; ')}` : ''}`
}

const DAILY: (Omit<Series, 'values'> & { key: keyof Numbers })[] = [
  { key: 'outreach_count', name: 'Outreach', colour: '#1f5fbf' },
  { key: 'replied_count', name: 'Replied', colour: '#1e6b37', dash: '7 4' },
  { key: 'booked_count', name: 'Booked', colour: '#b34700', dash: '2 3' },
]

const GROUPINGS: Record<
  Exclude<OutreachGrouping, 'reason_label'>,
  { label: string; field: 'outreach_message_label' | 'outreach_reason' }
> = {
  message_label: { label: 'Message label', field: 'outreach_message_label' },
  reason: { label: 'Reason', field: 'outreach_reason' },
}

function RangePicker({ query, report }: { query: PageQuery; report: { from: string; to: string } | undefined }) {
  const custom = query.from !== undefined || query.to !== undefined
  return (
    <section class="filters range" aria-labelledby="range-heading">
      <h2 id="range-heading" class="visually-hidden">
        Range
      </h2>
      <ul class="presets">
        {PRESETS.map((days) => (
          <li>
            <a
              class="button secondary"
              href={pageHref(query, { days, from: undefined, to: undefined })}
              aria-current={!custom && (query.days ?? '30') === days ? 'true' : undefined}
            >
              Last {days} days
            </a>
          </li>
        ))}
      </ul>
      <form method="get" action="/analytics" class="custom">
        {query.sort ? <input type="hidden" name="sort" value={query.sort} /> : null}
        {query.dir ? <input type="hidden" name="dir" value={query.dir} /> : null}
        {query.by !== 'message_label' ? <input type="hidden" name="by" value={query.by} /> : null}
        <div class="field">
          <label for="range-from">From</label>
          <input id="range-from" name="from" type="date" value={report?.from ?? query.from ?? ''} />
        </div>
        <div class="field">
          <label for="range-to">To</label>
          <input id="range-to" name="to" type="date" value={report?.to ?? query.to ?? ''} />
        </div>
        <button type="submit">Show range</button>
      </form>
    </section>
  )
}

function SettersTable({ query, report }: { query: PageQuery; report: SettersReport }) {
  const dir = query.dir ?? (query.sort === 'setter' ? 'asc' : 'desc')
  return (
    <div class="table-wrap sticky">
      <table id="setters">
        <caption class="visually-hidden">Setters: select a column heading to sort by it</caption>
        <thead>
          <tr>
            {COLUMNS.map(({ key, label }) => {
              const sorted = query.sort === key
              const nextDir = sorted ? (dir === 'asc' ? 'desc' : 'asc') : key === 'setter' ? 'asc' : 'desc'
              return (
                <th scope="col" aria-sort={sorted ? (dir === 'asc' ? 'ascending' : 'descending') : undefined}>
                  <a href={pageHref(query, { sort: key, dir: nextDir })}>
                    {label}
                    {sorted ? <span aria-hidden="true">{dir === 'asc' ? ' ▲' : ' ▼'}</span> : null}
                  </a>
                </th>
              )
            })}
          </tr>
        </thead>
        <tbody>
          {sortSetters(report.setters, query.sort, dir).map((s) => (
            <tr>
              <th scope="row">
                {setterName(s)}
                {s.name && s.email ? <span class="meta block">{s.email}</span> : null}
              </th>
              {NUMBER_FIELDS.map((key) => (
                <td class="num">{shown(key, s[key])}</td>
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">All setters</th>
            {NUMBER_FIELDS.map((key) => (
              <td class="num">{shown(key, report.totals[key])}</td>
            ))}
          </tr>
        </tfoot>
      </table>
    </div>
  )
}

function DailySection({ report }: { report: DailyReport }) {
  const series = DAILY.map((d) => ({ ...d, values: report.days.map((row) => row[d.key] as number) }))
  const busiest = report.days.reduce((best, row) => (row.outreach_count > best.outreach_count ? row : best), report.days[0]!)
  const t = report.totals
  const desc =
    `From ${report.from} to ${report.to}, by the day of the outreach: ${t.outreach_count} outreach, ${t.replied_count} replied, ` +
    `${t.booked_count} booked.${busiest.outreach_count > 0 ? ` Most outreach on ${busiest.day} (${busiest.outreach_count}).` : ''}`
  return (
    <section aria-labelledby="daily-heading">
      <h2 id="daily-heading">Outreach, replies and bookings per day</h2>
      <p class="meta">Replies and bookings count on the day of their outreach.</p>
      <LineChart
        id="daily-chart"
        title="Outreach, replies and bookings per day"
        desc={desc}
        days={report.days.map((d) => d.day)}
        series={series}
      />
      <Legend series={series} />
      <details>
        <summary>The daily numbers as a table</summary>
        <div class="table-wrap sticky">
          <table id="daily">
            <caption class="visually-hidden">Outreach, replies and bookings per day</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {DAILY.map((d) => (
                  <th scope="col">{d.name}</th>
                ))}
                <th scope="col">Inbound</th>
              </tr>
            </thead>
            <tbody>
              {report.days.map((row) => (
                <tr>
                  <th scope="row">{row.day}</th>
                  {DAILY.map((d) => (
                    <td class="num">{shown(d.key, row[d.key])}</td>
                  ))}
                  <td class="num">{row.inbound_count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  )
}

function OutreachSection({ query, report }: { query: PageQuery; report: OutreachReport }) {
  const grouping = GROUPINGS[query.by]
  const label = (row: OutreachReport['rows'][number]) => row[grouping.field] ?? `(no ${grouping.label.toLowerCase()})`
  const withOutreach = report.rows.filter((row) => row.outreach_count > 0)
  const bars = withOutreach.map((row) => ({
    label: label(row),
    value: row.reply_rate ?? 0,
    text: `${shown('reply_rate', row.reply_rate)} (${row.replied_count} of ${row.outreach_count})`,
  }))
  const best = withOutreach.reduce<(typeof withOutreach)[number] | undefined>(
    (b, r) => (!b || (r.reply_rate ?? 0) > (b.reply_rate ?? 0) ? r : b),
    undefined,
  )
  const desc = best
    ? `${withOutreach.length} ${grouping.label.toLowerCase()} values with outreach; the highest reply rate is ${label(best)} at ${shown('reply_rate', best.reply_rate)}.`
    : 'No outreach in this range.'
  return (
    <section aria-labelledby="outreach-heading">
      <h2 id="outreach-heading">Reply rate by {grouping.label.toLowerCase()}</h2>
      <nav aria-label="Group outreach by" class="presets">
        <ul class="presets">
          {(Object.keys(GROUPINGS) as (keyof typeof GROUPINGS)[]).map((by) => (
            <li>
              <a class="button secondary" href={pageHref(query, { by })} aria-current={query.by === by ? 'true' : undefined}>
                By {GROUPINGS[by].label.toLowerCase()}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {bars.length > 0 ? (
        <BarChart id="outreach-chart" title={`Reply rate by ${grouping.label.toLowerCase()}`} desc={desc} bars={bars} colour="#1f5fbf" />
      ) : (
        <p class="meta">No outreach in this range.</p>
      )}
      <details>
        <summary>Reply rate by {grouping.label.toLowerCase()} as a table</summary>
        <div class="table-wrap sticky">
          <table id="outreach">
            <caption class="visually-hidden">Numbers by {grouping.label.toLowerCase()}</caption>
            <thead>
              <tr>
                <th scope="col">{grouping.label}</th>
                {COLUMNS.slice(1).map((c) => (
                  <th scope="col">{c.label}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.rows.map((row) => (
                <tr>
                  <th scope="row">{label(row)}</th>
                  {NUMBER_FIELDS.map((key) => (
                    <td class="num">{shown(key, row[key])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  )
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
