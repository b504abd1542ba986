import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { ReadDb } from './write.ts'

/**
 * Runs a request's reads on the one connection, held for their duration, so no write of this
 * process lands between them (a board's counts agree with its pages). Reads only: changes go
 * through write().
 */
export function readTogether<T>(db: Kysely<Database>, work: (db: ReadDb) => Promise<T>): Promise<T> {
  return db.connection().execute(work)
}
