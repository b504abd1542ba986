import { sql } from 'kysely'
import { pairsOf } from '../../migrations/dialect.ts'
import { addCalendarDays, type CalendarDay, calendarDay, dayBounds, dayText, parseDay } from '../core/time-zone.ts'
import { invalidField } from '../core/validate.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
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
  if (count > MAX_RANGE_DAYS)
    throw invalidField('from', `the range from ${dayText(from)} to ${dayText(to)} is ${count} days; at most ${MAX_RANGE_DAYS}`)
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
  'outreach_count',
  'replied_count',
  'reply_rate',
  'booked_count',
  'booking_rate',
  'follow_ups_due',
  'follow_ups_done_on_time',
  'follow_up_consistency',
  'median_hours_to_first_reply',
  'inbound_count',
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

/** What a report splits its rows by: the day of each fact, or a field of its contact. */
export type Grouping = 'day' | 'assigned_user_id' | 'outreach_reason' | 'outreach_reason_label' | 'outreach_message_label'

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

const HOUR_MS = 3_600_000

interface Cell {
  day: number
  key: string | null
}

/**
 * Counts the organization's facts in the range into one tally per group (`day`: keyed by
 * `YYYY-MM-DD`). `assignedUserId` keeps one setter's contacts (undefined: everyone). `now` is
 * ISO 8601 UTC: replies and bookings count until now.
 *
 * SQLite does the counting: each fact is matched to its day by joining the range's day bounds
 * (a JSON array, one parameter) with a range read of a covering index, and grouped there; only
 * the replied contacts come back one by one, for the median. CROSS JOIN keeps the days outside:
 * left to itself SQLite walked the organization's whole index once and the days for every row.
 */
export async function tallies(
  db: ReadDb,
  organizationId: string,
  range: Range,
  now: string,
  groupBy: Grouping,
  assignedUserId?: string,
): Promise<Map<string | null, Tally>> {
  const out = new Map<string | null, Tally>()
  const tallyFor = ({ day, key }: Cell) => {
    const name = groupBy === 'day' ? range.days[day]! : key
    const t = out.get(name) ?? emptyTally()
    out.set(name, t)
    return t
  }
  const days = JSON.stringify(range.days.map((_, i) => [range.bounds[i], range.bounds[i + 1]]))
  const withDays = sql`with d (i, s, e) as materialized (${pairsOf(db, days)})`
  const key = (table: string) => (groupBy === 'day' ? sql`null` : sql.ref(`${table}.${groupBy}`))
  const setter = (table: string) =>
    assignedUserId === undefined ? sql`` : sql`and ${sql.ref(`${table}.assigned_user_id`)} = ${assignedUserId}`
  // Each query is a derived table, so that read-only code (ReadDb) can run raw SQL.
  const rows = <R>(query: ReturnType<typeof sql>) => db.selectFrom(sql<R>`(${query})`.as('q')).selectAll().execute() as Promise<R[]>

  // The cohort: outreach recorded in the range; then its replied contacts, one by one.
  const cohort = await rows<Cell & { n: number }>(sql`${withDays}
    select d.i as day, ${key('c')} as key, count(*) as n
    from d cross join contacts c where c.organization_id = ${organizationId} and c.outreach_at >= d.s and c.outreach_at < d.e ${setter('c')}
    group by 1, 2`)
  for (const r of cohort) tallyFor(r).outreach += r.n
  const replied = await rows<Cell & { outreach_at: string; first_reply_at: string; booked: 0 | 1 }>(sql`${withDays}
    select d.i as day, ${key('c')} as key, c.outreach_at, c.first_reply_at, c.booked_at is not null and c.booked_at <= ${now} as booked
    from d cross join contacts c where c.organization_id = ${organizationId} and c.outreach_at >= d.s and c.outreach_at < d.e ${setter('c')}
    and c.first_reply_at <= ${now}`)
  for (const r of replied) {
    const t = tallyFor(r)
    t.replied++
    t.hours.push((Date.parse(r.first_reply_at) - Date.parse(r.outreach_at)) / HOUR_MS)
    if (r.booked) t.booked++
  }

  // Inbound volume: contacts created as inbound in the range (a later conversion keeps them here).
  // The last condition is written as the partial index contacts_org_inbound says, so SQLite uses it.
  const inbound = await rows<Cell & { n: number }>(sql`${withDays}
    select d.i as day, ${key('c')} as key, count(*) as n
    from d cross join contacts c where c.organization_id = ${organizationId} and c.created_at >= d.s and c.created_at < d.e ${setter('c')}
    and (outreach_at is null or outreach_at > created_at)
    group by 1, 2`)
  for (const r of inbound) tallyFor(r).inbound += r.n

  // Follow-ups due in the range: due unless cancelled (reply, snooze, archive) before their due
  // day ended; done on time when marked done before it ended. They carry their contact's setter
  // and outreach fields, so this reads one covering index and no contact.
  const followUps = await rows<Cell & { due: number; on_time: number }>(sql`${withDays}
    select d.i as day, ${key('f')} as key,
      sum(case when f.outcome = 'cancelled' and f.closed_at < d.e then 0 else 1 end) as due,
      sum(case when f.outcome = 'done' and f.closed_at < d.e then 1 else 0 end) as on_time
    from d cross join follow_ups f where f.organization_id = ${organizationId} and f.due_at >= d.s and f.due_at < d.e ${setter('f')}
    group by 1, 2`)
  for (const r of followUps) {
    const t = tallyFor(r)
    t.due += r.due
    t.doneOnTime += r.on_time
  }
  return out
}
