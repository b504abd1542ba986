import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { type Change, collectChanges } from './changes.ts'
import type { ReadHooks, ReadPool, RunTasks, StreamTasks } from './read-pool.ts'
import type { Database } from './schema.ts'
import type { Trx, Write } from './write.ts'

/** PostgreSQL's int8 type (bigint, count(*)) and its parser for this program. */
const INT8_OID = 20

/**
 * Integer columns are `bigint` in Postgres (SQLite's INTEGER is 64-bit too), which `pg` returns
 * as text. The program's integers (ids, numbers, counts, positions) stay far below 2^53, so they
 * are read as numbers, exactly: one that is not exact is an error, never a silently rounded value.
 * Instagram ids, which do exceed 2^53, are text columns on both engines.
 */
function parseInt8(text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) throw new RangeError(`integer ${text} is beyond 2^53 and cannot be read exactly`)
  return value
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

export interface PostgresOptions {
  /** Connections this process keeps to the server (each request's transaction holds one). */
  poolSize?: number
}

/** A Kysely handle over a pool of connections to `url`. */
export function openPostgres(url: string, { poolSize = 10 }: PostgresOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types })
  // An idle connection the server dropped (a restart, a failover) must not crash the process:
  // the pool discards it and the next request gets a new one.
  pool.on('error', () => {})
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}

// SQLSTATEs after which the same transaction, run again, can succeed: another transaction's
// change made this one's reads stale (serialization_failure), two waited on each other
// (deadlock_detected), or a concurrent transaction inserted the row this one found missing
// (unique_violation: the services look before they insert, so on one writer, SQLite, it never
// happens; here it means "someone was faster", and the retry finds their row).
const RETRYABLE = new Set(['40001', '40P01', '23505'])
/** Enough for hundreds of concurrent requests on one row; each retry waits longer (see below). */
const MAX_ATTEMPTS = 40

/**
 * Postgres's write path: each `store.write` is its own SERIALIZABLE transaction on a pooled
 * connection, which gives the guarantees SQLite's single writer gives: the outcome is that of the
 * transactions run one after another, so no update is lost and two concurrent replies of a new
 * subscriber cannot both see "no contact yet" and make two (one of them is told to retry, and
 * then finds the other's contact). A transaction Postgres refuses to serialize is run again from
 * the start: `work` only touches its transaction, so running it again is safe. It settles after
 * COMMIT, which with the server's default synchronous_commit is on disk.
 *
 * The contacts a write changed are published to this process's feed after the COMMIT (as on
 * SQLite, see write.ts) and announced to the other instances with NOTIFY in the same transaction,
 * which PostgreSQL delivers only if it commits (see listenForChanges).
 */
