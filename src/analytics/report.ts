import { sql, type SqlBool } from 'kysely'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { addCalendarDays, calendarDay, dayBounds, dayText, parseDay, type CalendarDay } from '../core/time-zone.ts'
import { invalidField } from '../core/validate.ts'
import type { RangeInput } from './schemas.ts'

// Setter analytics: every definition is in docs/analytics.md. The reads are range scans over
// facts recorded when they happened (contacts.outreach_at, first_reply_at, booked_at, created_at
// and the follow_ups table), then counted here per calendar day of the organization's time zone.

export const DEFAULT_RANGE_DAYS = 30
export const MAX_RANGE_DAYS = 366

/** A resolved range: its days and where each begins (bounds has one more entry: the end). */
export interface Range {
  from: string
  to: string
  timezone: string
  days: string[]
  bounds: string[]
}

/** from/to as given, or the last 30 days up to today; a range over 366 days or backwards is a 400. */
export function resolveRange(org: Pick<Organization, 'timezone'>, input: RangeInput, now: number): Range {
  const to: CalendarDay = input.to === undefined ? calendarDay(org.timezone, now) : parseDay(input.to)!
  const from: CalendarDay = input.from === undefined ? addCalendarDays(to, 1 - DEFAULT_RANGE_DAYS) : parseDay(input.from)!
  const count = Math.round((Date.UTC(to.year, to.month - 1, to.day) - Date.UTC(from.year, from.month - 1, from.day)) / 86_400_000) + 1
  if (count < 1) throw invalidField('to', `must not be before from (${dayText(from)})`)
  if (count > MAX_RANGE_DAYS) throw invalidField('from', `the range from ${dayText(from)} to ${dayText(to)} is ${count} days; at most ${MAX_RANGE_DAYS}`)
  const days = Array.from({ length: count }, (_, i) => dayText(addCalendarDays(from, i)))
  return { from: dayText(from), to: dayText(to), timezone: org.timezone, days, bounds: dayBounds(org.timezone, from, count) }
}

/** What one row of any analytics answer holds. A rate with a zero denominator is null. */
export interface Numbers {
  outreach_count: number
  replied_count: number
  reply_rate: number | null
  booked_count: number
  booking_rate: number | null
  follow_ups_due: number
  follow_ups_done_on_time: number
  follow_up_consistency: number | null
  median_hours_to_first_reply: number | null
  inbound_count: number
}

export const NUMBER_FIELDS: readonly (keyof Numbers)[] = [
  'outreach_count', 'replied_count', 'reply_rate', 'booked_count', 'booking_rate',
  'follow_ups_due', 'follow_ups_done_on_time', 'follow_up_consistency', 'median_hours_to_first_reply', 'inbound_count',
]

/** The counts behind Numbers, which add up across rows (hours: one entry per replied contact). */
export interface Tally {
  outreach: number
  replied: number
  booked: number
  due: number
  doneOnTime: number
  inbound: number
  hours: number[]
}

const emptyTally = (): Tally => ({ outreach: 0, replied: 0, booked: 0, due: 0, doneOnTime: 0, inbound: 0, hours: [] })

/** What a fact is counted under: the contact's setter and outreach fields. */
export interface ContactKeys {
  assigned_user_id: string | null
  outreach_reason: string | null
  outreach_reason_label: string | null
  outreach_message_label: string | null
}

/** How an answer splits its rows: a key from the contact and the day of the fact. */
export type KeyOf = (contact: ContactKeys, day: string) => string | null

const rate = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000)

function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const value = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return Math.round(value * 100) / 100
}

export function numbers(t: Tally): Numbers {
  return {
    outreach_count: t.outreach,
    replied_count: t.replied,
    reply_rate: rate(t.replied, t.outreach),
    booked_count: t.booked,
    booking_rate: rate(t.booked, t.replied),
    follow_ups_due: t.due,
    follow_ups_done_on_time: t.doneOnTime,
    follow_up_consistency: rate(t.doneOnTime, t.due),
    median_hours_to_first_reply: median(t.hours),
    inbound_count: t.inbound,
  }
}

