import type { Numbers } from '../analytics/report.ts'
import type { DailyReport } from '../analytics/service.ts'
import { shown } from './analytics-numbers.ts'
import { Legend, LineChart, type Series } from './charts.tsx'

// The /analytics page's daily section: outreach, replies and bookings per day as a line chart,
// and the same numbers as a table.

const DAILY: (Omit<Series, 'values'> & { key: keyof Numbers })[] = [
  { key: 'outreach_count', name: 'Outreach', colour: '#1f5fbf' },
  { key: 'replied_count', name: 'Replied', colour: '#1e6b37', dash: '7 4' },
  { key: 'booked_count', name: 'Booked', colour: '#b34700', dash: '2 3' },
]

export function DailySection({ report }: { report: DailyReport }) {
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
