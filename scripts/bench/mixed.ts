// The mixed workload of issue 21 (`npm run bench -- --mixed`): ManyChat's default-reply, flat out
// and at a fixed rate, alone, then while CSV exports of one big organization run back to back, then
// while the board, contact lists and pipeline are read in a loop, then (issue 17) while analytics
// reports of the last 90 days and a CSV export run in two loops side by side, then (issue 15) while a
// signed-in person loads the web app's pages in a loop, and (a yardstick) beside a CPU loop that
// Linux runs only when nothing else wants a CPU: what any neighbour costs the webhooks on this
// machine. Each server is measured in the same run (`--compare` adds another binary, e.g. one built
// from an older commit), repetitions interleaved, so that drift on a shared machine hits them alike.
import { join } from 'node:path'
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
  /** Seconds per fixed-rate run: long enough for several export cycles (see `rateDuration` in bench.ts). */
  rateDuration: number
  repeat: number
  /** The scenarios to run besides 'alone' (which every ratio needs); all of them by default. */
  scenarios?: readonly Scenario[]
  log: (line: string) => void
}

export type Scenario = 'alone' | 'exports' | 'reads' | 'analytics' | 'pages' | 'idle-loop'
export const SCENARIOS: readonly Scenario[] = ['alone', 'exports', 'reads', 'analytics', 'pages', 'idle-loop']

/** Seconds of webhooks at the fixed rate, beside the scenario's reads, before the fixed rate is measured. */
const SETTLE_S = 5

/** The person the 'pages' scenario signs in as: a member of the first organization, made with the CLI. */
const PAGES_USER = { email: 'pages@bench.test', password: 'bench pages password' }

/**
 * Adds PAGES_USER to `orgId` on the database `db` with the binary's own CLI (`user add`, then
 * `user set-password --password-stdin`), before the server starts on it.
 */
export function addPagesUser(binary: string, db: string, orgId: string): void {
  const run = (args: string[], stdin?: string) => {
    const done = Bun.spawnSync([binary, 'user', ...args, '--db', db], { stdin: stdin === undefined ? 'ignore' : Buffer.from(stdin) })
    if (!done.success) throw new Error(`dmtracker user ${args[0]}: ${done.stderr.toString()}`)
  }
  run(['add', '--email', PAGES_USER.email, '--org', orgId, '--role', 'member'])
  run(['set-password', '--email', PAGES_USER.email, '--password-stdin'], PAGES_USER.password)
}

interface Measured {
  flat: LoadResult
  fixed: LoadResult
  /** Seconds of each export that ended during the scenario. */
  exports: number[]
  /** Reads (board, lists, pipeline; analytics reports; or web pages) answered during the scenario. */
  reads: number
}

interface Run {
  server: string
  /** One export of the organization with nothing else running, in seconds, and its size. */
  exportAlone: number
  exportMb: number
  /** The fixed rate offered in every scenario of this run: half of a flat-out probe's throughput. */
  rate: number
  scenarios: Record<Scenario, Measured>
  peakRssMb: number
}

const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!)

/**
 * One request by curl, in its own process, its answer streamed to /dev/null (used for exports, one
 * a minute at most): the background reads must not take this process's event loop from the load
 * generator (reading a 70 MB export here delayed the webhooks it sends, and the open-loop
 * measurement rightly counts that as latency). Resolves to its seconds and size.
 */
async function curl(url: string, header: string): Promise<{ seconds: number; bytes: number }> {
  const proc = Bun.spawn(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total} %{size_download}', '-H', header, url], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
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

/** The web app's pages a setter keeps open: the board, the contact list, the pipeline and one contact. */
const pagePaths = (contactId: string) => ['/follow-ups', '/contacts', '/pipeline', `/contacts/${contactId}`]

/**
 * Pages a second the signed-in person loads: about what the earlier loop of a `curl` per page
 * reached on a quiet machine (154 pages in 12 s), so that figures stay comparable, and a fixed
 * rate, so that a server that answers pages faster is not given more of them.
 */
const PAGES_PER_SECOND = 12

/**
 * Starts a background loop: one long-lived client process that asks for `paths` in turn over a
 * kept-alive connection with `header`, `perSecond` requests a second (0: back to back).
 * scripts/bench/loop-client.ts says why not a `curl` per request. `stop` ends it after the request
 * under way and resolves to how many answers it read.
 */
export function loopClient(url: string, header: string, perSecond: number, paths: string[]) {
  const client = Bun.spawn([process.execPath, join(import.meta.dir, 'loop-client.ts'), url, header, String(perSecond), ...paths], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'inherit',
  })
  return {
    async stop(): Promise<number> {
      client.stdin.end()
      const printed = await new Response(client.stdout).text()
      if ((await client.exited) !== 0) throw new Error(`the loop client failed (exit code ${client.exitCode})`)
      return Number(printed)
    },
  }
}

