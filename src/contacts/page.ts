import { type Expression, type ExpressionBuilder, type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely'
import { type Cursor, encodeCursor, type Position, readCursor } from '../core/cursor.ts'
import type { Contact, Database } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import type { ContactFilter } from './filter.ts'
import { type ContactView, contactViews } from './view.ts'

// Keyset pages over active contacts, in the order that fits the list, each order the tail of an
// index (see the read-indexes migration), so a first page is a short index walk at any size:
// - due: next follow-up time, soonest (most overdue) first, when the list is about follow-ups;
// - username: alphabetical, when searching by username prefix (`q`);
// - updated: oldest change first, for `updated_since` (a sync client walks forward to the newest;
//   a contact changed during the walk comes again at the end, so none is missed);
// - created: otherwise newest first. created_at never changes, so walking the pages while
//   contacts are being updated neither skips nor repeats one.
// Ties are broken by id (usernames are unique among active contacts).

const ORDERS = {
  due: { keys: ['next_follow_up_at', 'id'], direction: 'asc' },
  username: { keys: ['username'], direction: 'asc' },
  updated: { keys: ['updated_at', 'id'], direction: 'asc' },
  created: { keys: ['created_at', 'id'], direction: 'desc' },
} as const

export type ContactOrder = keyof typeof ORDERS

function orderOf(filter: ContactFilter): ContactOrder {
  if (filter.due) return 'due'
  if (filter.usernamePrefix !== undefined) return 'username'
  return filter.updatedSince === undefined ? 'created' : 'updated'
}

/** Counts stop here: past it a board shows "10000+" (count_exact false) instead of scanning on. */
export const COUNT_LIMIT = 10_000

/**
 * A tag on at most this many contacts is rare. Walking an order's index and probing each contact
 * for a rare tag would pass over most of the organization before a page fills, so such a list
 * starts from the tag's contacts instead and sorts them (a few thousand at most).
 */
const RARE_TAG = 5_000

// The largest code point: every username that starts with the prefix sorts below prefix + it.
const AFTER_PREFIX = '\u{10FFFF}'

type Contacts = ExpressionBuilder<Database, 'contacts'>

/** Counts the rows of `query`, stopping past `limit`. */
// biome-ignore lint/suspicious/noExplicitAny: the counted query may join and alias any tables
async function countUpTo(db: ReadDb, query: SelectQueryBuilder<Database, any, { one: 1 }>, limit: number): Promise<number> {
  const { n } = await db
    .selectFrom(query.limit(limit + 1).as('matching'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(n)
}

/** The filter as one WHERE condition, written so that SQLite can use the partial indexes. */
function matches(organizationId: string, f: ContactFilter) {
  // Columns are qualified: a rare-tag list joins contact_tags, which has a created_at too.
  return (eb: Contacts) => {
    const all: Expression<SqlBool>[] = [eb('contacts.organization_id', '=', organizationId), eb('contacts.archived_at', 'is', null)]
    if (f.due) {
      // A literal, not a parameter: the board index is partial on exactly this condition.
      all.push(sql<SqlBool>`contacts.follow_up_needed = 1`)
      all.push(
        f.due.from === undefined ? eb('contacts.next_follow_up_at', 'is not', null) : eb('contacts.next_follow_up_at', '>=', f.due.from),
      )
      if (f.due.before !== undefined) all.push(eb('contacts.next_follow_up_at', '<', f.due.before))
    }
    if (f.stageId !== undefined) all.push(eb('contacts.pipeline_stage_id', '=', f.stageId))
    if (f.leadStatusId !== undefined) all.push(eb('contacts.lead_status_id', '=', f.leadStatusId))
    if (f.hadOutreach !== undefined) all.push(eb('contacts.had_outreach', '=', f.hadOutreach))
    if (f.usernamePrefix !== undefined) {
      all.push(eb('contacts.username', '>=', f.usernamePrefix), eb('contacts.username', '<', f.usernamePrefix + AFTER_PREFIX))
    }
    if (f.updatedSince !== undefined) all.push(eb('contacts.updated_at', '>=', f.updatedSince))
    if (f.assignedUserId !== undefined) all.push(eb('contacts.assigned_user_id', '=', f.assignedUserId))
    for (const tagId of f.tagIds ?? []) {
      all.push(
        eb.exists(
          eb.selectFrom('contact_tags as t').select('t.tag_id').whereRef('t.contact_id', '=', 'contacts.id').where('t.tag_id', '=', tagId),
        ),
      )
    }
    return eb.and(all)
  }
}

/**
 * The filter's lead status, type and assigned setter as conditions on `table`, a table that keeps
 * them in contacts' column names ('' for no setter): the counts kept by triggers and tagged_contacts.
 */
export function groupConditions(f: ContactFilter, table: string): RawBuilder<SqlBool>[] {
  const column = (name: string) => sql.ref(`${table}.${name}`)
  return [
    ...(f.leadStatusId === undefined ? [] : [sql<SqlBool>`${column('lead_status_id')} = ${f.leadStatusId}`]),
    ...(f.hadOutreach === undefined ? [] : [sql<SqlBool>`${column('had_outreach')} = ${f.hadOutreach}`]),
    ...(f.assignedUserId === undefined ? [] : [sql<SqlBool>`${column('assigned_user_id')} = ${f.assignedUserId}`]),
  ]
}

/** How many contacts match, counting no further than `limit` so that a count costs at most that many index steps. */
async function countContacts(
  db: ReadDb,
  organizationId: string,
  filter: ContactFilter,
  start: Start | undefined,
  limit = COUNT_LIMIT,
): Promise<{ count: number; count_exact: boolean }> {
  const n = await countUpTo(
    db,
    from(db, organizationId, start)
      .select(sql.lit(1 as const).as('one'))
      .where(matches(organizationId, filter)),
    limit,
  )
  return n > limit ? { count: limit, count_exact: false } : { count: n, count_exact: true }
}

/**
 * The exact number of contacts matching `filter` in each stage (the pipeline's column counts under
 * a tag or username filter, which stay exact however large a column is): one grouped count, from
 * the rare tag's or username's few contacts when the filter names one (rareStart), else over the
 * organization's contacts.
 */
export async function countByStage(db: ReadDb, organizationId: string, filter: ContactFilter): Promise<Map<number, number>> {
  const rows = await from(db, organizationId, await rareStart(db, organizationId, filter))
    .select(['contacts.pipeline_stage_id as stage', (eb) => eb.fn.countAll<number>().as('n')])
    .where(matches(organizationId, filter))
    .groupBy('contacts.pipeline_stage_id')
    .execute()
  return new Map(rows.flatMap((r) => (r.stage === null ? [] : [[r.stage, Number(r.n)]])))
}

/**
 * The exact number of contacts matching `filter` in each of the stages `stageIds` (the pipeline's
 * columns under a username search): one grouped count from the contacts themselves, with the
 * stages named so that a username prefix is an index-only range of contacts_org_stage_username per
 * stage (the other filters' columns are in that index too; a tag is one probe of contact_tags).
 */
export async function countInStages(
  db: ReadDb,
  organizationId: string,
  filter: ContactFilter,
  stageIds: number[],
): Promise<Map<number, number>> {
  if (stageIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('contacts')
    .select(['contacts.pipeline_stage_id as stage', (eb) => eb.fn.countAll<number>().as('n')])
    .where(matches(organizationId, filter))
    .where('contacts.pipeline_stage_id', 'in', stageIds)
    .groupBy('contacts.pipeline_stage_id')
    .execute()
  return new Map(rows.flatMap((r) => (r.stage === null ? [] : [[r.stage, Number(r.n)]])))
}

/**
 * Where a list may start instead of walking its order's index: the contacts of a rare tag, or the
 * few usernames that start with `q` when the list is in another order (the board's due time). Or,
 * for one pipeline column, a walk in the column's own order of what holds the filter: a tag's
 * contacts in that stage in created order (`taggedIn`, tagged_contacts, kept by triggers), or the
 * stage's usernames that start with `q` (`namedIn`, the index contacts_org_stage_username, which
 * holds the other filters' columns too); either way a page reads about one page of rows, however
 * common the tag or the prefix.
 */
export type Start =
  | { tag: number }
  | { usernamePrefix: string }
  | { taggedIn: { tag: number; stage: number } }
  | { namedIn: { usernamePrefix: string; stage: number } }

/** A start walked in its list's own order: the start's columns that hold the order's keys. */
function walkedKeys(start: Start | undefined): [string, ...string[]] | undefined {
  if (start && 'taggedIn' in start) return ['start.created_at', 'start.contact_id']
  if (start && 'namedIn' in start) return ['start.username']
  return undefined
}

/** The smallest rare set the filter names (see RARE_TAG), to start the list from; none when the order's index serves best. */
export async function rareStart(db: ReadDb, organizationId: string, filter: ContactFilter): Promise<Start | undefined> {
  let rarest: { start: Start; n: number } | undefined
  const consider = (start: Start, n: number) => {
    if (n <= RARE_TAG && (!rarest || n < rarest.n)) rarest = { start, n }
  }
  for (const id of filter.tagIds ?? []) {
    const tagged = db
      .selectFrom('contact_tags')
      .select(sql.lit(1 as const).as('one'))
      .where('tag_id', '=', id)
    consider({ tag: id }, await countUpTo(db, tagged, RARE_TAG))
  }
  const prefix = filter.usernamePrefix
  if (prefix !== undefined && orderOf(filter) !== 'username') {
    const named = db
      .selectFrom('contacts')
      .select(sql.lit(1 as const).as('one'))
      .where(matches(organizationId, { usernamePrefix: prefix }))
    consider({ usernamePrefix: prefix }, await countUpTo(db, named, RARE_TAG))
  }
  return rarest?.start
}

/**
 * The contacts a list reads, joined from `start` when there is one. SQLite's CROSS JOIN keeps the
 * start as the outer loop, whatever the planner would guess; the page then sorts a few thousand
 * rows at most.
 */
function from(db: ReadDb, organizationId: string, start: Start | undefined) {
  if (start === undefined) return db.selectFrom('contacts')
  if ('taggedIn' in start)
    return db
      .selectFrom('tagged_contacts as start')
      .crossJoin('contacts')
      .whereRef('contacts.id', '=', 'start.contact_id')
      .where('start.tag_id', '=', start.taggedIn.tag)
      .where('start.stage_id', '=', start.taggedIn.stage)
  if ('namedIn' in start)
    return db
      .selectFrom('contacts as start')
      .crossJoin('contacts')
      .whereRef('contacts.id', '=', 'start.id')
      .where('start.organization_id', '=', organizationId)
      .where('start.archived_at', 'is', null)
      .where('start.pipeline_stage_id', '=', start.namedIn.stage)
      .where('start.username', '>=', start.namedIn.usernamePrefix)
      .where('start.username', '<', start.namedIn.usernamePrefix + AFTER_PREFIX)
  if ('tag' in start)
    return db
      .selectFrom('contact_tags as start')
      .crossJoin('contacts')
      .whereRef('contacts.id', '=', 'start.contact_id')
      .where('start.tag_id', '=', start.tag)
  return db
    .selectFrom('contacts as start')
    .crossJoin('contacts')
    .whereRef('contacts.id', '=', 'start.id')
    .where('start.organization_id', '=', organizationId)
    .where('start.archived_at', 'is', null)
    .where('start.username', '>=', start.usernamePrefix)
    .where('start.username', '<', start.usernamePrefix + AFTER_PREFIX)
}

export interface ContactPage {
  contacts: Contact[]
  /** Where the next page starts, or undefined on the last page. */
  next?: Position
}

/** The query a page runs (also used by the EXPLAIN QUERY PLAN test), from `start` when there is one. */
export function pageQuery(
  db: ReadDb,
  organizationId: string,
  filter: ContactFilter,
  after: Position | undefined,
  limit: number,
  start?: Start,
) {
  const { keys, direction } = ORDERS[orderOf(filter)]
  let query = from(db, organizationId, start).selectAll('contacts').where(matches(organizationId, filter))
  const walked = walkedKeys(start)
  if (walked) {
    // Ordered and continued by the start's own copies of the keys (the same values), so the walk
    // follows its index without a sort; the lead status, type and setter the start holds too skip
    // a contact without reading its row.
    for (const condition of groupConditions(filter, 'start')) query = query.where(condition)
    const [first, second] = walked.map((key) => sql.ref(key))
    const comparison = sql.raw(direction === 'asc' ? '>' : '<')
    if (after)
      query = query.where(
        second === undefined
          ? sql<SqlBool>`${first} ${comparison} ${String(after[0])}`
          : sql<SqlBool>`(${first}, ${second}) ${comparison} (${String(after[0])}, ${String(after[1])})`,
      )
    for (const key of walked) query = query.orderBy(sql`${sql.ref(key)} ${sql.raw(direction)}`)
    return query.limit(limit + 1)
  }
  if (after) {
    const comparison = direction === 'asc' ? '>' : '<'
    const [first, second] = keys.map((key) => `contacts.${key}` as const)
    query = query.where((eb) =>
      second === undefined
        ? eb(first!, comparison, String(after[0]))
        : eb(eb.refTuple(first!, second), comparison, eb.tuple(String(after[0]), String(after[1]))),
    )
  }
  for (const key of keys) query = query.orderBy(`contacts.${key}`, direction)
  return query.limit(limit + 1)
}

/**
 * One page of the filtered list, starting after `after` (where the previous page ended). `start`
 * is what rareStart found for this filter (null: nothing rare), when the caller already asked.
 */
export async function contactPage(
  db: ReadDb,
  organizationId: string,
  filter: ContactFilter,
  after: Position | undefined,
  limit: number,
  start?: Start | null,
): Promise<ContactPage> {
  const from = start === undefined ? await rareStart(db, organizationId, filter) : (start ?? undefined)
  const rows = await pageQuery(db, organizationId, filter, after, limit, from).execute()
  const contacts = rows.slice(0, limit)
  const last = contacts.at(-1)
  if (rows.length <= limit || !last) return { contacts }
  return { contacts, next: ORDERS[orderOf(filter)].keys.map((key) => last[key] ?? '') }
}

/** The position a client's cursor names, checked against this list's order (a 400 naming `field` if it does not fit). */
export function cursorPosition(filter: ContactFilter, cursor: Cursor | undefined, field = 'cursor'): Position | undefined {
  const order = orderOf(filter)
  return readCursor(
    cursor,
    order,
    ORDERS[order].keys.map(() => 'string' as const),
    field,
  )
}

/** The cursor a client sends for the page after `next`. */
export function nextCursor(filter: ContactFilter, next: Position | undefined): string | null {
  return next ? encodeCursor(orderOf(filter), next) : null
}

/** A list as the boards show it: how many contacts it holds and its first page. */
export interface CountedPage {
  /** Exact up to COUNT_LIMIT; past it `count` is the limit and `count_exact` false. */
  count: number
  count_exact: boolean
  items: ContactView[]
  /** Continues the list with GET /contacts and the same filter, plus cursor=<next_cursor>. */
  next_cursor: string | null
}

/**
 * The count and first page of a list. `start` is what rareStart found for this filter (null:
 * nothing rare), when the caller already asked (a board asks once for its three groups);
 * `countLimit` is where the count stops (COUNT_LIMIT unless the caller shows less).
 *
 * A username search that is not rare, in the board's due order, is counted no further than its
 * page: counting it would walk the due index with a table row read per entry (the username is not
 * in that index) until COUNT_LIMIT matches, seconds for a short prefix such as `q=mar`. It shows
 * "20+" instead (docs/decisions.md, "Board counts").
 */
export async function countedFirstPage(
  db: ReadDb,
  organizationId: string,
  filter: ContactFilter,
  limit: number,
  { start, countLimit }: { start?: Start | null; countLimit?: number } = {},
): Promise<CountedPage> {
  const from = start === undefined ? ((await rareStart(db, organizationId, filter)) ?? null) : start
  const page = await contactPage(db, organizationId, filter, undefined, limit, from)
  const broadSearch = filter.usernamePrefix !== undefined && orderOf(filter) !== 'username' && from === null
  return {
    ...(broadSearch
      ? { count: page.contacts.length, count_exact: page.next === undefined }
      : await countContacts(db, organizationId, filter, from ?? undefined, countLimit)),
    items: await contactViews(db, page.contacts),
    next_cursor: nextCursor(filter, page.next),
  }
}
