import type { Position } from '../core/cursor.ts'
import type { ContactView } from './view.ts'

// CSV as spreadsheets open it cleanly: UTF-8 with a byte order mark (Excel needs it to read UTF-8),
// every field quoted, CRLF line ends (RFC 4180), and cells that a spreadsheet would run as a formula
// neutralised with a leading single quote (OWASP's advice against CSV injection).

const COLUMNS: [string, (c: ContactView) => unknown][] = [
  ['id', (c) => c.id],
  ['username', (c) => c.username],
  ['manychat_id', (c) => c.manychat_id],
  ['ig_id', (c) => c.ig_id],
  ['contact_type', (c) => c.contact_type],
  ['lead_status', (c) => c.lead_status],
  ['pipeline_stage', (c) => c.pipeline_stage],
  ['tags', (c) => c.tags.map((t) => t.name).join('; ')],
  ['follow_up_needed', (c) => c.follow_up_needed],
  ['follow_up_count', (c) => c.follow_up_count],
  ['next_follow_up_at', (c) => c.next_follow_up_at],
  ['last_response_at', (c) => c.last_response_at],
  ['last_message_content', (c) => c.last_message_content],
  ['outreach_reason', (c) => c.outreach_reason],
  ['outreach_text', (c) => c.outreach_text],
  ['outreach_reason_label', (c) => c.outreach_reason_label],
  ['outreach_message_label', (c) => c.outreach_message_label],
  ['contact_ingestion_type', (c) => c.contact_ingestion_type],
  ['created_by_user_id', (c) => c.created_by_user_id],
  ['created_at', (c) => c.created_at],
  ['updated_at', (c) => c.updated_at],
]

// What spreadsheets treat as the start of a formula, plus the tab and carriage return OWASP lists.
const FORMULA_START = /^[=+\-@\t\r]/

/** One field: null is empty, text that would start a formula gets a leading `'`, always quoted. */
export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value)
  const safe = FORMULA_START.test(text) ? `'${text}` : text
  return `"${safe.replaceAll('"', '""')}"`
}

export function csvLine(cells: unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`
}

export type CsvPageReader = (after: Position | undefined) => Promise<{ views: ContactView[]; next?: Position }>

/**
 * The export as text chunks, the header and then one page of rows each; the next page is read
 * only when the consumer asks for it, so memory stays at one page however many contacts match.
 */
export async function* contactsCsv(readPage: CsvPageReader): AsyncGenerator<string> {
  yield `\uFEFF${csvLine(COLUMNS.map(([name]) => name))}`
  let after: Position | undefined
  do {
    const { views, next } = await readPage(after)
    if (views.length > 0) yield views.map((v) => csvLine(COLUMNS.map(([, get]) => get(v)))).join('')
    after = next
  } while (after)
}
