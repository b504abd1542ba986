import { CompiledQuery, type Kysely } from 'kysely'
import type { Database } from './schema.ts'

export interface GroupCommitOptions {
  /** Most requests one transaction holds, so a long queue cannot hold its first answer back indefinitely. */
  maxBatch?: number
  /** Lets the event loop run what is ready (arriving requests) before a batch commits. */
  yieldToEventLoop?: () => Promise<void>
  /** Runs after each COMMIT, still holding the connection, outside any transaction (checkpoint upkeep). */
  afterCommit?: () => void
}

interface Pending {
  work: (conn: Conn) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/** The connection a batch runs on, inside its transaction. */
type Conn = Kysely<Database>

/** Runs `work` in the next batch; settles after the COMMIT that holds it. */
export type GroupWriter = <T>(work: (conn: Conn) => Promise<T>) => Promise<T>

type Outcome = { pending: Pending; ok: true; value: unknown } | { pending: Pending; ok: false; error: unknown }

const raw = (text: string) => CompiledQuery.raw(text)
const BEGIN = raw('begin immediate')
const COMMIT = raw('commit')
const ROLLBACK = raw('rollback')
const SAVEPOINT = raw('savepoint request')
const RELEASE = raw('release request')
const ROLLBACK_TO = raw('rollback to request')

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Group commit: requests that arrive together share one BEGIN IMMEDIATE ... COMMIT, so one
 * commit (one fsync with synchronous=FULL) serves many of them. Each request runs alone, in
 * arrival order, inside its own SAVEPOINT: one that throws is rolled back to it and fails
 * alone. Every request settles only after the COMMIT that holds its change has returned; if
 * that COMMIT fails, every request of the batch fails and none is acknowledged. A batch closes
 * when nothing else is waiting after a turn of the event loop, or at `maxBatch`; a lone request
 * is run at once and committed after that one turn.
 */
export function createGroupWriter(
  db: Kysely<Database>,
  { maxBatch = 128, yieldToEventLoop = nextTurn, afterCommit }: GroupCommitOptions = {},
): GroupWriter {
  const queue: Pending[] = []
  let draining = false

  async function drain() {
    try {
      // One batch per hold of the connection, so reads waiting for it get a turn between batches.
      while (queue.length > 0) await db.connection().execute(runBatch)
    } catch (error) {
      // No connection (the store was closed): nobody waiting can be served.
      for (const pending of queue.splice(0)) pending.reject(error)
    } finally {
      draining = false
    }
  }

  async function runBatch(conn: Conn) {
    try {
      await conn.executeQuery(BEGIN)
    } catch (error) {
      // Busy for longer than the busy timeout: everyone waiting would meet the same lock.
      for (const pending of queue.splice(0)) pending.reject(error)
      return
    }
    const outcomes: Outcome[] = []
    while (outcomes.length < maxBatch) {
      if (queue.length === 0) {
        await yieldToEventLoop()
        if (queue.length === 0) break
      }
      const pending = queue.shift()!
      const outcome = await runOne(conn, pending)
      outcomes.push(outcome)
      if (outcome.ok === false && !(await rolledBackTo(conn))) {
        // SQLite ended the whole transaction (disk full, I/O error): the batch's earlier changes are gone too.
        await conn.executeQuery(ROLLBACK).catch(() => {})
        return settle(outcomes, { error: outcome.error })
      }
    }
    try {
      await conn.executeQuery(COMMIT)
    } catch (error) {
      await conn.executeQuery(ROLLBACK).catch(() => {}) // may already be rolled back
      return settle(outcomes, { error })
    }
    settle(outcomes)
    try {
      afterCommit?.()
    } catch {
      // Upkeep only: the batch is committed and answered; a failed checkpoint is retried after the next one.
    }
  }

  return <T>(work: (conn: Conn) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      if (!draining) {
        draining = true
        void drain()
      }
    })
}

async function runOne(conn: Conn, pending: Pending): Promise<Outcome> {
  try {
    await conn.executeQuery(SAVEPOINT)
    const value = await pending.work(conn)
    await conn.executeQuery(RELEASE)
    return { pending, ok: true, value }
  } catch (error) {
    return { pending, ok: false, error }
  }
}

/** Undoes the failed request's changes; false when there is no transaction left to roll back into. */
async function rolledBackTo(conn: Conn): Promise<boolean> {
  try {
    await conn.executeQuery(ROLLBACK_TO)
    await conn.executeQuery(RELEASE)
    return true
  } catch {
    return false
  }
}

/** Answers the batch in arrival order; with `lost`, the transaction did not commit and nobody succeeds. */
function settle(outcomes: Outcome[], lost?: { error: unknown }) {
  for (const outcome of outcomes) {
    if (!outcome.ok) outcome.pending.reject(outcome.error)
    else if (lost) outcome.pending.reject(lost.error)
    else outcome.pending.resolve(outcome.value)
  }
}
