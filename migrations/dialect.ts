import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely'

// Every difference between the two engines that a migration or the program must spell out, in one
// place. Migrations take Kysely<any> and call these, so one migration history makes the same
// schema on both: SQLite (the default) and PostgreSQL 15+.

export type Engine = 'sqlite' | 'postgres'

/**
 * The engine behind a Kysely handle (a transaction's too). Read code's narrower handle type
 * (ReadDb) is accepted: at run time every handle is a Kysely.
 */
export function engineOf(db: Kysely<any> | Pick<Kysely<any>, 'selectFrom'>): Engine {
  return (db as Kysely<any>).getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite'
}

/** Whether a --database value names a PostgreSQL server rather than an SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location)
}

/**
 * An integer column. SQLite's INTEGER holds 64 bits; Postgres's `integer` only 32, so `bigint`
 * there (read back as a JavaScript number, exact up to 2^53: see src/db/postgres.ts).
 */
export function integer(db: Kysely<any>): 'integer' | 'bigint' {
  return engineOf(db) === 'postgres' ? 'bigint' : 'integer'
}

/** The modifier of an id the database numbers: AUTOINCREMENT in SQLite, an identity column in Postgres. */
export function autoIncrementKey(db: Kysely<any>) {
  return engineOf(db) === 'postgres'
    ? (c: ColumnDefinitionBuilder) => c.primaryKey().generatedByDefaultAsIdentity()
    : (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement()
}

/**
 * Text compared case-insensitively (emails, stage and tag names), so that a unique index refuses
 * "VIP" next to "vip" and a plain `=` / `in` matches either, using the index. SQLite: a COLLATE
 * NOCASE column. Postgres: the `citext` type (enabled by `enableCaseInsensitiveText`), not a
 * nondeterministic collation, whose `=` cannot use a plain index and differs by ICU version.
 */
export function caseInsensitiveText(db: Kysely<any>) {
  return engineOf(db) === 'postgres' ? sql`citext` : 'text'
}

/** The column modifier that goes with caseInsensitiveText. */
export function caseInsensitive(db: Kysely<any>, column: ColumnDefinitionBuilder): ColumnDefinitionBuilder {
  return engineOf(db) === 'postgres' ? column : column.modifyEnd(sql`collate nocase`)
}

/** Postgres's citext comes as an extension; it is trusted, so the database's owner may enable it. */
export async function enableCaseInsensitiveText(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === 'postgres') await sql`create extension if not exists citext`.execute(db)
}

/** SQLite's WITHOUT ROWID table option (a table that is its primary key); Postgres has no rowid to drop. */
export function withoutRowid(db: Kysely<any>) {
  return sql.raw(engineOf(db) === 'postgres' ? '' : ' without rowid')
}

/**
 * Begins a transaction that no other process's migration runs beside: SQLite's BEGIN IMMEDIATE
 * takes the database's write lock; in Postgres a transaction-scoped advisory lock does the same
 * for every instance starting on one database (DDL is transactional on both).
 */
export async function beginMigration(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === 'postgres') {
    await sql`begin`.execute(db)
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(db)
  } else {
    await sql`begin immediate`.execute(db)
  }
}

/** The advisory lock's key: any constant that no other program on the same database uses ("dmtr"). */
const MIGRATION_LOCK = 0x646d7472

/**
 * The rows `(i, first, second)` of a JSON array of pairs bound as one parameter, `i` counting from
 * 0: SQLite's json_each, PostgreSQL's jsonb_array_elements. One parameter keeps the statement's
 * text the same whatever the array's length.
 */
export function pairsOf(db: Pick<Kysely<any>, 'selectFrom'>, json: string) {
  return engineOf(db) === 'postgres'
    ? sql`select cast(n - 1 as bigint), pair ->> 0, pair ->> 1 from jsonb_array_elements(cast(${json} as jsonb)) with ordinality as t (pair, n)`
    : sql`select cast(key as integer), json_extract(value, '$[0]'), json_extract(value, '$[1]') from json_each(${json})`
}

/**
 * The aggregate that collects `value` over a group (the rows `where` keeps, if given) into a JSON
 * array, as text ('[]' for no rows): SQLite's json_group_array, PostgreSQL's json_agg (whose json
 * the driver would parse; text keeps both engines' answers alike).
 */
export function jsonGroupArray(db: Pick<Kysely<any>, 'selectFrom'>, value: RawBuilder<unknown>, where?: RawBuilder<unknown>) {
  const filter = where ? sql` filter (where ${where})` : sql``
  return engineOf(db) === 'postgres'
    ? sql`cast(coalesce(json_agg(${value})${filter}, '[]') as text)`
    : sql`json_group_array(${value})${filter}`
}

/** A JSON array of the values: SQLite's json_array, PostgreSQL's json_build_array. */
export function jsonArray(db: Pick<Kysely<any>, 'selectFrom'>, values: RawBuilder<unknown>[]) {
  return engineOf(db) === 'postgres' ? sql`json_build_array(${sql.join(values)})` : sql`json_array(${sql.join(values)})`
}

/** Whole milliseconds from one ISO 8601 time (text) to a later one, as an integer. */
export function millisBetween(db: Pick<Kysely<any>, 'selectFrom'>, from: RawBuilder<unknown>, to: RawBuilder<unknown>) {
  return engineOf(db) === 'postgres'
    ? sql`cast(round(extract(epoch from (cast(${to} as timestamptz) - cast(${from} as timestamptz))) * 1000) as bigint)`
    : sql`cast(round((julianday(${to}) - julianday(${from})) * 86400000) as integer)`
}

/**
 * An id the database numbers, in raw SQL: SQLite's rowid alias (`integer primary key`, with or
 * without AUTOINCREMENT, as the migration first said), a bigint identity column in PostgreSQL.
 */
export function serialKey(db: Kysely<any>, sqlite: 'integer primary key' | 'integer primary key autoincrement') {
  return sql.raw(engineOf(db) === 'postgres' ? 'bigint generated by default as identity primary key' : sqlite)
}
