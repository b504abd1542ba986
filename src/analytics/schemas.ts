import * as v from 'valibot'
import { email } from '../core/fields.ts'
import { queryParams } from '../core/query.ts'
import { parseDay } from '../core/time-zone.ts'

/** A calendar day, `YYYY-MM-DD`. */
export const day = v.pipe(
  v.string('must be a date like 2026-01-31 (YYYY-MM-DD)'),
  v.check((text) => parseDay(text) !== undefined, 'must be a date like 2026-01-31 (YYYY-MM-DD)'),
)

/** Every analytics endpoint's range: calendar days in the organization's time zone, both included. */
const rangeEntries = { from: v.optional(day), to: v.optional(day) }

/** What GET /analytics/outreach groups by, and the contact field (and answer key) each names. */
export const OUTREACH_GROUPINGS = {
  reason: 'outreach_reason',
  reason_label: 'outreach_reason_label',
  message_label: 'outreach_message_label',
} as const
export type OutreachGrouping = keyof typeof OUTREACH_GROUPINGS

export const settersQuery = queryParams(rangeEntries)
export const outreachQuery = queryParams({
  ...rangeEntries,
  by: v.optional(v.picklist(['reason', 'reason_label', 'message_label'], 'must be one of reason, reason_label, message_label'), 'reason'),
})
export const dailyQuery = queryParams({ ...rangeEntries, assigned_email: v.optional(email) })

export type RangeInput = { from?: string; to?: string }
