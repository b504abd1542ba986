import { createHash } from 'node:crypto'
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely'
import { recountFilterCounts } from '../../migrations/2026_12_02_0850_filter_counts.ts'
import { recountTagCounts } from '../../migrations/2026_12_02_1145_pipeline_tag_search.ts'
import { engineOf } from '../../migrations/dialect.ts'
import type { Store } from './open.ts'

/**
 * `dmtracker copy`: moves a whole database, or one organization, between SQLite and PostgreSQL
 * (either way, or between two of a kind), and proves the copy: per table, the row count and a
 * checksum of every row's values must be the same on both sides.
 */

export class CopyError extends Error {}

// biome-ignore lint/suspicious/noExplicitAny: copy names its tables at run time, from TABLES
type AnyDb = Kysely<any>
type Filter = (org: string) => Expression<SqlBool>

interface TableCopy {
  name: string
  /** The primary key's columns: the order rows are read in, batch after batch. */
  key: string[]
  /** Which rows belong to one organization. */
  ofOrganization: Filter
  /**
   * Columns that name a row of a table copied later (organizations.booking_stage_id, a stage):
   * inserted empty, set once every table is in, so each foreign key holds when it is checked.
   */
  later?: string[]
}

const byOrg: Filter = (org) => sql<SqlBool>`organization_id = ${org}`
const ofOrgContacts: Filter = (org) => sql<SqlBool>`contact_id in (select id from contacts where organization_id = ${org})`

/**
 * Every table of the schema, parents before children (foreign keys hold after each one), and how
 * one organization's rows are found in it. A table the database has and this list lacks stops the
 * copy before it writes anything: a new table must be added here.
 */
const TABLES: TableCopy[] = [
  { name: 'organizations', key: ['id'], ofOrganization: (org) => sql<SqlBool>`id = ${org}`, later: ['booking_stage_id'] },
  {
    name: 'users',
    key: ['id'],
    // Its members, and whoever its rows name (a note's author who has left the organization since).
    ofOrganization: (org) => sql<SqlBool>`id in (
      select user_id from memberships where organization_id = ${org}
      union select created_by_user_id from contacts where organization_id = ${org}
      union select user_id from activity_log where organization_id = ${org}
      union select assigned_user_id from contacts where organization_id = ${org}
      union select assigned_user_id from follow_ups where organization_id = ${org}
      union select user_id from audit_log where organization_id = ${org}
      union select created_by_user_id from notes where contact_id in (select id from contacts where organization_id = ${org}))`,
  },
  { name: 'memberships', key: ['organization_id', 'user_id'], ofOrganization: byOrg },
  { name: 'api_tokens', key: ['id'], ofOrganization: byOrg },
  { name: 'pipeline_stages', key: ['id'], ofOrganization: byOrg },
  { name: 'tags', key: ['id'], ofOrganization: byOrg },
  { name: 'automations', key: ['id'], ofOrganization: byOrg },
  { name: 'contacts', key: ['id'], ofOrganization: byOrg },
  { name: 'contact_tags', key: ['contact_id', 'tag_id'], ofOrganization: ofOrgContacts },
  { name: 'messages', key: ['id'], ofOrganization: ofOrgContacts },
  { name: 'notes', key: ['id'], ofOrganization: ofOrgContacts },
  { name: 'activity_log', key: ['id'], ofOrganization: byOrg },
  { name: 'id_numbers', key: ['organization_id', 'kind'], ofOrganization: byOrg },
  { name: 'follow_ups', key: ['id'], ofOrganization: byOrg },
  { name: 'webhook_endpoints', key: ['id'], ofOrganization: byOrg },
  { name: 'audit_log', key: ['id'], ofOrganization: byOrg },
  { name: 'manychat_status', key: ['organization_id'], ofOrganization: byOrg },
  {
    name: 'webhook_deliveries',
    key: ['id'],
    ofOrganization: (org) => sql<SqlBool>`endpoint_id in (select id from webhook_endpoints where organization_id = ${org})`,
  },
  {
    name: 'webhook_attempts',
    key: ['id'],
    ofOrganization: (org) => sql<SqlBool>`delivery_id in (select d.id from webhook_deliveries d
      join webhook_endpoints e on e.id = d.endpoint_id where e.organization_id = ${org})`,
  },
  { name: 'idempotency_keys', key: ['organization_id', 'key'], ofOrganization: byOrg },
  { name: 'invites', key: ['token_hash'], ofOrganization: byOrg },
  // One organization's copy keeps the sessions of its members that are looking at it.
  {
    name: 'sessions',
    key: ['id_hash'],
    ofOrganization: (org) =>
      sql<SqlBool>`organization_id = ${org} and user_id in (select user_id from memberships where organization_id = ${org})`,
  },
]

