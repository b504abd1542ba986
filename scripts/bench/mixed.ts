// The mixed workload of issue 21 (`npm run bench -- --mixed`): ManyChat's default-reply, flat out
// and at a fixed rate, alone, then while CSV exports of one big organization run back to back, then
// while the board, contact lists and pipeline are read in a loop. Each server is measured in the
// same run (`--compare` adds another binary, e.g. one built from an older commit), repetitions
// interleaved, so that drift on a shared machine hits them alike.
import { requestSource } from './bodies.ts'
import { drive, type LoadResult } from './load.ts'
import { markdown } from './report.ts'
import type { Seed } from './seed.ts'
import type { Running } from './server.ts'

export interface MixedOptions {
  /** Servers to compare, by name: each `start` launches one on a fresh copy of the seeded database. */
  servers: { name: string; start: () => Promise<Running> }[]
  seeded: Seed
  connections: number
  duration: number
  repeat: number
  log: (line: string) => void
}

type Scenario = 'alone' | 'exports' | 'reads'
const SCENARIOS: Scenario[] = ['alone', 'exports', 'reads']

interface Measured {
  flat: LoadResult
  fixed: LoadResult
  /** Seconds of each export that ended during the scenario. */
  exports: number[]
  /** Reads (board, lists, pipeline) answered during the scenario, and their statuses. */
  reads: number
}

interface Run {
  server: string
  /** One export of the organization with nothing else running, in seconds, and its size. */
  exportAlone: number
  exportMb: number
  /** The fixed rate offered in every scenario of this run: half of `alone`'s flat-out throughput. */
  rate: number
  scenarios: Record<Scenario, Measured>
  peakRssMb: number
}

const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!)

/**
 * One request by curl, in its own process: the background reads must not take this process's
 * event loop from the load generator (reading a 70 MB export here delayed the webhooks it sends,
 * and the open-loop measurement rightly counts that as latency). Resolves to its seconds and size.
 */
async function curl(url: string, token: string): Promise<{ seconds: number; bytes: number }> {
  const proc = Bun.spawn(
    ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total} %{size_download}', '-H', `x-org-auth-token: ${token}`, url],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  const [status, seconds, bytes] = (await new Response(proc.stdout).text()).split(' ')
  await proc.exited
  if (status !== '200') throw new Error(`${url} answered ${status}`)
  return { seconds: Number(seconds), bytes: Number(bytes) }
}

const READ_PATHS = [
  '/api/v1/follow-ups',
  '/api/v1/contacts?limit=50',
  '/api/v1/pipeline',
  '/api/v1/contacts?follow_up=overdue&limit=50',
  '/api/v1/contacts?type=outreach&limit=50',
]

/** Runs the scenario's background reads in a loop while `measure` drives the webhooks; returns what both recorded. */
async function whileRunning(
  url: string,
  token: string,
  scenario: Scenario,
  measure: () => Promise<[LoadResult, LoadResult]>,
): Promise<Measured> {
  const exports: number[] = []
  let reads = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped && scenario !== 'alone') {
      if (scenario === 'exports') exports.push((await curl(`${url}/api/v1/contacts/export.csv`, token)).seconds)
      else {
        await curl(url + READ_PATHS[reads % READ_PATHS.length], token)
        reads++
      }
    }
  })()
  const [flat, fixed] = await measure()
  stopped = true
  await loop // the export under way finishes: it counts, and the next scenario starts clean
  return { flat, fixed, exports, reads }
}

