import { invalidField } from '../core/validate.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { type Numbers, numbers, type Range, resolveRange, sumTallies, type Tally, tallies } from './report.ts'
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
  const byUser = await tallies(db, org.id, range, iso(now), 'assigned_user_id')
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
  const field = OUTREACH_GROUPINGS[input.by]
  const byValue = await tallies(db, org.id, range, iso(now), field)
  const values = [...byValue.keys()].filter((k): k is string => k !== null).sort()
  const rows = [...values, null].map((value) => ({ [field]: value, ...numbers(byValue.get(value) ?? sumTallies([])) }))
  return { ...rangeView(range), by: input.by, rows, totals: numbers(sumTallies(byValue.values())) }
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
  const byDay = await tallies(db, org.id, range, iso(now), 'day', userId)
  const empty: Tally = sumTallies([])
  return {
    ...rangeView(range),
    assigned_email: input.assigned_email ?? null,
    days: range.days.map((day) => ({ day, ...numbers(byDay.get(day) ?? empty) })),
    totals: numbers(sumTallies(byDay.values())),
  }
}