/**
 * Signs PAGES_USER in as a browser would (a form post from our own page) and returns the session
 * cookie (the Cookie header's value), and a contact of the organization for the contact page.
 */
async function signIn(url: string, token: string): Promise<{ cookie: string; contactId: string }> {
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ email: PAGES_USER.email, password: PAGES_USER.password }),
    headers: { origin: url },
    redirect: 'manual',
  })
  const cookie = /dmtracker_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0]
  if (res.status !== 303 || !cookie) throw new Error(`signing in answered ${res.status}`)
  const list = (await (await fetch(`${url}/api/v1/contacts?limit=1`, { headers: { 'x-org-auth-token': token } })).json()) as {
    data: { id: string }[]
  }
  return { cookie, contactId: list.data[0]!.id }
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** Issue 17's reports for the last 90 days (JSON and CSV), asked in turn. */
export function analyticsPaths(): string[] {
  const range = `from=${day(Date.now() - 89 * 86_400_000)}&to=${day(Date.now())}`
  return ['setters', 'outreach', 'daily', 'setters.csv'].map((report) => `/api/v1/analytics/${report}?${range}`)
}

/** Runs the scenario's background reads in a loop while `measure` drives the webhooks; returns what both recorded. */
async function whileRunning(
  url: string,
  token: string,
  session: { cookie: string; contactId: string },
  scenario: Scenario,
  measure: () => Promise<[LoadResult, LoadResult]>,
): Promise<Measured> {
  const exports: number[] = []
  let stopped = false
  const auth = `x-org-auth-token: ${token}`
  const exportLoop = async () => {
    while (!stopped) exports.push((await curl(`${url}/api/v1/contacts/export.csv`, auth)).seconds)
  }
  const exporting = scenario === 'exports' || scenario === 'analytics' ? exportLoop() : undefined
  const reader =
    scenario === 'reads'
      ? loopClient(url, auth, 0, READ_PATHS)
      : scenario === 'analytics'
        ? loopClient(url, auth, 0, analyticsPaths())
        : scenario === 'pages'
          ? loopClient(url, `cookie: ${session.cookie}`, PAGES_PER_SECOND, pagePaths(session.contactId))
          : undefined
  const neighbour = scenario === 'idle-loop' ? idleLoop() : undefined
  const [flat, fixed] = await measure().finally(() => neighbour?.kill())
  stopped = true
  const reads = (await reader?.stop()) ?? 0
  await exporting // the export under way finishes: it counts, and the next scenario starts clean
  return { flat, fixed, exports, reads }
}

/**
 * A shell loop of no I/O and almost no memory in Linux's idle scheduling class, which runs only on a
 * CPU nothing else wants and is preempted at every wake-up (`nice -n 19` where `chrt` is missing).
 * The webhooks beside it show the least any neighbour costs them on this machine
 * (docs/performance.md, "Three more levers, and how much any neighbour costs").
 */
function idleLoop() {
  const loop = ['sh', '-c', 'while :; do :; done']
  try {
    return Bun.spawn(['chrt', '--idle', '0', ...loop], { stdout: 'ignore', stderr: 'ignore' })
  } catch {
    return Bun.spawn(['nice', '-n', '19', ...loop], { stdout: 'ignore', stderr: 'ignore' })
  }
}

