import { type Kysely, type Migration, sql } from 'kysely'
import { beginMigration } from '../../migrations/dialect.ts'
import { migrations as registered } from '../../migrations/index.ts'
import { isoTime } from '../core/time.ts'

/** How long a start waits for another process that is migrating the same database. */
const WAIT_FOR_OTHER_MIGRATOR_MS = 10 * 60_000

/**
 * Applies every pending migration; throws with the failing migration's name.
 *
 * Each migration runs in its own BEGIN IMMEDIATE transaction together with the row that records
 * it, so a crash at any moment leaves the schema before or after that migration, never between
 * (SQLite's DDL is transactional, although Kysely's Migrator treats it as not). BEGIN IMMEDIATE
 * takes the write lock before the list of applied migrations is read: processes started together
 * on one database queue behind the first, then find its work done and go on.
 * The table keeps the name and columns of Kysely's Migrator, which earlier versions used.
 * On Postgres the same, with an advisory lock in place of the write lock (see migrations/dialect.ts).
 */
export async function migrateToLatest(db: Kysely<any>, migrations: Record<string, Migration> = registered): Promise<string[]> {
  const names = Object.keys(migrations).sort()
  const applied: string[] = []
  await db.connection().execute(async (conn) => {
    for (;;) {
      await beginImmediate(conn)
      let name: string | undefined
      try {
        await sql`create table if not exists kysely_migration (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(
          conn,
        )
        const done = new Set((await sql<{ name: string }>`select name from kysely_migration`.execute(conn)).rows.map((r) => r.name))
        const unknown = [...done].find((n) => !migrations[n])
        if (unknown)
          throw new Error(`the database has migration ${unknown}, which this version does not know; it was made by a newer version`)
        name = names.find((n) => !done.has(n))
        if (name) {
          await migrations[name]!.up(conn)
          await sql`insert into kysely_migration (name, timestamp) values (${name}, ${isoTime()})`.execute(conn)
        }
        await sql`commit`.execute(conn)
      } catch (error) {
        await sql`rollback`.execute(conn).catch(() => {})
        const reason = error instanceof Error ? error.message : String(error)
        throw new Error(name ? `migration ${name} failed: ${reason}` : `migrations failed: ${reason}`)
      }
      if (!name) return
      applied.push(name)
    }
  })
  return applied
}

/**
 * BEGIN IMMEDIATE, retried while another process holds the write lock longer than the busy
 * timeout (a migration building an index over many rows can take minutes).
 */
async function beginImmediate(conn: Kysely<any>): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_OTHER_MIGRATOR_MS
  for (;;) {
    try {
      await beginMigration(conn)
      return
    } catch (error) {
      if (!/busy|locked/i.test(String((error as Error)?.message)) || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
