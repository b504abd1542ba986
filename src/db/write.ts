import type { Kysely } from 'kysely'
import { type Change, collectChanges } from './changes.ts'
import { createGroupWriter } from './group-commit.ts'
import type { Database } from './schema.ts'

declare const writeHandle: unique symbol

/**
 * A Kysely handle bound to the open write transaction. Only `createWriter` (that is, `store.write`)
 * makes one, so a function that takes a `Trx` cannot be called outside a write transaction.
 */
export type Trx = Kysely<Database> & { readonly [writeHandle]: true }

/**
 * What read code gets: the query builders that only read. A write handle is one too, so the same
 * read function serves a write service, but an insert, update or delete on it does not compile.
 */
export type ReadDb = Pick<Kysely<Database>, 'selectFrom' | 'selectNoFrom' | 'fn'>

/**
 * Runs `work` as one atomic change: kept if it returns, undone if it throws, and settled only
 * after the COMMIT holding it has returned (so, with synchronous=FULL, once it is on disk).
 */
export type Write = <T>(work: (trx: Trx) => Promise<T>) => Promise<T>

/**
 * The one place that owns transactions. Route handlers and services receive a `trx`
 * and never begin or commit themselves. BEGIN IMMEDIATE takes the write lock up front, so
 * a transaction never fails half-way because another process started writing. Requests that
 * arrive together share one transaction and one commit, each in its own savepoint
 * (group commit, see group-commit.ts): durable commits cost one fsync per batch, not per request.
 */
export function createWriter(db: Kysely<Database>, onCommit: (changes: Change[]) => void = () => {}, afterCommit?: () => void): Write {
  const write = createGroupWriter(db, { afterCommit })
  return async (work) => {
    const changes: Change[] = []
    // Settles after the COMMIT; a work that threw (rolled back) never gets here with its changes.
    const result = await write((conn) => {
      collectChanges(conn, changes)
      return work(conn as Trx)
    })
    if (changes.length > 0) onCommit(changes)
    return result
  }
}
