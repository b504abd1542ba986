import autocannon from 'autocannon'
import type { BenchRequest } from './bodies.ts'

export interface LoadResult {
  /** Answered requests per second over the run. */
  rps: number
  p50: number
  p99: number
  /** The slowest answer. */
  max: number
  /** Answers that were not 2xx, and connection errors or timeouts: a clean run has none. */
  non2xx: number
  errors: number
  statuses: Record<string, number>
}

export interface LoadOptions {
  connections: number
  /** Seconds. */
  duration: number
  /** Requests per second over all connections; flat out when absent. */
  rate?: number
}

/**
 * Drives `url` with requests drawn from `next`: flat out with autocannon, or at a constant rate.
 * Latencies are in milliseconds.
 */
export function drive(url: string, next: () => BenchRequest, options: LoadOptions): Promise<LoadResult> {
  return options.rate ? driveAtRate(url, next, options.rate, options) : driveFlatOut(url, next, options)
}

async function driveFlatOut(url: string, next: () => BenchRequest, { connections, duration }: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({ url, connections, duration, requests: [{ setupRequest: (request) => Object.assign(request, next()) }] })
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]))
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0)
  return {
    rps: answered / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statuses,
  }
}

/**
 * An open-loop constant offered load: request k is due at start + k/rate, whatever happened to
 * the others, and its latency counts from when it was due (so a stalled server is not excused
 * by sending less: no coordinated omission). At most `connections` are in flight; the rest wait
 * their turn, and the wait counts. autocannon's own rate option is not used for this: it sends
 * each second's quota as one burst at the start of the second, which measures saturation.
 */
async function driveAtRate(
  url: string,
  next: () => BenchRequest,
  rate: number,
  { connections, duration }: LoadOptions,
): Promise<LoadResult> {
  const total = Math.max(1, Math.floor(rate * duration))
  const interval = 1000 / rate
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  const queued: number[] = []
  let inFlight = 0
  let errors = 0
  let finished: () => void
  const allDone = new Promise<void>((resolve) => (finished = resolve))

  const send = async (due: number) => {
    inFlight++
    const { path, ...init } = next()
    try {
      const response = await fetch(url + path, { ...init, signal: AbortSignal.timeout(30_000) })
      await response.arrayBuffer()
      statuses[response.status] = (statuses[response.status] ?? 0) + 1
    } catch {
      errors++
    }
    latencies.push(performance.now() - due)
    inFlight--
    if (queued.length > 0) void send(queued.shift()!)
    else if (latencies.length === total) finished()
  }

  const start = performance.now()
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1)
    for (; sent < due; sent++) {
      const at = start + sent * interval
      if (inFlight < connections) void send(at)
      else queued.push(at)
    }
    await Bun.sleep(1)
  }
  await allDone
  const elapsed = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
  const non2xx = Object.entries(statuses).reduce((n, [code, count]) => n + (code.startsWith('2') ? 0 : count), 0)
  return { rps: (latencies.length - errors) / elapsed, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN, non2xx, errors, statuses }
}
