import { Worker } from 'node:worker_threads'
import { runtime } from '#runtime'

export interface Checkpointer {
  /** Stops the worker after its current round and closes its connection. */
  stop(): Promise<void>
}

// The worker's whole program. It is plain JavaScript given as text (eval), so it needs no file of
// its own beside the compiled binary; its only dependency is the runtime's SQLite module.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const sqlite = require(workerData.module)
const Database = sqlite.Database ?? sqlite
const { path, pragmas, busyMs, idleMs } = workerData
const db = new Database(path)
for (const statement of pragmas) db.exec(statement)
const checkpoint = db.prepare('pragma wal_checkpoint(passive)')
let frames = 0
let delay = busyMs
let timer
const round = () => {
  let grew = false
  try {
    const result = checkpoint.get()
    grew = result.log !== frames
    frames = result.log
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
  parentPort.postMessage('stopped')
})
`

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
  const worker = new Worker(WORKER, { eval: true, workerData: { module: runtime.sqliteModule, path, pragmas, busyMs, idleMs } })
  worker.unref() // never what keeps the process alive
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.on('error', () => {}) // a dead checkpointer leaves the writer's backstop checkpoints; it must not crash the server
  return {
    async stop() {
      const stopped = new Promise<void>((resolve) => worker.once('message', () => resolve()))
      worker.postMessage('stop')
      await Promise.race([stopped, exited, new Promise((resolve) => setTimeout(resolve, 5000).unref?.())])
      await worker.terminate()
    },
  }
}
