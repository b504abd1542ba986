import { invalidField } from '../core/validate.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { cells, type Field, type Numbers, numbers, type Range, resolveRange, rollUp, sumTallies, type Tally, tallies } from './report.ts'
import { OUTREACH_GROUPINGS, type OutreachGrouping, type RangeInput } from './schemas.ts'

// The three analytics answers. Each is one function (db, organization, input, now) => plain data,
// so it can run wherever reads run; the routes and the CSV use the same ones.

interface RangeView {
  from: string
  to: string
  timezone: string
}

const rangeView = ({ from, to, timezone }: Range): RangeView => ({ from, to, timezone })
const iso = (now: number) => new Date(now).toISOString()

export interface SetterRow extends Numbers {
  user_id: string | null
  email: string | null
  name: string | null
}

export interface SettersReport extends RangeView {
  setters: SetterRow[]
  totals: Numbers
}

/**
 * One row per member of the organization (email order), then any other user who still holds
 * contacts (a former member), then the `unassigned` row (user_id null), then the totals.
 */
export async function settersReport(db: ReadDb, org: Organization, input: RangeInput, now: number): Promise<SettersReport> {
  const range = resolveRange(org, input, now)
  return settersFrom(db, org, range, await tallies(db, org.id, range, iso(now), 'assigned_user_id'))
}

async function settersFrom(db: ReadDb, org: Organization, range: Range, byUser: Map<string | null, Tally>): Promise<SettersReport> {
  const members = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.name'])
    .where('memberships.organization_id', '=', org.id)
    .orderBy('users.email')
    .execute()
  const listed = new Set(members.map((m) => m.id))
  const others = [...byUser.keys()].filter((id): id is string => id !== null && !listed.has(id))
  const formers =
    others.length === 0
      ? []
      : await db.selectFrom('users').select(['id', 'email', 'name']).where('id', 'in', others).orderBy('email').execute()
  const row = (user: { id: string | null; email: string | null; name: string | null }): SetterRow => ({
    user_id: user.id,
    email: user.email,
    name: user.name,
    ...numbers(byUser.get(user.id) ?? sumTallies([])),
  })
  return {
    ...rangeView(range),
    setters: [...members, ...formers, { id: null, email: null, name: null }].map(row),
    totals: numbers(sumTallies(byUser.values())),
  }
}

export type OutreachRow = Numbers & Partial<Record<(typeof OUTREACH_GROUPINGS)[OutreachGrouping], string | null>>

export interface OutreachReport extends RangeView {
  by: OutreachGrouping
  rows: OutreachRow[]
  totals: Numbers
}

/**
 * One row per value of the outreach field named by `by` (A to Z), then the row for contacts without
 * one (null: inbound contacts, and outreach recorded without that field), then the totals.
 */
export async function outreachReport(
  db: ReadDb,
  org: Organization,
  input: RangeInput & { by: OutreachGrouping },
  now: number,
): Promise<OutreachReport> {
  const range = resolveRange(org, input, now)
  return outreachFrom(range, input.by, await tallies(db, org.id, range, iso(now), OUTREACH_GROUPINGS[input.by]))
}

function outreachFrom(range: Range, by: OutreachGrouping, byValue: Map<string | null, Tally>): OutreachReport {
  const field = OUTREACH_GROUPINGS[by]
  const values = [...byValue.keys()].filter((k): k is string => k !== null).sort()
  const rows = [...values, null].map((value) => ({ [field]: value, ...numbers(byValue.get(value) ?? sumTallies([])) }))
  return { ...rangeView(range), by, rows, totals: numbers(sumTallies(byValue.values())) }
}

export interface DailyRow extends Numbers {
  day: string
}

export interface DailyReport extends RangeView {
  assigned_email: string | null
  days: DailyRow[]
  totals: Numbers
}

/** One row per day of the range (every day, empty ones too), oldest first, then the totals. */
export async function dailyReport(
  db: ReadDb,
  org: Organization,
  input: RangeInput & { assigned_email?: string },
  now: number,
): Promise<DailyReport> {
  const range = resolveRange(org, input, now)
  let userId: string | undefined
  if (input.assigned_email !== undefined) {
    const user = await db
      .selectFrom('users')
      .innerJoin('memberships', 'memberships.user_id', 'users.id')
      .select(['users.id', 'users.email'])
      .where('memberships.organization_id', '=', org.id)
      .where('users.email', '=', input.assigned_email)
      .executeTakeFirst()
    if (!user) throw invalidField('assigned_email', `${input.assigned_email} is not a member of this organization`)
    userId = user.id
  }
  return dailyFrom(range, input.assigned_email ?? null, await tallies(db, org.id, range, iso(now), 'day', userId))
}

function dailyFrom(range: Range, assignedEmail: string | null, byDay: Map<string | null, Tally>): DailyReport {
  const empty: Tally = sumTallies([])
  return {
    ...rangeView(range),
    assigned_email: assignedEmail,
    days: range.days.map((day) => ({ day, ...numbers(byDay.get(day) ?? empty) })),
    totals: numbers(sumTallies(byDay.values())),
  }
}

/**
 * The three reports of the web app's analytics page, for one range and outreach grouping, from one
 * pass over the range (counted per day, setter and outreach field, then summed three ways): the
 * same numbers as the three reports one by one, for a third of the reading.
 */
export async function pageReports(
  db: ReadDb,
  org: Organization,
  input: RangeInput & { by: OutreachGrouping },
  now: number,
): Promise<{ setters: SettersReport; daily: DailyReport; outreach: OutreachReport }> {
  const range = resolveRange(org, input, now)
  const fields: Field[] = ['assigned_user_id', OUTREACH_GROUPINGS[input.by]]
  const all = await cells(db, org.id, range, iso(now), fields)
  return {
    setters: await settersFrom(db, org, range, rollUp(all, range, fields, 'assigned_user_id')),
    daily: dailyFrom(range, null, rollUp(all, range, fields, 'day')),
    outreach: outreachFrom(range, input.by, rollUp(all, range, fields, OUTREACH_GROUPINGS[input.by])),
  }
}
