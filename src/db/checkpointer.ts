import { Worker } from 'node:worker_threads'
import { runtime } from '#runtime'
import type { SqliteHandle } from '../runtime/types.ts'

export interface Checkpointer {
  /**
   * Called by the writer after each COMMIT, on its connection, outside any transaction: see
   * `writerCheckpoint` for what it may do there.
   */
  afterCommit(writer: SqliteHandle): void
  /** How many times the worker has synced the WAL behind a long snapshot (see SYNC_FRAMES). */
  walSyncs(): number
  /** Stops the worker after its current round and closes its connection. */
  stop(): Promise<void>
}

// The worker's whole program. It is plain JavaScript given as text (eval), so it needs no file of
// its own beside the compiled binary; its only dependency is the runtime's SQLite module.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const sqlite = require(workerData.module)
const Database = sqlite.Database ?? sqlite
const fs = require('node:fs')
const { path, pragmas, busyMs, idleMs, syncFrames, niceness, status } = workerData
try {
  const os = require('node:os')
  os.setPriority(0, Math.min(19, os.getPriority(0) + niceness))
} catch {
  // Not allowed or not supported: the worker runs at the request thread's priority.
}
const report = new Float64Array(status)
const db = new Database(path)
for (const statement of pragmas) db.exec(statement)
const checkpoint = db.prepare('pragma wal_checkpoint(passive)')
// Kept open until the worker stops: closing any descriptor of a file drops this process's POSIX
// locks on it, and SQLite's own connections here lock the database's files.
let wal
let synced = 0
let frames = 0
let delay = busyMs
let timer
const round = () => {
  let grew = false
  try {
    const result = checkpoint.get()
    grew = result.log !== frames
    frames = result.log
    report[1] = result.log
    report[2] = result.checkpointed
    report[0] = Date.now()
    if (result.log < synced) synced = 0 // the WAL started over
    if (result.log - result.checkpointed >= syncFrames && result.log - synced >= syncFrames) {
      wal ??= fs.openSync(path + '-wal', 'r')
      fs.fdatasyncSync(wal)
      synced = result.log
      report[3]++
    }
  } catch {
    // Busy or an I/O error: the next round tries again, and the writer's backstop stays in place.
  }
  delay = grew ? busyMs : Math.min(delay * 2, idleMs)
  timer = setTimeout(round, delay)
}
timer = setTimeout(round, delay)
parentPort.on('message', () => {
  clearTimeout(timer)
  db.close()
  if (wal !== undefined) fs.closeSync(wal)
  parentPort.postMessage('stopped')
})
`

/**
 * While a long read's snapshot keeps the worker from copying (an export of minutes), the WAL
 * grows by every commit and, with synchronous=NORMAL, none of it reaches the disk: the kernel
 * holds it dirty until the snapshot ends, and then the round that copies the backlog syncs all of
 * it at once, tens of MB, while the request thread appends to the same file and waits on the file
 * system's journal behind that flush. So past this many uncopied frames (4 MB) the worker syncs
 * the WAL file itself, every this many new frames: the same bytes reach the disk, spread out, off
 * the request thread.
 */
export const SYNC_FRAMES = 1024

/**
 * How many nice steps below the request thread the worker runs (Linux keeps a nice value per
 * thread). Its rounds are small and mostly wait for the disk, so on 2 cores it still keeps up
 * whenever the request thread is idle; when both want the CPU, the webhook goes first. Less than
 * the read workers' 10: a checkpoint that falls far behind grows the WAL every read must search.
 */
export const CHECKPOINT_NICENESS = 5

/** How often the worker checkpoints: while the WAL keeps changing, and at most when it does not. */
export interface CheckpointPace {
  busyMs: number
  idleMs: number
}

/**
 * Copies the WAL into the database file from a worker thread with its own connection. SQLite
 * otherwise does this inside the COMMIT that crosses the autocheckpoint size, on the thread
 * that answers requests, including two fsyncs. A PASSIVE checkpoint never waits for the writer,
 * and the writer keeps appending while it runs. Small rounds keep the tail latency low: each
 * round's fsyncs, and the WAL restart that follows a round that caught up (the writer syncs the
 * new WAL header), stall the writer for as long as the disk needs for what piled up since the
 * previous round (docs/performance.md has the measurements). So the worker runs every `busyMs`
 * while the WAL changes and backs off (doubling) to `idleMs` while nothing is written: an idle
 * server does not poll a thousand times a second. `pragmas` are the connection's (synchronous
 * decides whether the checkpoint fsyncs).
 */
export function startCheckpointer(
  path: string,
  pragmas: string[],
  { busyMs, idleMs }: CheckpointPace = { busyMs: 1, idleMs: 64 },
): Checkpointer {
  // What the worker's last round saw: [time (ms since the epoch), WAL frames, frames copied], and
  // how many WAL syncs it made.
  const status = new SharedArrayBuffer(4 * Float64Array.BYTES_PER_ELEMENT)
  const report = new Float64Array(status)
  report[0] = Date.now() // started: not stalled before its first round
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      module: runtime.sqliteModule,
      path,
      pragmas,
      busyMs,
      idleMs,
      syncFrames: SYNC_FRAMES,
      niceness: CHECKPOINT_NICENESS,
      status,
    },
  })
  worker.unref() // never what keeps the process alive
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.on('error', () => {}) // a dead checkpointer leaves the writer's backstop checkpoints; it must not crash the server
  let handledRound = 0
  let backstopOn = false
  return {
    afterCommit(writer) {
      const round = { at: report[0]!, frames: report[1]!, copied: report[2]! }
      const action = writerCheckpoint(round, Date.now(), handledRound, backstopOn)
      if (action === 'backstop on' || action === 'backstop off') {
        backstopOn = action === 'backstop on'
        writer.exec(`pragma wal_autocheckpoint = ${backstopOn ? BACKSTOP_CHECKPOINT_PAGES : 0}`)
      } else if (action === 'finish') {
        handledRound = round.at
        writer.exec('pragma wal_checkpoint(passive)')
      }
    },
    walSyncs: () => report[3]!,
    async stop() {
      const stopped = new Promise<void>((resolve) => worker.once('message', () => resolve()))
      worker.postMessage('stop')
      await Promise.race([stopped, exited, new Promise((resolve) => setTimeout(resolve, 5000).unref?.())])
      await worker.terminate()
    },
  }
}

/**
 * Past this many WAL frames (40 MB) the writer helps: it finishes a catch-up so that the WAL can
 * start over, or checkpoints itself when the worker has stalled. Below journal_size_limit, so that
 * a restart never truncates the file and grows it again.
 */
export const BACKSTOP_CHECKPOINT_PAGES = 10_000
/** A worker silent for this long is taken as stalled; the writer's own checkpoints take over. */
export const STALL_MS = 2000
/** The most frames a writer's finishing checkpoint may find still to copy (1 MB). */
export const FINISH_FRAMES = 256

/**
 * What the writer does after a COMMIT, given the worker's last round. The worker copies the WAL,
 * but under sustained writes it seldom sees the WAL fully copied at the moment the writer starts a
 * transaction, and only then does SQLite start the WAL over; so once the WAL is large and the
 * worker has all but caught up, the writer copies the last few frames itself (`finish`, once per
 * round), and its next BEGIN restarts the WAL. It never copies a large backlog: that is what a long
 * read (an export's snapshot) leaves behind, tens of MB that the worker copies off this thread;
 * SQLite's own automatic checkpoint did it inside a webhook's COMMIT, for hundreds of ms. Only if
 * the worker has stalled does SQLite's automatic checkpoint come back (`backstop on`).
 */
export function writerCheckpoint(
  round: { at: number; frames: number; copied: number },
  now: number,
  handledRound: number,
  backstopOn: boolean,
): 'none' | 'finish' | 'backstop on' | 'backstop off' {
  const stalled = now - round.at > STALL_MS
  if (stalled !== backstopOn) return stalled ? 'backstop on' : 'backstop off'
  if (stalled || round.at === handledRound) return 'none'
  return round.frames >= BACKSTOP_CHECKPOINT_PAGES && round.frames - round.copied <= FINISH_FRAMES ? 'finish' : 'none'
}
