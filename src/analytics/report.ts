import { type RawBuilder, sql } from 'kysely'
import { jsonArray, jsonGroupArray, millisBetween, pairsOf } from '../../migrations/dialect.ts'
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

/** A contact field a report groups by (the day is always there). */
export type Field = Exclude<Grouping, 'day'>

/** The finest split of a range: one day, one value of each field asked for. */
export interface Cell {
  day: number
  keys: (string | null)[]
  tally: Tally
}

/**
 * Counts the organization's facts in the range per day and per value of each of `fields`.
 * `assignedUserId` keeps one setter's contacts (undefined: everyone). `now` is ISO 8601 UTC:
 * replies and bookings count until now. Several fields at once give every report of the
 * analytics page from one pass (`rollUp` sums the cells each way).
 *
 * SQLite does the counting, in one query per table that reads ranges of covering indexes, the
 * range's day bounds (a JSON array, one parameter) as the outer loop; each range is counted per
 * group in a subquery that hands back its groups as one JSON array. Two orders:
 * - By setter (the setter is one of `fields`, or one setter is asked for): setter by setter,
 *   day by day, over the indexes that start (organization, setter, time). Each setter's day is
 *   one short range, so the setters come out split without a sort (and another field is grouped
 *   within one setter's day). The setters are found by skipping through the same index, one seek
 *   each. A GROUP BY by setter over each day's rows sorted every row of the day, with the
 *   columns its sums need: it nearly doubled the follow-ups' read (docs/performance.md).
 * - Otherwise day by day over the indexes that start (organization, time), grouped per day:
 *   by day alone there is no sort, and grouping each day on its own keeps the sorts small (one
 *   GROUP BY over the whole range sorted every row of it and took twice as long).
 * CROSS JOIN keeps the days (and setters) outside: left to itself SQLite walked the
 * organization's whole index once and the days for every row.
 */
