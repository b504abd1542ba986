import type { Worker } from 'node:worker_threads'
import { runtime } from '#runtime'
import { AppError } from '../core/errors.ts'
import type { ReadDb } from './write.ts'

// Long reads (exports, lists, boards, details) run here: in worker threads, each with its own
// read-only SQLite connection, so a read that takes seconds never holds the connection and the
// thread that every write (every ManyChat webhook) needs. WAL lets these readers run beside the
// writer. See docs/architecture.md, "Reads and the write path".

/** What a worker is told at start; `hooks` are for tests only (see ReadHooks). */
export interface ReadWorkerData {
  path: string
  busyTimeoutMs: number
  /**
   * The main thread's request counters (src/http/foreground.ts): index 0 in flight, which exports
   * yield to; index 1 started, which tells a worker whether requests came while it read.
   */
  foreground: SharedArrayBuffer
  hooks: ReadHooks
}

/**
 * Test-only knobs, never set by the server. `gate`: a worker reaching a stream's second page
 * blocks its thread (as a slow query would) until the test writes 1 to index 0 and notifies;
 * it sets index 1 to 1 when it gets there. `pageSize`: rows per export page.
 */
export interface ReadHooks {
  gate?: SharedArrayBuffer
  pageSize?: number
}

/** Messages between the pool and a worker; `id` names the read. */
export type ToWorker = { type: 'run' | 'stream'; id: number; task: string; args: unknown } | { type: 'more' | 'cancel'; id: number }

export type FromWorker =
  | { type: 'result'; id: number; value: unknown }
  | { type: 'chunk'; id: number; bytes: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; error: SerializedError }

/** An error as it crosses the thread boundary: AppErrors keep their kind, SQLite errors their code. */
export interface SerializedError {
  message: string
  kind?: AppError['kind']
  details?: AppError['details']
  headers?: Record<string, string>
  code?: string
}

/** Reads that answer with one value: `(db, args) => result`, args and result structured-cloneable. */
// biome-ignore lint/suspicious/noExplicitAny: each task names its own argument type; unknown would refuse them all
export type RunTasks = Record<string, (db: ReadDb, args: any) => Promise<unknown>>
/** Reads that answer with a stream of text chunks, one page of rows each. */
// biome-ignore lint/suspicious/noExplicitAny: as for RunTasks
export type StreamTasks = Record<string, (db: ReadDb, args: any, options: { pageSize?: number }) => AsyncIterable<string>>

export interface ReadPoolOptions {
  /** The worker's program (src/read-worker.ts); given by the caller, so that this file knows no task. */
  entry: URL
  path: string
  /** Worker threads, that is the most long reads that run at once. */
  workers: number
  busyTimeoutMs?: number
  /** Reads waiting for a worker; one more is a 503 (exports also wait while all but one worker export). */
  queueLimit?: number
  /** A read (its snapshot) may last this long; then it is ended, so it cannot hold back WAL checkpoints forever. */
  maxReadMs?: number
  /** The main thread's requests in flight (src/http/foreground.ts): exports yield to them. None given: they never yield. */
  foreground?: SharedArrayBuffer
  hooks?: ReadHooks
}

export interface ReadPool<R extends RunTasks = RunTasks, S extends StreamTasks = StreamTasks> {
  /** Runs a task to completion in one read transaction and returns its (structured-cloneable) result. */
  run<K extends keyof R & string>(task: K, args: Parameters<R[K]>[1]): Promise<Awaited<ReturnType<R[K]>>>
  /**
   * Streams a task's chunks in one read transaction. Settles once the first chunk is ready (so a
   * bad request is still a JSON error, not a cut stream); the worker makes the next chunk only
   * when the client has taken the previous one, and cancelling the stream stops it. Once the status
   * line is out, a failure can only cut the stream short: `onCutShort` hears of it.
   */
  stream<K extends keyof S & string>(
    task: K,
    args: Parameters<S[K]>[1],
    onCutShort?: (error: Error) => void,
  ): Promise<ReadableStream<Uint8Array>>
  /** Reads running and waiting, for tests and logs. */
  stats(): { running: number; queued: number; workers: number }
  close(): Promise<void>
}

/** Seconds a client is told to wait when every worker is busy and the queue is full. */
export const READ_RETRY_AFTER_SECONDS = 2
const DEFAULT_MAX_READ_MS = 10 * 60_000

interface Job {
  id: number
  message: ToWorker
  /** Called with each message from the worker for this read, until the read ends. */
  onMessage(message: FromWorker): void
  /** The worker died or the pool closed. */
  onFailure(error: Error): void
  worker?: Slot
  timer?: ReturnType<typeof setTimeout>
  /** Ended for lasting past maxReadMs: its stream must end in an error, not look complete. */
  expired?: boolean
}

interface Slot {
  worker: Worker
  job?: Job
}

