import * as v from 'valibot'
import { NUMBER_FIELDS } from '../analytics/report.ts'
import { day } from '../analytics/schemas.ts'
import { queryParams } from '../core/query.ts'
import { addCalendarDays, calendarDay, dayText } from '../core/time-zone.ts'

// The /analytics page's query string: the range (a preset or from/to), the setters table's sort
// and the outreach grouping, and the links that change one of them and keep the others.

export const PRESETS = ['7', '30', '90'] as const
export const SORTS = ['setter', ...NUMBER_FIELDS] as const
export type Sort = (typeof SORTS)[number]

export const pageQuery = queryParams({
  days: v.optional(v.picklist(PRESETS, 'must be 7, 30 or 90')),
  from: v.optional(day),
  to: v.optional(day),
  sort: v.optional(v.picklist(SORTS, `must be one of ${SORTS.join(', ')}`)),
  dir: v.optional(v.picklist(['asc', 'desc'], 'must be asc or desc')),
  by: v.optional(v.picklist(['message_label', 'reason'], 'must be message_label or reason'), 'message_label'),
})
export type PageQuery = v.InferOutput<typeof pageQuery>

/** A link to this page with the query changed; range, sort and grouping carry over. */
export function pageHref(query: PageQuery, change: Partial<Record<keyof PageQuery, string | undefined>>): string {
  const params = new URLSearchParams()
  const next: Record<string, string | undefined> = { ...query, ...change }
  if (next.by === 'message_label') next.by = undefined // the default
  for (const name of ['days', 'from', 'to', 'sort', 'dir', 'by'] as const) if (next[name] !== undefined) params.set(name, next[name])
  const text = params.toString()
  return text ? `/analytics?${text}` : '/analytics'
}

/** The range to ask for: from/to when given (the custom form), else the last 7, 30 or 90 days up to today. */
export function rangeOf(query: PageQuery, timezone: string, now: number): { from?: string; to?: string } {
  if (query.from !== undefined || query.to !== undefined) return { from: query.from, to: query.to }
  const today = calendarDay(timezone, now)
  return { from: dayText(addCalendarDays(today, 1 - Number(query.days ?? '30'))), to: dayText(today) }
}
