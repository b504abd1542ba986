import type { Numbers } from '../analytics/report.ts'
import type { Sort } from './analytics-query.ts'

// How the /analytics page names and shows the numbers of a report row, in every table on it.

/** The columns of the setters table, in order, with what their header says (the other tables reuse the labels). */
export const COLUMNS: { key: Sort; label: string }[] = [
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
export function shown(key: keyof Numbers, value: number | null): string {
  if (value === null) return '—'
  if (RATES.has(key)) return `${Number((value * 100).toFixed(2))}%`
  if (key === 'median_hours_to_first_reply') return `${value} h`
  return String(value)
}
