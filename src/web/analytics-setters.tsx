import { NUMBER_FIELDS } from '../analytics/report.ts'
import type { SetterRow, SettersReport } from '../analytics/service.ts'
import { COLUMNS, shown } from './analytics-numbers.ts'
import { type PageQuery, pageHref, type Sort } from './analytics-query.ts'

// The /analytics page's setters table, sorted on the server by the column heading's link.

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

export function SettersTable({ query, report }: { query: PageQuery; report: SettersReport }) {
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
