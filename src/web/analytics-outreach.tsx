import { NUMBER_FIELDS } from '../analytics/report.ts'
import type { OutreachGrouping } from '../analytics/schemas.ts'
import type { OutreachReport } from '../analytics/service.ts'
import { COLUMNS, shown } from './analytics-numbers.ts'
import { type PageQuery, pageHref } from './analytics-query.ts'
import { BarChart } from './charts.tsx'

// The /analytics page's outreach section: reply rate per message label (or reason) as a bar
// chart, and every number per value as a table.

export const GROUPINGS: Record<
  Exclude<OutreachGrouping, 'reason_label'>,
  { label: string; field: 'outreach_message_label' | 'outreach_reason' }
> = {
  message_label: { label: 'Message label', field: 'outreach_message_label' },
  reason: { label: 'Reason', field: 'outreach_reason' },
}

export function OutreachSection({ query, report }: { query: PageQuery; report: OutreachReport }) {
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
