/** Size of the shared counters below: two Int32s, requests in flight and requests started. */
const FOREGROUND_BYTES = 8

/**
 * The requests the main thread is answering now, counted in shared memory (index 0 of `shared`, so
 * worker threads read it too). What runs beside the requests gives way while any is in flight: the
 * read workers' exports wait for a moment with none before each page (src/read-worker.ts), the
 * webhook delivery worker, which shares this thread, paces its attempts (src/webhooks/worker.ts).
 * One count, so both agree on what "busy" means; on 2 cores either would otherwise take the CPU
 * the requests need. Index 1 counts the requests started, so that a read worker can tell whether
 * any came while it read (its own request is in flight the whole time).
 */
export function requestsInFlight() {
  const shared = new SharedArrayBuffer(FOREGROUND_BYTES)
  const count = new Int32Array(shared)
  return {
    shared,
    busy: () => Atomics.load(count, 0) > 0,
    /** Counts `work` (a request being answered) while it runs. */
    async run<T>(work: () => Promise<T>): Promise<T> {
      Atomics.add(count, 0, 1)
      Atomics.add(count, 1, 1) // wraps around: readers only compare two readings
      try {
        return await work()
      } finally {
        Atomics.sub(count, 0, 1)
      }
    },
  }
}
