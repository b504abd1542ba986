// A read worker's program (see src/db/read-pool.ts): its own read-only connection, one read at a
// time, each read in one transaction so it sees one snapshot of the database. Bundled into the
// compiled binary as a second entry point (scripts/build.ts).
import { getPriority, setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { Kysely, SqliteDialect } from 'kysely'
import { runtime } from '#runtime'
import { type FromWorker, type ReadWorkerData, serializeError, type ToWorker } from './db/read-pool.ts'
import type { Database } from './db/schema.ts'
import { runTasks, streamTasks } from './read-tasks.ts'

/** How much lower than the request thread's priority the reads run (see below). */
const READ_NICENESS = 10
const port = parentPort!
// Below the request thread: on Linux a nice value belongs to a thread, so this one (an export, a
// report, a board) gets the CPU only when the thread that answers requests (every webhook's write)
// does not want it. On 2 cores an export otherwise takes a core from the writer's neighbours and a
// webhook waits its turn. 10 steps lower (relative, so a server started with `nice` keeps its order).
try {
  setPriority(0, Math.min(19, getPriority(0) + READ_NICENESS))
} catch {
  // Not allowed or not supported (another OS): the reads run at the request thread's priority.
}
const { path, busyTimeoutMs, foreground, hooks } = workerData as ReadWorkerData
/** [requests in flight, requests started] on the main thread (src/http/foreground.ts). */
const requests = new Int32Array(foreground)
const sqlite = runtime.openSqlite(path, { readonly: true })
sqlite.exec(`pragma busy_timeout = ${Math.trunc(busyTimeoutMs)}`)
sqlite.exec('pragma temp_store = memory')
const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite.database }) })
const encoder = new TextEncoder()

/** The stream being sent: it waits for `more` (the client took the last chunk) or `cancel`. */
let current: { id: number; cancelled: boolean; wake?: () => void } | undefined

const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)

port.on('message', (message: ToWorker) => {
  if (message.type === 'run' || message.type === 'stream') void read(message)
  else if (current?.id === message.id) {
    if (message.type === 'cancel') current.cancelled = true
    current.wake?.()
  }
})

async function read(message: ToWorker & { type: 'run' | 'stream' }) {
  await sleep(restUntil - performance.now())
  const startedBefore = Atomics.load(requests, 1)
  const readStarted = performance.now()
  // BEGIN (deferred) starts the snapshot at the first read and keeps it until the rollback: every
  // page of an export comes from the same database state. Nothing is written, so rollback ends it.
  sqlite.exec('begin')
  try {
    if (message.type === 'run')
      send({ type: 'result', id: message.id, value: await runTasks[message.task as keyof typeof runTasks](db, message.args as never) })
    else await stream(message)
  } catch (error) {
    send({ type: 'error', id: message.id, error: serializeError(error) })
  } finally {
    sqlite.exec('rollback')
  }
  // Exports pace themselves page by page (stream below); a report or a list is one statement, so
  // the pause comes after it, and only if requests came meanwhile.
  if (message.type === 'run' && Atomics.load(requests, 1) !== startedBefore) {
    const readEnded = performance.now()
    restUntil = readEnded + Math.min(MAX_REST_MS, REST_FACTOR * (readEnded - readStarted))
  }
}

async function stream({ id, task, args }: { id: number; task: string; args: unknown }) {
  const state: NonNullable<typeof current> = { id, cancelled: false }
  current = state
  let first = true
  try {
    let pageStarted = performance.now()
    for await (const text of streamTasks[task as keyof typeof streamTasks](db, args as never, { pageSize: hooks.pageSize })) {
      const bytes = encoder.encode(text)
      const worked = performance.now() - pageStarted
      const more = state.cancelled ? undefined : new Promise<void>((resolve) => (state.wake = resolve))
      send({ type: 'chunk', id, bytes }, [bytes.buffer as ArrayBuffer])
      if (first && hooks.gate) holdAtGate(new Int32Array(hooks.gate))
      first = false
      await more // back-pressure: the next page is read only once the client has taken this one
      if (state.cancelled) return send({ type: 'end', id }) // leaving the loop ends the generator
      await untilIdle(worked)
      pageStarted = performance.now()
    }
    send({ type: 'end', id })
  } finally {
    current = undefined
  }
}

const sleep = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve())

/**
 * How many times a read's own time a worker rests before its next read when requests came in while
 * it read: so back-to-back reports (a dashboard polling analytics) take at most a quarter of a CPU
 * while the server answers webhooks, and a whole CPU when none come (docs/performance.md, "With
 * analytics (issue 17)"). Each report still runs at full speed; the next one waits.
 */
const REST_FACTOR = 3
/** The longest rest: the next read's client gets no byte meanwhile, and HTTP servers drop idle connections (Bun after 10 s). */
const MAX_REST_MS = 1000
/** When the next read may start (performance.now() time). */
let restUntil = 0

/** How many times the last page's work an export waits, at most, for the main thread to be idle. */
const IDLE_WAIT_FACTOR = 3

/**
 * Waits for a moment when the main thread answers no request, looking every millisecond, and for
 * at most IDLE_WAIT_FACTOR times `worked` (what the last page took to read and encode, not the
 * wait for the client). So an export reads its pages between webhooks rather than beside them: on
 * 2 cores even a reader at the lowest priority slows a request running beside it (docs/performance.md,
 * "What a webhook waits for beside an export"). Under a load that never pauses it still works a
 * quarter of the time: an export may take longer, a webhook must not wait.
 */
async function untilIdle(worked: number) {
  const until = performance.now() + IDLE_WAIT_FACTOR * worked
  while (Atomics.load(requests, 0) > 0 && performance.now() < until) await sleep(1)
}

/** Test hook: blocks this thread, as a long query would, until the test opens the gate. */
function holdAtGate(gate: Int32Array) {
  Atomics.store(gate, 1, 1)
  Atomics.notify(gate, 1)
  Atomics.wait(gate, 0, 0)
}
