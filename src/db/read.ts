import type { Kysely } from 'kysely'
import { engineOf } from '../../migrations/dialect.ts'
import type { Database } from './schema.ts'
import type { ReadDb } from './write.ts'

/**
 * Runs a request's reads on the one connection, held for their duration, so no write of this
 * process lands between them (a board's counts agree with its pages). Reads only: changes go
 * through write(). On Postgres, where other processes write too, a read-only REPEATABLE READ
 * transaction gives the same: every read sees one snapshot.
 */
export function readTogether<T>(db: Kysely<Database>, work: (db: ReadDb) => Promise<T>): Promise<T> {
  if (engineOf(db) === 'postgres') return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work)
  return db.connection().execute(work)
}