async function runOnce(
  name: string,
  server: Running,
  seeded: Seed,
  { connections, duration, rateDuration, log }: MixedOptions,
  chosen: readonly Scenario[],
): Promise<Run> {
  const org = seeded.orgs[0]!
  const next = requestSource('default-reply', seeded)
  const exportUrl = `${server.url}/api/v1/contacts/export.csv`
  await curl(exportUrl, `x-org-auth-token: ${org.token}`) // warms the page cache, as a second export would find it
  const { seconds: exportAlone, bytes } = await curl(exportUrl, `x-org-auth-token: ${org.token}`)
  const session = await signIn(server.url, org.token)
  // A flat-out probe warms the server up and sets the fixed rate for every scenario of this run.
  const probe = await drive(server.url, next, { connections, duration })
  const rate = Math.max(1, Math.round(probe.rps / 2))
  const atRate = { connections: Math.max(connections, 16), rate }
  const scenarios = {} as Record<Scenario, Measured>
  for (const scenario of chosen) {
    scenarios[scenario] = await whileRunning(server.url, org.token, session, scenario, async () => {
      // The fixed rate is measured first, after SETTLE_S at that rate with the background loops
      // running: a steady state of webhooks at the rate beside the reads. A flat-out run just
      // before it would leave its own WAL backlog, several seconds of writes at full speed, for a
      // checkpoint to copy inside the measured window once the export holding it back ends.
      await drive(server.url, next, { ...atRate, duration: SETTLE_S })
      const fixed = await drive(server.url, next, { ...atRate, duration: rateDuration })
      const flat = await drive(server.url, next, { connections, duration })
      return [flat, fixed]
    })
    const m = scenarios[scenario]
    log(
      `${name} ${scenario}: flat ${Math.round(m.flat.rps)} req/s p99 ${m.flat.p99.toFixed(1)} ms; @${rate}/s p99 ${m.fixed.p99.toFixed(1)} max ${m.fixed.max.toFixed(1)} ms; ` +
        `${m.exports.length} exports (median ${median(m.exports).toFixed(1)} s), ${m.reads} reads; statuses ${JSON.stringify(m.flat.statuses)} ${JSON.stringify(m.fixed.statuses)}`,
    )
  }
  return { server: name, exportAlone, exportMb: bytes / 2 ** 20, rate, scenarios, peakRssMb: server.rss().peak / 1024 }
}

export async function mixedBench(options: MixedOptions): Promise<string> {
  const chosen = SCENARIOS.filter((s) => s === 'alone' || (options.scenarios ?? SCENARIOS).includes(s))
  const runs: Run[] = []
  for (let rep = 0; rep < options.repeat; rep++) {
    for (const { name, start } of options.servers) {
      const server = await start()
      try {
        const run = await runOnce(name, server, options.seeded, options, chosen)
        options.log(
          `${name}: export alone ${run.exportAlone.toFixed(2)} s (${run.exportMb.toFixed(0)} MB), peak RSS ${run.peakRssMb.toFixed(0)} MB`,
        )
        runs.push(run)
      } finally {
        await server.stop()
      }
    }
  }
  return report(runs, chosen)
}

const WORKLOADS: Record<Scenario, string> = {
  alone: 'default-reply alone',
  exports: 'while CSV exports run back to back',
  reads: 'while board, lists, pipeline are read in a loop',
  analytics: 'while analytics reports (90 days) and CSV exports run in a loop',
  pages: 'while a signed-in person loads board, contacts, pipeline, a contact page in a loop',
  'idle-loop': 'beside a CPU loop at the lowest priority (a yardstick: no reads)',
}

/** Medians over the repetitions; ratios are taken within each run first (same server, same minute), then the median. */
function report(runs: Run[], chosen: readonly Scenario[]): string {
  const rows: string[][] = []
  for (const server of [...new Set(runs.map((r) => r.server))]) {
    const mine = runs.filter((r) => r.server === server)
    const med = (f: (r: Run) => number) => median(mine.map(f))
    for (const scenario of chosen) {
      const at = (r: Run) => r.scenarios[scenario]
      const ratio = (f: (m: Measured) => number) =>
        scenario === 'alone' ? '' : `${med((r) => f(at(r)) / f(r.scenarios.alone)).toFixed(2)}×`
      const exports = mine.flatMap((r) => at(r).exports)
      rows.push([
        server,
        WORKLOADS[scenario],
        `${Math.round(med((r) => at(r).flat.rps))}`,
        ratio((m) => m.flat.rps),
        med((r) => at(r).flat.p99).toFixed(1),
        `${Math.round(med((r) => r.rate))}`,
        med((r) => at(r).fixed.p99).toFixed(1),
        ratio((m) => m.fixed.p99),
        med((r) => at(r).fixed.max).toFixed(1),
        [
          exports.length > 0 ? `${exports.length} exports, median ${median(exports).toFixed(2)} s` : '',
          scenario === 'reads' || scenario === 'analytics' ? `${Math.round(med((r) => at(r).reads))} reads per run` : '',
          scenario === 'pages' ? `${Math.round(med((r) => at(r).reads))} pages per run` : '',
        ]
          .filter(Boolean)
          .join('; '),
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
      '',
      `${med((r) => r.exportAlone).toFixed(2)} s, ${med((r) => r.exportMb).toFixed(0)} MB; peak RSS ${med((r) => r.peakRssMb).toFixed(0)} MB`,
    ])
  }
  return markdown(
    [
      'server',
      'workload',
      'flat req/s',
      'vs alone',
      'flat p99 ms',
      'fixed req/s',
      'fixed p99 ms',
      'vs alone',
      'fixed max ms',
      'background',
    ],
    rows,
  )
}