async function runOnce(name: string, server: Running, seeded: Seed, { connections, duration, log }: MixedOptions): Promise<Run> {
  const org = seeded.orgs[0]!
  const next = requestSource('default-reply', seeded)
  const exportUrl = `${server.url}/api/v1/contacts/export.csv`
  await curl(exportUrl, org.token) // warms the page cache, as a second export would find it
  const { seconds: exportAlone, bytes } = await curl(exportUrl, org.token)
  await drive(server.url, next, { connections, duration: 2 })
  const scenarios = {} as Record<Scenario, Measured>
  let rate = 0
  for (const scenario of SCENARIOS) {
    scenarios[scenario] = await whileRunning(server.url, org.token, scenario, async () => {
      const flat = await drive(server.url, next, { connections, duration })
      if (scenario === 'alone') rate = Math.max(1, Math.round(flat.rps / 2))
      const fixed = await drive(server.url, next, { connections: Math.max(connections, 16), duration, rate })
      return [flat, fixed]
    })
    const m = scenarios[scenario]
    log(
      `${name} ${scenario}: flat ${Math.round(m.flat.rps)} req/s p99 ${m.flat.p99.toFixed(1)} ms; @${rate}/s p99 ${m.fixed.p99.toFixed(1)} ms; ` +
        `${m.exports.length} exports (median ${median(m.exports).toFixed(1)} s), ${m.reads} reads; statuses ${JSON.stringify(m.flat.statuses)} ${JSON.stringify(m.fixed.statuses)}`,
    )
  }
  return { server: name, exportAlone, exportMb: bytes / 2 ** 20, rate, scenarios, peakRssMb: server.rss().peak / 1024 }
}

export async function mixedBench(options: MixedOptions): Promise<string> {
  const runs: Run[] = []
  for (let rep = 0; rep < options.repeat; rep++) {
    for (const { name, start } of options.servers) {
      const server = await start()
      try {
        const run = await runOnce(name, server, options.seeded, options)
        options.log(
          `${name}: export alone ${run.exportAlone.toFixed(2)} s (${run.exportMb.toFixed(0)} MB), peak RSS ${run.peakRssMb.toFixed(0)} MB`,
        )
        runs.push(run)
      } finally {
        await server.stop()
      }
    }
  }
  return report(runs)
}

/** Medians over the repetitions; ratios are taken within each run first (same server, same minute), then the median. */
function report(runs: Run[]): string {
  const rows: string[][] = []
  for (const server of [...new Set(runs.map((r) => r.server))]) {
    const mine = runs.filter((r) => r.server === server)
    const med = (f: (r: Run) => number) => median(mine.map(f))
    for (const scenario of SCENARIOS) {
      const at = (r: Run) => r.scenarios[scenario]
      const ratio = (f: (m: Measured) => number) =>
        scenario === 'alone' ? '' : `${med((r) => f(at(r)) / f(r.scenarios.alone)).toFixed(2)}×`
      const exports = mine.flatMap((r) => at(r).exports)
      rows.push([
        server,
        scenario === 'alone'
          ? 'default-reply alone'
          : scenario === 'exports'
            ? 'while CSV exports run back to back'
            : 'while board, lists, pipeline are read in a loop',
        `${Math.round(med((r) => at(r).flat.rps))}`,
        ratio((m) => m.flat.rps),
        med((r) => at(r).flat.p99).toFixed(1),
        `${Math.round(med((r) => r.rate))}`,
        med((r) => at(r).fixed.p99).toFixed(1),
        ratio((m) => m.fixed.p99),
        scenario === 'exports'
          ? `${exports.length}, median ${median(exports).toFixed(2)} s`
          : scenario === 'reads'
            ? `${Math.round(med((r) => at(r).reads))} reads per run`
            : '',
      ])
    }
    rows.push([
      server,
      'one export alone (median)',
      '',
      '',
      '',
      '',
      '',
      '',
      `${med((r) => r.exportAlone).toFixed(2)} s, ${med((r) => r.exportMb).toFixed(0)} MB; peak RSS ${med((r) => r.peakRssMb).toFixed(0)} MB`,
    ])
  }
  return markdown(
    ['server', 'workload', 'flat req/s', 'vs alone', 'flat p99 ms', 'fixed req/s', 'fixed p99 ms', 'vs alone', 'background'],
    rows,
  )
}