export function createPostgresWriter(db: Kysely<Database>, instance: string, onCommit: (changes: Change[]) => void): Write {
  const once = <T>(work: (trx: Trx) => Promise<T>, key: string | undefined, changes: Change[]): Promise<T> => {
    const run = (conn: Kysely<Database>) =>
      conn
        .transaction()
        .setIsolationLevel('serializable')
        .execute(async (trx) => {
          collectChanges(trx, changes)
          const result = await work(trx as unknown as Trx)
          for (let i = 0; i < changes.length; i += CHANGES_PER_NOTIFY) {
            const payload = JSON.stringify({ from: instance, changes: changes.slice(i, i + CHANGES_PER_NOTIFY) })
            await sql`select pg_notify(${CHANGES_CHANNEL}, ${payload})`.execute(trx)
          }
          return result
        })
    if (key === undefined) return run(db)
    // The key's lock is taken before BEGIN, so the transaction's snapshot is taken after the
    // previous holder committed and sees its change: requests of one organization take turns
    // instead of colliding (a hot row, such as its id counters, would make most of them retry).
    // A session lock, released in `finally` on the same connection whatever happened.
    return db.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(hashtext(${key}))`.execute(conn)
      try {
        return await run(conn)
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(conn)
      }
    })
  }
  return async (work, options) => {
    for (let attempt = 1; ; attempt++) {
      // Each attempt collects afresh: a rolled-back attempt's changes never happened.
      const changes: Change[] = []
      try {
        const result = await once(work, options?.serializeBy, changes)
        if (changes.length > 0) onCommit(changes)
        return result
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !RETRYABLE.has(String((error as { code?: unknown })?.code))) throw error
        // Spread the retries out, more after each collision, so that the transactions that
        // collided do not collide again (randomized exponential backoff, at most 0.5 s).
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 2 ** attempt)))
      }
    }
  }
}

/** The NOTIFY channel of committed changes, shared by the instances of one database. */
const CHANGES_CHANNEL = 'dmtracker_changes'
/** A NOTIFY payload must stay under 8000 bytes; a change takes under 100. */
const CHANGES_PER_NOTIFY = 50
/** How long to wait before listening again after the connection was lost. */
const RELISTEN_MS = 1000

/**
 * Receives the changes other instances commit (LISTEN on its own connection, outside the pool)
 * and hands them to `publish`, so that a board served here updates for a reply recorded there.
 * A lost connection is opened again; changes announced meanwhile are not seen (a board reloaded
 * shows them). Resolves once listening.
 */
export async function listenForChanges(url: string, instance: string, publish: (changes: Change[]) => void) {
  let client: pg.Client | undefined
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const connect = async () => {
    const next = new pg.Client({ connectionString: url })
    const retry = () => {
      if (client !== next || stopped) return
      client = undefined
      next.end().catch(() => {})
      timer = setTimeout(() => connect().catch(() => {}), RELISTEN_MS)
    }
    client = next
    next.on('error', retry)
    next.on('end', retry)
    next.on('notification', (message) => {
      try {
        const { from, changes } = JSON.parse(message.payload ?? '') as { from: string; changes: Change[] }
        if (from !== instance) publish(changes)
      } catch {
        // Not ours: another program's NOTIFY on the same channel name.
      }
    })
    try {
      await next.connect()
      await next.query(`listen ${CHANGES_CHANNEL}`)
    } catch (error) {
      retry()
      throw error
    }
  }
  await connect()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await client?.end().catch(() => {})
    },
  }
}

/** A URL fit for a log line or a message: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://(unparsable URL)'
  }
}

/**
 * The read pool's interface (db/read-pool.ts) on PostgreSQL: the server does the reading, in its
 * own processes, so a long read needs no worker thread here; each read runs on a pooled
 * connection in one read-only REPEATABLE READ transaction, so it sees one snapshot (an export's
 * pages agree with each other, as in a worker's SQLite transaction).
 */
export function createPostgresReads<R extends RunTasks, S extends StreamTasks>(
  db: Kysely<Database>,
  runTasks: R,
  streamTasks: S,
  hooks: ReadHooks = {},
): ReadPool<R, S> {
  const snapshot = () => db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only')
  let running = 0
  return {
    async run(task, args) {
      running++
      try {
        return (await snapshot().execute((trx) => runTasks[task]!(trx, args))) as never
      } finally {
        running--
      }
    },
    async stream(task, args, onCutShort) {
      let iterator: AsyncIterator<string> | undefined
      let first: IteratorResult<string> | undefined
      let release = () => {}
      const released = new Promise<void>((resolve) => (release = resolve))
      let started = false
      // The transaction stays open until the stream ends or is cancelled; the stream settles once
      // the first chunk is ready, so a bad request is still a JSON error, not a cut stream.
      await new Promise<void>((resolve, reject) => {
        snapshot()
          .execute(async (trx) => {
            iterator = streamTasks[task]!(trx, args, { pageSize: hooks.pageSize })[Symbol.asyncIterator]()
            first = await iterator.next()
            started = true
            resolve()
            await released
          })
          .catch((error: Error) => {
            if (started) onCutShort?.(error)
            else reject(error)
          })
      })
      const encoder = new TextEncoder()
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const next = first ?? (await iterator!.next())
            first = undefined
            if (next.done) {
              controller.close()
              release()
            } else controller.enqueue(encoder.encode(next.value))
          } catch (error) {
            controller.error(error)
            onCutShort?.(error as Error)
            release()
          }
        },
        async cancel() {
          await iterator?.return?.()
          release()
        },
      })
    },
    stats: () => ({ running, queued: 0, workers: 0 }),
    close: async () => {},
  }
}