/** All tallies together: the totals row. */
export function sumTallies(tallies: Iterable<Tally>): Tally {
  const total = emptyTally()
  for (const t of tallies) {
    total.outreach += t.outreach
    total.replied += t.replied
    total.booked += t.booked
    total.due += t.due
    total.doneOnTime += t.doneOnTime
    total.inbound += t.inbound
    for (const h of t.hours) total.hours.push(h)
  }
  return total
}

/** The index of the day holding `instant` (the range's scans only return instants inside it). */
function dayIndex(bounds: string[], instant: string): number {
  let lo = 0
  let hi = bounds.length - 2
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (bounds[mid]! <= instant) lo = mid
    else hi = mid - 1
  }
  return lo
}

const HOUR_MS = 3_600_000
const KEY_COLUMNS = ['assigned_user_id', 'outreach_reason', 'outreach_reason_label', 'outreach_message_label'] as const

/**
 * Counts the organization's facts in the range into one tally per key. `assignedUserId` keeps
 * only one setter's contacts (undefined: everyone). `now` is ISO 8601 UTC: replies count until now.
 */
export async function tallies(db: ReadDb, organizationId: string, range: Range, now: string, keyOf: KeyOf, assignedUserId?: string): Promise<Map<string | null, Tally>> {
  const out = new Map<string | null, Tally>()
  const tallyFor = (contact: ContactKeys, day: string) => {
    const key = keyOf(contact, day)
    let t = out.get(key)
    if (!t) out.set(key, (t = emptyTally()))
    return t
  }
  const { bounds, days } = range
  const start = bounds[0]!
  const end = bounds[bounds.length - 1]!
  const bySetter = <Q extends { where: (...args: any[]) => Q }>(q: Q, column: string): Q =>
    assignedUserId === undefined ? q : q.where(column, '=', assignedUserId)

  // The cohort: outreach recorded in the range, its first reply after it and its booking.
  const cohort = await bySetter(
    db.selectFrom('contacts')
      .select([...KEY_COLUMNS, 'outreach_at', 'first_reply_at', 'booked_at'])
      .where('organization_id', '=', organizationId)
      .where('outreach_at', '>=', start)
      .where('outreach_at', '<', end),
    'assigned_user_id',
  ).execute()
  for (const c of cohort) {
    const t = tallyFor(c, days[dayIndex(bounds, c.outreach_at!)]!)
    t.outreach++
    if (c.first_reply_at === null || c.first_reply_at > now) continue
    t.replied++
    t.hours.push((Date.parse(c.first_reply_at) - Date.parse(c.outreach_at!)) / HOUR_MS)
    if (c.booked_at !== null && c.booked_at <= now) t.booked++
  }

  // Inbound volume: contacts created as inbound in the range (a later conversion keeps them here).
  const inbound = await bySetter(
    db.selectFrom('contacts')
      .select([...KEY_COLUMNS, 'created_at'])
      .where('organization_id', '=', organizationId)
      .where('created_at', '>=', start)
      .where('created_at', '<', end)
      // Written as the partial index contacts_org_inbound says, so that SQLite uses it.
      .where(sql<SqlBool>`(outreach_at is null or outreach_at > created_at)`),
    'assigned_user_id',
  ).execute()
  for (const c of inbound) tallyFor(c, days[dayIndex(bounds, c.created_at)]!).inbound++

  // Follow-ups due in the range: due unless cancelled (reply, snooze, archive) before their due
  // day ended; done on time when marked done before it ended.
  // The follow-ups carry their contact's setter and outreach fields: one covering index read.
  const followUps = await bySetter(
    db.selectFrom('follow_ups')
      .select([...KEY_COLUMNS, 'due_at', 'closed_at', 'outcome'])
      .where('organization_id', '=', organizationId)
      .where('due_at', '>=', start)
      .where('due_at', '<', end),
    'assigned_user_id',
  ).execute()
  for (const f of followUps) {
    const i = dayIndex(bounds, f.due_at)
    const dayEnd = bounds[i + 1]!
    const onTime = f.outcome === 'done' && f.closed_at! < dayEnd
    if (f.outcome === 'cancelled' && f.closed_at! < dayEnd) continue
    const t = tallyFor(f, days[i]!)
    t.due++
    if (onTime) t.doneOnTime++
  }
  return out
}