/** Made by the migrations themselves, the same on both sides, or short-lived request limits: never copied. */
const FROM_MIGRATIONS = ['kysely_migration', 'lead_statuses', 'rate_buckets', 'sign_in_failures']
/** Counts kept by triggers: not copied, counted again from the copied contacts. */
const RECOUNTED = ['stage_filter_counts', 'tagged_contacts', 'stage_tag_counts']

/** Rows per read and per insert: well below SQLite's 32,766 bound parameters with the widest table. */
const BATCH = 500

export interface CopyOptions {
  /** One organization's rows only; all of them when undefined. */
  organizationId?: string
  /** Empty a target that holds data first, instead of refusing it. */
  replace?: boolean
}

export interface TableReport {
  table: string
  rows: number
  checksum: string
}

/**
 * Copies `from` into `to` (both open and migrated to the same version), inside one transaction on
 * the target: a copy that fails leaves the target as it was. Then compares every table's count and
 * checksum on both sides and throws if any differ.
 */
export async function copyDatabase(from: Store, to: Store, options: CopyOptions = {}): Promise<TableReport[]> {
  const org = options.organizationId
  await checkSameSchema(from.db, to.db)
  if (org && !(await from.db.selectFrom('organizations').select('id').where('id', '=', org).executeTakeFirst())) {
    throw new CopyError(`the source has no organization ${org}`)
  }
  const filled = await nonEmptyTables(to.db)
  if (filled.length > 0 && !options.replace) {
    throw new CopyError(`the target already holds data (${filled.join(', ')}); nothing was copied. Pass --replace to delete it first`)
  }
  await to.write(async (trx) => {
    const target = trx as unknown as AnyDb
    for (const table of [...TABLES].reverse()) await target.deleteFrom(table.name).execute()
    for (const table of TABLES) {
      for await (const rows of batches(from.db, table, org)) {
        const empty = Object.fromEntries((table.later ?? []).map((column) => [column, null]))
        await target
          .insertInto(table.name)
          .values(rows.map((row) => ({ ...row, ...empty })))
          .execute()
      }
    }
    for (const table of TABLES.filter((t) => t.later)) {
      for await (const rows of batches(from.db, table, org)) {
        for (const row of rows) {
          const values = Object.fromEntries(table.later!.map((column) => [column, row[column]]))
          if (Object.values(values).every((v) => v === null)) continue
          let update = target.updateTable(table.name).set(values)
          for (const column of table.key) update = update.where(column, '=', row[column])
          await update.execute()
        }
      }
    }
    // The stages' contact counts came over with the stages, and the triggers counted every contact
    // inserted after them once more: count again from the contacts themselves.
    await target
      .updateTable('pipeline_stages')
      .set({
        contact_count: sql`(select count(*) from contacts c
          where c.organization_id = pipeline_stages.organization_id and c.pipeline_stage_id = pipeline_stages.id and c.archived_at is null)`,
      })
      .execute()
    // The same for the endpoints' waiting counts, which the outbox's triggers raised for every copied pending delivery.
    await target
      .updateTable('webhook_endpoints')
      .set({
        pending: sql`(select count(*) from webhook_deliveries d where d.endpoint_id = webhook_endpoints.id and d.status = 'pending')`,
      })
      .execute()
    await recountFilterCounts(target)
    await recountTagCounts(target)
    if (engineOf(target) === 'postgres') await restartIdentities(target)
  })
  const report: TableReport[] = []
  for (const table of TABLES) {
    const [source, copied] = [await summarize(from.db, table, org), await summarize(to.db, table, org)]
    if (source.rows !== copied.rows || source.checksum !== copied.checksum) {
      throw new CopyError(
        `verification failed for ${table.name}: source ${source.rows} rows (checksum ${source.checksum}), target ${copied.rows} rows (checksum ${copied.checksum})`,
      )
    }
    report.push({ table: table.name, ...source })
  }
  return report
}

