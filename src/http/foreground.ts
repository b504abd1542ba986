/**
 * The requests the main thread is answering now, counted in shared memory (index 0 of `shared`, so
 * worker threads read it too). What runs beside the requests gives way while any is in flight: the
 * read workers' exports wait for a moment with none before each page (src/read-worker.ts), the
 * webhook delivery worker, which shares this thread, paces its attempts (src/webhooks/worker.ts).
 * One count, so both agree on what "busy" means; on 2 cores either would otherwise take the CPU
 * the requests need.
 */
export function requestsInFlight() {
  const shared = new SharedArrayBuffer(4)
  const count = new Int32Array(shared)
  return {
    shared,
    busy: () => Atomics.load(count, 0) > 0,
    /** Counts `work` (a request being answered) while it runs. */
    async run<T>(work: () => Promise<T>): Promise<T> {
      Atomics.add(count, 0, 1)
      try {
        return await work()
      } finally {
        Atomics.sub(count, 0, 1)
      }
    },
  }
}