export async function cells(
  db: ReadDb,
  organizationId: string,
  range: Range,
  now: string,
  fields: Field[],
  assignedUserId?: string,
): Promise<Cell[]> {
  const out = new Map<string, Cell>()
  const cellOf = (day: number, keys: (string | null)[]) => {
    const id = JSON.stringify([day, keys])
    const cell = out.get(id) ?? { day, keys, tally: emptyTally() }
    out.set(id, cell)
    return cell.tally
  }
  const days = JSON.stringify(range.days.map((_, i) => [range.bounds[i], range.bounds[i + 1]]))
  const bySetter = assignedUserId !== undefined || fields.includes('assigned_user_id')
  // By setter, the setter is the loop's key and the other fields are grouped within its day.
  const setterAt = fields.indexOf('assigned_user_id')
  const others = fields.filter((field) => field !== 'assigned_user_id')
  const keys = others.map((field, i) => sql`${sql.ref(`t.${field}`)} as ${sql.raw(`k${i}`)}`)
  // One group per (setter's) day when no other field is asked for: no GROUP BY, so no sort.
  const groupBy = others.length === 0 ? sql`` : sql`group by ${sql.join(others.map((_, i) => sql.raw(String(i + 1))))}`
  const keysOf = (setter: string | null, group: unknown[]) => {
    const rest = group.slice(0, others.length) as (string | null)[]
    return setterAt === -1 ? rest : [...rest.slice(0, setterAt), setter, ...rest.slice(setterAt)]
  }
  // Each query is a derived table, so that read-only code (ReadDb) can run raw SQL.
  const rows = <R>(query: RawBuilder<unknown>) => db.selectFrom(sql<R>`(${query})`.as('q')).selectAll().execute() as Promise<R[]>
  /**
   * Per setter, day and group, the values (aggregates over the rows `where` picks, in which `d` is
   * the day); the first value is the rows' count, and a group without rows is left out. `partial`
   * is the condition of the table's partial index (so that the setters' skip-scan uses it).
   */
  const perDay = async <V extends [number, ...unknown[]]>(
    from: 'contacts' | 'follow_ups',
    partial: RawBuilder<unknown>,
    where: RawBuilder<unknown>,
    values: RawBuilder<unknown>[],
  ) => {
    const table = sql.table(from)
    const names = [...others.map((_, i) => sql.raw(`k${i}`)), ...values.map((_, i) => sql.raw(`v${i}`))]
    const groups = (setter: RawBuilder<unknown>) => sql`(select ${jsonGroupArray(db, jsonArray(db, names))} from (
        select ${sql.join([...keys, ...values.map((value, i) => sql`${value} as ${sql.raw(`v${i}`)}`)])} from ${table} as t
        where t.organization_id = ${organizationId} and ${setter} and ${where} ${groupBy}) as g)`
    const withDays = sql`d (i, s, e) as materialized (${pairsOf(db, days)})`
    let query = sql`with ${withDays} select null as setter, d.i as day, ${groups(sql`true`)} as groups from d`
    if (bySetter) {
      // The setters with rows in the table: the smallest, then each next one, one index seek each.
      const first = sql`select min(t.assigned_user_id) from ${table} as t where t.organization_id = ${organizationId} and ${partial}`
      const setters =
        assignedUserId === undefined
          ? sql`${first} union all select (${first} and t.assigned_user_id > k.v) from k where k.v is not null`
          : sql`select cast(${assignedUserId} as text)`
      const unassigned =
        assignedUserId === undefined ? sql`union all select null, d.i, ${groups(sql`t.assigned_user_id is null`)} from d` : sql``
      query = sql`with recursive ${withDays}, k (v) as (${setters})
        select k.v as setter, d.i as day, ${groups(sql`t.assigned_user_id = k.v`)} as groups from k cross join d where k.v is not null
        ${unassigned}`
    }
    const found = await rows<{ setter: string | null; day: number; groups: string }>(query)
    return found.flatMap(({ setter, day, groups }) =>
      (JSON.parse(groups) as unknown[][])
        .map((group) => ({ keys: keysOf(setter, group), v: group.slice(others.length) as V }))
        .filter(({ v }) => v[0] > 0)
        .map(({ keys, v }) => ({ tally: cellOf(day, keys), v })),
    )
  }

  // The cohort: outreach recorded in the range, its replied and booked contacts, and for the
  // median the milliseconds from each outreach to its first reply (exact: SQLite keeps times as
  // whole milliseconds, and the difference of two of them is far within a double's precision).
  const replied = sql`t.first_reply_at <= ${now}`
  const outreach = sql`t.outreach_at is not null`
  const cohort = await perDay<[number, number, number, string]>('contacts', outreach, sql`t.outreach_at >= d.s and t.outreach_at < d.e`, [
    sql`count(*)`,
    sql`count(*) filter (where ${replied})`,
    sql`count(*) filter (where ${replied} and t.booked_at <= ${now})`,
    jsonGroupArray(db, millisBetween(db, sql`t.outreach_at`, sql`t.first_reply_at`), replied),
  ])
  for (const { tally, v } of cohort) {
    tally.outreach += v[0]
    tally.replied += v[1]
    tally.booked += v[2]
    for (const ms of JSON.parse(v[3]) as number[]) tally.hours.push(ms / HOUR_MS)
  }

  // Inbound volume: contacts created as inbound in the range (a later conversion keeps them here).
  // The condition is written as the partial indexes on inbound contacts say, so SQLite uses them.
  const asInbound = sql`(t.outreach_at is null or t.outreach_at > t.created_at)`
  const inbound = await perDay<[number]>('contacts', asInbound, sql`t.created_at >= d.s and t.created_at < d.e and ${asInbound}`, [
    sql`count(*)`,
  ])
  for (const { tally, v } of inbound) tally.inbound += v[0]

  // Follow-ups due in the range: due unless cancelled (reply, snooze, archive) before their due
  // day ended; done on time when marked done before it ended. They carry their contact's setter
  // and outreach fields, so this reads one covering index and no contact.
  const followUps = await perDay<[number, number, number]>('follow_ups', sql`true`, sql`t.due_at >= d.s and t.due_at < d.e`, [
    sql`count(*)`,
    sql`count(*) filter (where t.outcome is distinct from 'cancelled' or t.closed_at >= d.e)`,
    sql`count(*) filter (where t.outcome = 'done' and t.closed_at < d.e)`,
  ])
  for (const { tally, v } of followUps) {
    tally.due += v[1]
    tally.doneOnTime += v[2]
  }
  return [...out.values()]
}

/**
 * The cells summed into one tally per group: per day (keyed by `YYYY-MM-DD`), or per value of one
 * of the `fields` the cells were counted by.
 */
export function rollUp(all: Cell[], range: Range, fields: Field[], groupBy: Grouping): Map<string | null, Tally> {
  const at = groupBy === 'day' ? -1 : fields.indexOf(groupBy)
  if (groupBy !== 'day' && at === -1) throw new Error(`cells were not counted by ${groupBy}`)
  const groups = new Map<string | null, Tally[]>()
  for (const cell of all) {
    const name = at === -1 ? range.days[cell.day]! : (cell.keys[at] ?? null)
    const group = groups.get(name)
    if (group) group.push(cell.tally)
    else groups.set(name, [cell.tally])
  }
  return new Map([...groups].map(([name, tallies]) => [name, sumTallies(tallies)]))
}

/** One tally per group of one grouping: `cells` by that field alone, rolled up. */
export async function tallies(
  db: ReadDb,
  organizationId: string,
  range: Range,
  now: string,
  groupBy: Grouping,
  assignedUserId?: string,
): Promise<Map<string | null, Tally>> {
  const fields = groupBy === 'day' ? [] : [groupBy]
  return rollUp(await cells(db, organizationId, range, now, fields, assignedUserId), range, fields, groupBy)
}