/** The same migrations applied on both sides, and no table this copy does not know. */
async function checkSameSchema(from: AnyDb, to: AnyDb) {
  const [a, b] = [await migrationNames(from), await migrationNames(to)]
  if (a !== b) throw new CopyError('source and target are at different schema versions; run the same version of dmtracker on both')
  const known = new Set([...TABLES.map((t) => t.name), ...FROM_MIGRATIONS, ...RECOUNTED])
  const unknown = (await from.introspection.getTables()).map((t) => t.name).filter((name) => !known.has(name))
  if (unknown.length > 0) throw new CopyError(`copy does not know the table(s) ${unknown.join(', ')}; nothing was copied`)
}

async function migrationNames(db: AnyDb): Promise<string> {
  const rows = await db.selectFrom('kysely_migration').select('name').orderBy('name').execute()
  return rows.map((r) => r.name).join()
}

async function nonEmptyTables(db: AnyDb): Promise<string[]> {
  const filled: string[] = []
  for (const table of TABLES)
    if (await db.selectFrom(table.name).select(sql`1`.as('one')).limit(1).executeTakeFirst()) filled.push(table.name)
  return filled
}

/** A table's rows (one organization's, or all), BATCH at a time, in primary key order, each batch read after the last key of the one before. */
async function* batches(db: AnyDb, table: TableCopy, org: string | undefined): AsyncGenerator<Record<string, unknown>[]> {
  let after: unknown[] | undefined
  for (;;) {
    let query = db.selectFrom(table.name).selectAll()
    if (org) query = query.where(table.ofOrganization(org))
    if (after) {
      const last = after
      query = query.where((eb) =>
        table.key.length === 1
          ? eb(table.key[0]!, '>', last[0])
          : eb(eb.refTuple(...(table.key as [string, string])), '>', eb.tuple(...(last as [unknown, unknown]))),
      )
    }
    for (const column of table.key) query = query.orderBy(column)
    const rows = (await query.limit(BATCH).execute()) as Record<string, unknown>[]
    if (rows.length === 0) return
    yield rows
    if (rows.length < BATCH) return
    after = table.key.map((column) => rows.at(-1)![column])
  }
}

/**
 * Row count and a checksum of the rows' values that does not depend on their order (the engines
 * may order text differently): the sum, modulo 2^64, of a SHA-256 of each row with its columns
 * sorted by name.
 */
async function summarize(db: AnyDb, table: TableCopy, org: string | undefined): Promise<{ rows: number; checksum: string }> {
  let rows = 0
  let sum = 0n
  for await (const batch of batches(db, table, org)) {
    for (const row of batch) {
      const canonical = JSON.stringify(
        Object.keys(row)
          .sort()
          .map((column) => [column, row[column]]),
      )
      sum = (sum + createHash('sha256').update(canonical).digest().readBigUInt64BE(0)) % 2n ** 64n
      rows++
    }
  }
  return { rows, checksum: sum.toString(16).padStart(16, '0') }
}

/** Postgres identity columns do not move past ids inserted explicitly: set each to the table's largest id. */
async function restartIdentities(db: AnyDb) {
  for (const table of [
    'pipeline_stages',
    'tags',
    'automations',
    'messages',
    'notes',
    'activity_log',
    'follow_ups',
    'webhook_attempts',
    'audit_log',
  ]) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.table(table)}), 0) + 1, false)`.execute(
      db,
    )
  }
}