export function createReadPool<R extends RunTasks, S extends StreamTasks>({
  entry,
  path,
  workers,
  busyTimeoutMs = 5000,
  queueLimit = 16 * workers,
  maxReadMs = DEFAULT_MAX_READ_MS,
  foreground = new SharedArrayBuffer(8), // the two counters of src/http/foreground.ts
  hooks = {},
}: ReadPoolOptions): ReadPool<R, S> {
  // Exports leave one worker free (when there are two or more) so lists and boards do not wait
  // behind a multi-second export.
  const streamLimit = Math.max(1, workers - 1)
  const slots: Slot[] = []
  const queue: Job[] = []
  let nextId = 1
  let closed = false
  const data: ReadWorkerData = { path, busyTimeoutMs, foreground, hooks }

  // Workers start on the first read that needs one and stay: commands that read nothing start none.
  function startWorker(): Slot {
    const slot: Slot = { worker: runtime.startWorker(entry, data) }
    slot.worker.unref()
    slot.worker.on('message', (message: FromWorker) => {
      if (slot.job?.id === message.id) slot.job.onMessage(message)
    })
    const lose = (error: Error) => {
      if (!slots.includes(slot)) return // 'error' is followed by 'exit'
      slots.splice(slots.indexOf(slot), 1)
      const job = slot.job
      slot.job = undefined
      if (job) finish(job, slot, () => job.onFailure(error))
      else dispatch()
    }
    slot.worker.on('error', lose)
    slot.worker.on('exit', (code) => lose(new Error(`read worker exited (${code})`)))
    slots.push(slot)
    return slot
  }

  function dispatch() {
    while (!closed) {
      const streams = slots.filter((s) => s.job?.message.type === 'stream').length
      const index = queue.findIndex((j) => j.message.type !== 'stream' || streams < streamLimit)
      if (index === -1) return
      const slot = slots.find((s) => !s.job) ?? (slots.length < workers ? startWorker() : undefined)
      if (!slot) return
      const job = queue.splice(index, 1)[0]!
      slot.job = job
      job.worker = slot
      job.timer = setTimeout(() => {
        job.expired = true
        cancel(job)
      }, maxReadMs)
      job.timer.unref?.()
      slot.worker.postMessage(job.message)
    }
  }

  /** Frees the job's worker for the next read; `then` settles the job's caller. */
  function finish(job: Job, slot: Slot | undefined, then: () => void) {
    clearTimeout(job.timer)
    if (slot?.job === job) slot.job = undefined
    job.worker = undefined
    then()
    dispatch()
  }

  function cancel(job: Job) {
    job.worker?.worker.postMessage({ type: 'cancel', id: job.id } satisfies ToWorker)
  }

  function enqueue(job: Omit<Job, 'id' | 'message'>, message: Omit<ToWorker & { type: 'run' | 'stream' }, 'id'>): Job {
    if (closed) throw new AppError('unavailable', 'The server is shutting down.')
    const id = nextId++
    const full: Job = { ...job, id, message: { ...message, id } as ToWorker }
    queue.push(full)
    dispatch()
    if (queue.length > queueLimit && queue.at(-1) === full) {
      queue.pop()
      throw new AppError('unavailable', 'Too many long reads are running; try again shortly.', undefined, {
        'Retry-After': String(READ_RETRY_AFTER_SECONDS),
      })
    }
    return full
  }

  return {
    run(task: string, args: unknown) {
      // biome-ignore lint/suspicious/noExplicitAny: the worker's answer is the task's result, typed by ReadPool's signature
      return new Promise<any>((resolve, reject) => {
        const job: Job = enqueue(
          {
            onMessage(message) {
              if (message.type === 'result') finish(job, job.worker, () => resolve(message.value))
              else if (message.type === 'error') finish(job, job.worker, () => reject(deserializeError(message.error)))
            },
            onFailure: reject,
          },
          { type: 'run', task, args },
        )
      })
    },

    stream(task: string, args: unknown, onCutShort?: (error: Error) => void) {
      return new Promise<ReadableStream<Uint8Array>>((resolve, reject) => {
        // At most one chunk waits here for the client, while the worker makes the next.
        let ready: Uint8Array | undefined
        let ended = false
        let failed: Error | undefined
        let wake: (() => void) | undefined
        const stream = new ReadableStream<Uint8Array>(
          {
            async pull(c) {
              while (!ready && !ended && !failed) await new Promise<void>((resolve) => (wake = resolve))
              if (ready) {
                c.enqueue(ready)
                ready = undefined
                if (!ended && !failed) job.worker?.worker.postMessage({ type: 'more', id: job.id } satisfies ToWorker)
              } else if (failed) c.error(failed)
              else c.close()
            },
            cancel: () => cancel(job),
          },
          { highWaterMark: 0 },
        )
        let started = false
        const fail = (error: Error) => {
          if (!started) return reject(error)
          onCutShort?.(error)
          failed = error
          wake?.()
        }
        const job: Job = enqueue(
          {
            onMessage(message) {
              if (message.type === 'chunk') {
                ready = message.bytes
                if (!started) {
                  started = true
                  resolve(stream)
                }
                wake?.()
              } else if (message.type === 'end') {
                if (job.expired) return finish(job, job.worker, () => fail(new Error(`read ran past ${maxReadMs} ms and was ended`)))
                finish(job, job.worker, () => {
                  ended = true
                  if (!started) {
                    started = true
                    resolve(stream)
                  }
                  wake?.()
                })
              } else if (message.type === 'error') finish(job, job.worker, () => fail(deserializeError(message.error)))
            },
            onFailure: fail,
          },
          { type: 'stream', task, args },
        )
      })
    },

    stats: () => ({ running: slots.filter((s) => s.job).length, queued: queue.length, workers: slots.length }),

    async close() {
      closed = true
      const error = new AppError('unavailable', 'The server is shutting down.')
      for (const job of queue.splice(0)) job.onFailure(error)
      await Promise.all(slots.map((s) => s.worker.terminate()))
    },
  }
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof AppError) return { message: error.message, kind: error.kind, details: error.details, headers: error.headers }
  const code = (error as { code?: unknown } | null)?.code
  return { message: String((error as Error | null)?.message ?? error), code: typeof code === 'string' ? code : undefined }
}

/** Back into what the worker threw, so onError answers as if the read had run here. */
function deserializeError(error: SerializedError): Error {
  if (error.kind) return new AppError(error.kind, error.message, error.details, error.headers)
  return Object.assign(new Error(error.message), error.code ? { code: error.code } : {})
}
