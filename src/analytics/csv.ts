import { csvLine } from '../contacts/csv.ts'
import { NUMBER_FIELDS, type Numbers } from './report.ts'
import type { DailyReport, OutreachReport, SettersReport } from './service.ts'

// The .csv variants: the same rows as the JSON answers, then a `total` row, in the contacts
// export's format (UTF-8 with BOM, every field quoted, CRLF, formula-looking cells neutralised).
// The first column says what a row is, so a spreadsheet can filter the total out.

type Table = { header: string[]; rows: unknown[][] }

const values = (n: Numbers) => NUMBER_FIELDS.map((f) => n[f])
const ROWS_PER_CHUNK = 200

/** Streams the table: the header first, then chunks of rows as the client reads them. */
export function tableCsv({ header, rows }: Table): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let next = -1
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === -1) {
        controller.enqueue(encoder.encode(`\uFEFF${csvLine(header)}`))
        next = 0
        return
      }
      const chunk = rows.slice(next, next + ROWS_PER_CHUNK)
      next += ROWS_PER_CHUNK
      if (chunk.length > 0) controller.enqueue(encoder.encode(chunk.map(csvLine).join('')))
      if (next >= rows.length) controller.close()
    },
  })
}

export function settersTable(report: SettersReport): Table {
  return {
    header: ['row', 'user_id', 'email', 'name', ...NUMBER_FIELDS],
    rows: [
      ...report.setters.map((s) => [s.user_id === null ? 'unassigned' : 'setter', s.user_id, s.email, s.name, ...values(s)]),
      ['total', null, null, null, ...values(report.totals)],
    ],
  }
}

export function outreachTable(report: OutreachReport, field: string): Table {
  return {
    header: ['row', field, ...NUMBER_FIELDS],
    rows: [
      ...report.rows.map((r) => {
        const value = (r as unknown as Record<string, unknown>)[field] ?? null
        return [value === null ? 'none' : 'value', value, ...values(r)]
      }),
      ['total', null, ...values(report.totals)],
    ],
  }
}

export function dailyTable(report: DailyReport): Table {
  return {
    header: ['row', 'day', ...NUMBER_FIELDS],
    rows: [...report.days.map((d) => ['day', d.day, ...values(d)]), ['total', null, ...values(report.totals)]],
  }
}
