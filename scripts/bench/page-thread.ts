// The request thread's work per web page (issue 15), for `bun scripts/page-bench.ts --thread`.
// The thread that renders a page is the one that answers every webhook; the page's reads run in
// the read workers and are not its work. So each app's `reads.run` is replaced by one that hands
// back a structured clone of that read's result (recorded once from a real read): the clone
// stands for the message the main thread deserializes, and what is left of a request is what
// the thread does. Per request it records, by the clock:
//   before the read: routing, middleware, the session check, parsing the query
//   the read's result: the clone (an upper bound: a real read serializes in the worker)
//   after the read: the render and the response
// and per batch the process's CPU time (the workers idle: nothing else uses it). With `compare`
// (a checkout of another commit, e.g. main's), both apps answer in the same process on the same
// database, batches alternating, so that a busy machine's drift hits both alike.
import type { App } from '../../src/app.ts'
import { markdown } from './report.ts'

interface Sample {
  total: number
  before: number
  clone: number
  after: number
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!

/** Wraps `app.reads.run`: the first call of each task reads for real; later ones return a clone and mark the times. */
function stubReads(app: App, recorded: Map<string, unknown>, marks: { read: number; readDone: number }) {
  const real = app.reads.run.bind(app.reads)
  app.reads.run = (async (task: string, args: unknown) => {
    if (!recorded.has(task)) recorded.set(task, await real(task as never, args as never))
    marks.read = performance.now()
    const result = structuredClone(recorded.get(task))
    marks.readDone = performance.now()
    return result
  }) as App['reads']['run']
}

export async function threadBench({
  apps,
  pages,
  headers,
  rounds,
  batch,
  log,
}: {
  apps: { name: string; app: App }[]
  pages: [string, string][]
  headers: Record<string, string>
  rounds: number
  batch: number
  log: (line: string) => void
}): Promise<string> {
  const recorded = new Map<string, unknown>()
  const marks = { read: 0, readDone: 0 }
  for (const { app } of apps) stubReads(app, recorded, marks)
  const samples = new Map<string, Sample[]>()
  const cpu = new Map<string, number[]>()
  const bodies = new Map<string, string>()
  const listOf = <T>(map: Map<string, T[]>, key: string) => map.get(key) ?? map.set(key, []).get(key)!

  const one = async (app: App, url: string, key: string): Promise<Sample> => {
    marks.read = marks.readDone = Number.NaN
    const started = performance.now()
    const res = await app.request(url, { headers })
    const ended = performance.now()
    const body = await res.text()
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
    bodies.set(key, body)
    return { total: ended - started, before: marks.read - started, clone: marks.readDone - marks.read, after: ended - marks.readDone }
  }

  // Records the reads and warms the JIT.
  for (const { name, app } of apps) for (const [page, url] of pages) for (let i = 0; i < 30; i++) await one(app, url, `${name}\t${page}`)
  for (let round = 0; round < rounds; round++) {
    // Alternate which app goes first, so that neither always follows the other.
    const order = round % 2 === 0 ? apps : [...apps].reverse()
    for (const [page, url] of pages)
      for (const { name, app } of order) {
        const key = `${name}\t${page}`
        const cpuBefore = process.cpuUsage()
        for (let i = 0; i < batch; i++) listOf(samples, key).push(await one(app, url, key))
        const used = process.cpuUsage(cpuBefore)
        listOf(cpu, key).push((used.user + used.system) / 1000 / batch)
      }
    log(`round ${round + 1} of ${rounds}`)
  }

  const rows: string[][] = []
  for (const [page] of pages)
    for (const { name } of apps) {
      const key = `${name}\t${page}`
      const s = samples.get(key)!
      const ms = (f: (x: Sample) => number) => median(s.map(f)).toFixed(2)
      rows.push([
        page,
        name,
        ms((x) => x.total),
        pct(
          s.map((x) => x.total),
          0.95,
        ).toFixed(2),
        median(cpu.get(key)!).toFixed(2),
        ms((x) => x.before),
        ms((x) => x.clone),
        ms((x) => x.after),
        // The last page each app answered: the same HTML (times shown to the minute) or not.
        `${bodies.get(key)!.length}${bodies.get(key) === bodies.get(`${apps[0]!.name}\t${page}`) ? '' : ' (differs)'}`,
      ])
    }
  return markdown(
    [
      'page',
      'code',
      'thread ms p50',
      'thread ms p95',
      'CPU ms per page',
      'before the read p50',
      'result clone p50',
      'render + response p50',
      'HTML bytes',
    ],
    rows,
  )
}
