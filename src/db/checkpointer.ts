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
const db = new Database(workerData.path)
for (const statement of workerData.pragmas) db.exec(statement)
const timer = setInterval(() => {
  try {
    db.exec('pragma wal_checkpoint(passive)')
  } catch {
    // Busy or an I/O error: the next round tries again, and the writer's backstop stays in place.
  }
}, workerData.intervalMs)
parentPort.on('message', () => {
  clearInterval(timer)
  db.close()
  parentPort.postMessage('stopped')
})
`

/**
 * Copies the WAL into the database file from a worker thread with its own connection, every
 * `intervalMs`. SQLite otherwise does this inside the COMMIT that crosses the autocheckpoint
 * size, on the thread that answers requests, including two fsyncs: under load that stall was
 * a sixth of each request's time. A PASSIVE checkpoint never waits for the writer, and the
 * writer keeps appending while it runs. Short rounds keep each fsync small: the disk syncs
 * of a round stall the writer's own appends (the file system journal), and with 100 ms rounds
 * p99 latency was three times higher. A round with nothing to copy does nothing. `pragmas` are
 * the connection's (synchronous decides whether the checkpoint fsyncs).
 */
export function startCheckpointer(path: string, pragmas: string[], intervalMs = 10): Checkpointer {
  const worker = new Worker(WORKER, { eval: true, workerData: { module: runtime.sqliteModule, path, pragmas, intervalMs } })
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
