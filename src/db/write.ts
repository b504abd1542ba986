import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.ts'

/** A Kysely handle bound to the open write transaction. */
export type Trx = Kysely<Database>

/** Runs `work` as one transaction: committed if it returns, rolled back if it throws. */
export type Write = <T>(work: (trx: Trx) => Promise<T>) => Promise<T>

/**
 * The one place that owns transactions. Route handlers and services receive a `trx`
 * and never begin or commit themselves. BEGIN IMMEDIATE takes the write lock up front, so
 * a transaction never fails half-way because another process started writing.
 */
export function createWriter(db: Kysely<Database>): Write {
  return (work) =>
    db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn)
      try {
        const result = await work(conn)
        await sql`commit`.execute(conn)
        return result
      } catch (error) {
        await sql`rollback`.execute(conn).catch(() => {}) // SQLite may already have rolled back
        throw error
      }
    })
}
