// `npm run bench`: drives each endpoint of the compiled server and, in the same run, a baseline
// doing the same SQL writes with nothing else (scripts/bench/baseline.ts), and prints the table
// the README's Performance section shows. Run with Bun. `bun scripts/bench.ts --help` for options.
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openStore } from '../src/db/open.ts'
import { addEndpoint } from '../src/webhooks/service.ts'
import { ENDPOINTS, type Endpoint, requestSource } from './bench/bodies.ts'
import { drive, type LoadOptions, type LoadResult } from './bench/load.ts'
import { addPagesUser, mixedBench, SCENARIOS } from './bench/mixed.ts'
import { manychatId, username } from './bench/population.ts'
import { type Extra, machine, markdown, type Row, save, table } from './bench/report.ts'
import { type Seed, seed } from './bench/seed.ts'
import { freePort, type Launch, type Running, start } from './bench/server.ts'

const HELP = `Usage: bun scripts/bench.ts [options]   (npm run bench -- [options])
  --endpoint LIST     ${ENDPOINTS.join(',')} (default all)
  --contacts LIST     seeded contacts, e.g. 10000,1000000 (default 100000)
  --orgs N            organizations the contacts are spread over (default 10)
  --history-days N    days the seeded contacts' moments (outreach, replies, follow-ups) are spread over
                      (default 90: a 90-day report reads them all; issue 17's dataset is a year, 365)
  --durability LIST   normal,full (default both)
  --runtime LIST      bun (the compiled binary) and/or node (the tsx dev path) (default bun)
  --connections N     concurrent connections (default 64)
  --duration S        seconds per measured run (default 10)
  --warmup S          seconds of load before each measured run (default 2)
  --repeat N          flat-out runs per server; the median is reported (default 3)
  --no-rate           skip the fixed-rate latency runs (half the baseline's throughput)
  --no-extras         skip the start-up time and rate-limit (429 path) measurements
  --binary PATH       use this dmtracker binary instead of building one
  --webhooks          also run the binary with a webhook endpoint per organization subscribed to every
                      event: once with a receiver answering in 200 ms, once with a dead one (nothing
                      listening); the extras give each one's req/s over no webhooks in the same run
  --mixed             issue 21's mixed workload instead: default-reply (flat out and at a fixed rate) alone,
                      while CSV exports of the first organization run back to back, while the board,
                      lists and pipeline are read in a loop, and while its analytics reports (90 days)
                      and CSV exports run in two loops, and while a signed-in person loads the web pages
                      (board, contacts, pipeline, a contact) in a loop (uses --contacts, --orgs, --duration, --repeat,
                      the first --durability; --connections defaults to 2 here)
  --rate-duration S   with --mixed: seconds per fixed-rate run (default 30: several export cycles, so that
                      its p99 does not hang on whether one export's end falls inside the run)
  --scenarios LIST    with --mixed: which of exports,reads,analytics,pages,idle-loop to run (default all;
                      'alone' always runs, as every ratio is taken against it; idle-loop is a yardstick:
                      the webhooks beside a CPU loop at Linux's lowest priority, no reads)
  --compare PATH      with --mixed: also measure this binary (e.g. one built from main), runs interleaved
  --keep              keep the temporary directory (databases and server logs)
  --database URL      instead: SQLite next to PostgreSQL (postgres://..., a server where this user may
                      CREATE DATABASE), the four write endpoints on 1 and 3 instances, with ratios
                      (uses --connections, --duration, --orgs, --binary; see docs/scaling.md)`

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string', default: ENDPOINTS.join(',') },
    contacts: { type: 'string', default: '100000' },
    orgs: { type: 'string', default: '10' },
    'history-days': { type: 'string', default: '90' },
    durability: { type: 'string', default: 'normal,full' },
    runtime: { type: 'string', default: 'bun' },
    connections: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '3' },
    'no-rate': { type: 'boolean', default: false },
    'no-extras': { type: 'boolean', default: false },
    binary: { type: 'string' },
    mixed: { type: 'boolean', default: false },
    compare: { type: 'string' },
    'rate-duration': { type: 'string', default: '30' },
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    keep: { type: 'boolean', default: false },
    database: { type: 'string' },
    webhooks: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  console.log(HELP)
  process.exit(0)
}
if (values.database) {
  const { benchEngines } = await import('./bench/engines.ts')
  const opts = { connections: Number(values.connections), durationS: Number(values.duration), orgs: Number(values.orgs) }
  console.log(await benchEngines({ url: values.database, ...opts, binary: values.binary }))
  process.exit(0)
}

const list = <T extends string>(name: string, raw: string, allowed: readonly T[]): T[] => {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const bad = items.find((i) => !(allowed as readonly string[]).includes(i))
  if (bad || items.length === 0) throw new Error(`--${name}: expected some of ${allowed.join(', ')}, got "${raw}"`)
  return items as T[]
}
const count = (name: string, raw: string) => {
  const n = Number(raw.replace(/_/g, ''))
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a whole number, got "${raw}"`)
  return n
}

const ROOT = resolve(import.meta.dir, '..')
const BUN = process.execPath
const options = {
  endpoints: list('endpoint', values.endpoint, ENDPOINTS),
  contacts: values.contacts.split(',').map((c) => count('contacts', c)),
  orgs: Math.max(1, count('orgs', values.orgs)),
  historyDays: Math.max(1, count('history-days', values['history-days'])),
  durabilities: list('durability', values.durability, ['normal', 'full'] as const),
  runtimes: list('runtime', values.runtime, ['bun', 'node'] as const),
  connections: count('connections', values.connections ?? (values.mixed ? '2' : '64')),
  duration: count('duration', values.duration),
  rateDuration: Math.max(1, count('rate-duration', values['rate-duration'])),
  scenarios: list('scenarios', values.scenarios, SCENARIOS),
  warmup: count('warmup', values.warmup),
  repeat: Math.max(1, count('repeat', values.repeat)),
  rate: !values['no-rate'],
  extras: !values['no-extras'],
  webhooks: values.webhooks,
}

const tmp = mkdtempSync(join(tmpdir(), 'dmtracker-bench-'))
const log = (line: string) => console.error(`[bench] ${line}`)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!

/** dist/dmtracker when it is newer than every source file, else a fresh build in the temp dir. */
function binary(): string {
  if (values.binary) return resolve(values.binary)
  const dist = join(ROOT, 'dist/dmtracker')
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    )
  if (existsSync(dist) && statSync(dist).mtimeMs > Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'migrations')))) return dist
  const outfile = join(tmp, 'dmtracker')
  log('building the binary (dist/dmtracker is missing or older than the sources)')
  const build = Bun.spawnSync([BUN, join(ROOT, 'scripts/build.ts'), '--outfile', outfile], {
    cwd: ROOT,
    stdout: 'inherit',
    stderr: 'inherit',
  })
  if (!build.success) throw new Error('build failed')
  return outfile
}

interface Target {
  server: 'dmtracker' | 'dmtracker-node' | 'baseline'
  durability: 'normal' | 'full'
  /** Set to off by default: the bench measures the endpoint, not the limiter (measured separately). */
  rateLimit?: string
  /** An endpoint per organization, subscribed to every event, sending to a slow (200 ms) or a dead receiver. */
  webhooks?: 'slow' | 'dead'
}

/** Where the webhook runs send: set in main() when --webhooks is on. */
const receivers = { slow: '', dead: '' }

/** A receiver that answers 204 after 200 ms, in this process. */
function slowReceiver(): string {
  // unref: the receiver must not keep the bench running once its report is out.
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async () => {
      await Bun.sleep(200)
      return new Response(null, { status: 204 })
    },
  })
  server.unref()
  return `http://127.0.0.1:${server.port}/hook`
}

/** Subscribes every organization of the database to every event, sending to the target's receiver. */
async function addWebhooks(db: string, kind: 'slow' | 'dead') {
  const store = openStore(db)
  try {
    const orgs = await store.db.selectFrom('organizations').select('id').execute()
    for (const org of orgs)
      await store.write((trx) => addEndpoint(trx, org.id, { url: receivers[kind], allowPrivate: true }, new Date().toISOString()))
  } finally {
    await store.close()
  }
}

/** What the outbox held when a webhook run's server stopped. */
async function outboxState(db: string): Promise<Record<string, number>> {
  const store = openStore(db)
  try {
    const rows = await store.db
      .selectFrom('webhook_deliveries')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute()
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
  } finally {
    await store.close()
  }
}

function launch(target: Target, db: string, port: number, dmtracker: string): Launch {
  if (target.server === 'baseline') {
    return {
      command: [BUN, join(ROOT, 'scripts/bench/baseline.ts'), '--db', db, '--port', String(port), '--durability', target.durability],
    }
  }
  const env = {
    DMTRACKER_DB: db,
    DMTRACKER_HOST: '127.0.0.1',
    DMTRACKER_PORT: String(port),
    DMTRACKER_DURABILITY: target.durability,
    DMTRACKER_RATE_LIMIT: target.rateLimit ?? 'off',
  }
  const command = target.server === 'dmtracker' ? [dmtracker, 'serve'] : ['node', '--import', 'tsx', 'src/main.ts', 'serve']
  return { command, env, cwd: ROOT }
}

const healthy = async (url: string) => (await fetch(`${url}/healthz`)).status < 500

/** A fresh copy of the seeded database, so every server starts from the same state. */
function freshDb(seedPath: string, name: string): string {
  const path = join(tmp, `${name}.db`)
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
  copyFileSync(seedPath, path)
  // Written through before the server starts: otherwise the kernel writes the copy back (a GB at
  // 1,000,000 contacts) during the first measured run, and its latencies measure that.
  const fd = openSync(path, 'r+')
  fsyncSync(fd)
  closeSync(fd)
  return path
}

async function withServer<T>(target: Target, seedPath: string, dmtracker: string, work: (server: Running) => Promise<T>): Promise<T> {
  const db = freshDb(seedPath, 'run')
  if (target.webhooks) await addWebhooks(db, target.webhooks)
  const port = await freePort()
  const server = await start(launch(target, db, port, dmtracker), port, join(tmp, `${target.server}.log`), healthy)
  try {
    return await work(server)
  } finally {
    await server.stop()
    if (target.webhooks) log(`outbox after the ${target.webhooks}-receiver run: ${JSON.stringify(await outboxState(db))}`)
  }
}

interface Measured {
  load: LoadResult
  idleKb: number
  peakKb: number
  /** Server CPU time per answered request, in microseconds. */
  cpuUs: number
}

async function measure(
  target: Target,
  endpoint: Endpoint,
  seeded: Seed,
  seedPath: string,
  dmtracker: string,
  load: LoadOptions,
): Promise<Measured> {
  return withServer(target, seedPath, dmtracker, async (server) => {
    const idleKb = server.rss().now
    const next = requestSource(endpoint, seeded)
    if (options.warmup > 0) await drive(server.url, next, { connections: options.connections, duration: options.warmup })
    const cpuBefore = server.cpuMs()
    const result = await drive(server.url, next, load)
    const cpuUs = ((server.cpuMs() - cpuBefore) * 1000) / (result.rps * load.duration)
    const peakKb = server.rss().peak
    log(
      `${endpoint} ${label(target)} ${target.durability}${load.rate ? ` @${Math.round(load.rate)}/s` : ''}: ` +
        `${Math.round(result.rps)} req/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${Math.round(cpuUs)} µs CPU/req, statuses ${JSON.stringify(result.statuses)}${result.errors ? `, ${result.errors} errors` : ''}`,
    )
    return { load: result, idleKb, peakKb, cpuUs }
  })
}

async function benchEndpoint(endpoint: Endpoint, seeded: Seed, seedPath: string, dmtracker: string): Promise<Row[]> {
  const servers = options.runtimes.map((r) => (r === 'bun' ? 'dmtracker' : 'dmtracker-node') as Target['server'])
  const targets: Target[] = [...servers, 'baseline' as const].flatMap((server) =>
    options.durabilities.map((durability) => ({ server, durability })),
  )
  if (options.webhooks) {
    for (const durability of options.durabilities)
      targets.push({ server: 'dmtracker', durability, webhooks: 'slow' }, { server: 'dmtracker', durability, webhooks: 'dead' })
  }
  const flat = new Map<Target, Measured[]>(targets.map((t) => [t, []]))
  // Repetitions interleave the servers, so that drift on a shared machine hits them alike.
  for (let rep = 0; rep < options.repeat; rep++) {
    for (const target of targets) {
      flat
        .get(target)!
        .push(
          await measure(target, endpoint, seeded, seedPath, dmtracker, { connections: options.connections, duration: options.duration }),
        )
    }
  }
  const base = targets.find((t) => t.server === 'baseline' && t.durability === 'normal') ?? targets.find((t) => t.server === 'baseline')!
  const baseRps = median(flat.get(base)!.map((m) => m.load.rps))
  const rows: Row[] = []
  for (const target of targets) {
    const runs = flat.get(target)!
    const rps = median(runs.map((m) => m.load.rps))
    const typical = runs.find((m) => m.load.rps === rps)!
    let rate: Row['rate']
    if (options.rate) {
      const offered = baseRps / 2
      const at = await measure(target, endpoint, seeded, seedPath, dmtracker, {
        connections: options.connections,
        duration: options.duration,
        rate: offered,
      })
      runs.push(at)
      rate = { offered, achieved: at.load.rps, p50: at.load.p50, p99: at.load.p99 }
    }
    rows.push({
      endpoint,
      contacts: seeded.contacts,
      server: label(target),
      durability: target.durability,
      rps,
      runs: flat
        .get(target)!
        .slice(0, options.repeat)
        .map((m) => Math.round(m.load.rps)),
      p50: typical.load.p50,
      p99: typical.load.p99,
      cpuUs: median(
        flat
          .get(target)!
          .slice(0, options.repeat)
          .map((m) => m.cpuUs),
      ),
      rate,
      vsBaseline: base.durability === 'normal' ? rps / baseRps : undefined,
      peakRssMb: Math.max(...runs.map((m) => m.peakKb)) / 1024,
      idleRssMb: median(runs.map((m) => m.idleKb)) / 1024,
      non2xx: runs.reduce((n, m) => n + m.load.non2xx, 0),
      errors: runs.reduce((n, m) => n + m.load.errors, 0),
      statuses: runs.reduce<Record<string, number>>((all, m) => {
        for (const [code, n] of Object.entries(m.load.statuses)) all[code] = (all[code] ?? 0) + n
        return all
      }, {}),
    })
  }
  return rows
}

/** From process start to the first answered API request (a default-reply for a known contact). */
async function startupMs(seeded: Seed, seedPath: string, dmtracker: string): Promise<number> {
  const org = seeded.orgs[0]!
  const body = JSON.stringify({ organization_id: org.id, manychat_id: manychatId(0), username: username(0), message_content: 'hi again' })
  const firstAnswer = async (url: string) =>
    (
      await fetch(`${url}/api/v1/contact/default-reply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
        body,
      })
    ).status === 200
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const db = freshDb(seedPath, 'startup')
    const port = await freePort()
    const started = performance.now()
    const server = await start(
      launch({ server: 'dmtracker', durability: 'full' }, db, port, dmtracker),
      port,
      join(tmp, 'startup.log'),
      firstAnswer,
      120_000,
      1,
    )
    times.push(performance.now() - started)
    await server.stop()
  }
  return median(times)
}

/** create-contact with the reference's limit on: after the burst almost every answer is a 429. */
async function rateLimited(seeded: Seed, seedPath: string, dmtracker: string): Promise<Measured> {
  return measure(
    { server: 'dmtracker', durability: options.durabilities[0]!, rateLimit: '60' },
    'create-contact',
    seeded,
    seedPath,
    dmtracker,
    {
      connections: options.connections,
      duration: options.duration,
    },
  )
}

/** What a row calls its server. */
function label(target: Target): string {
  if (target.webhooks) return `dmtracker + webhooks (${target.webhooks === 'slow' ? '200 ms' : 'dead'} receiver)`
  return target.server === 'baseline' && target.durability === 'full' ? 'baseline (commit per request)' : target.server
}

/** Issue 21: does a long read hold up the webhooks? See scripts/bench/mixed.ts. */
async function mixed() {
  const contacts = options.contacts[0]!
  const seedPath = join(tmp, 'seed-mixed.db')
  const seededAt = performance.now()
  const seeded = await seed(seedPath, { contacts, orgCount: options.orgs, historyDays: options.historyDays })
  log(
    `seeded ${contacts} contacts over ${options.orgs} organizations and ${options.historyDays} days in ${((performance.now() - seededAt) / 1000).toFixed(1)} s`,
  )
  const durability = options.durabilities[0]!
  const server = (path: string) => async () => {
    const db = freshDb(seedPath, 'run')
    addPagesUser(path, db, seeded.orgs[0]!.id)
    const port = await freePort()
    return start(launch({ server: 'dmtracker', durability }, db, port, path), port, join(tmp, 'mixed.log'), healthy)
  }
  const servers = [{ name: 'this build', start: server(binary()) }]
  if (values.compare) servers.push({ name: 'compared', start: server(resolve(values.compare)) })
  const table = await mixedBench({
    servers,
    seeded,
    connections: options.connections,
    duration: options.duration,
    rateDuration: options.rateDuration,
    repeat: options.repeat,
    scenarios: options.scenarios,
    log,
  })
  console.log(
    `${contacts} contacts over ${options.orgs} organizations and ${options.historyDays} days, durability ${durability}, ${options.connections} connections, ${options.duration} s per flat-out run, ${options.rateDuration} s per fixed-rate run, median of ${options.repeat}\n`,
  )
  console.log(table)
  console.log(`\nmachine: ${JSON.stringify(machine())}`)
}

async function main() {
  if (values.mixed) return mixed()
  if (options.webhooks) {
    receivers.slow = slowReceiver()
    receivers.dead = `http://127.0.0.1:${await freePort()}/hook`
  }
  const dmtracker = options.runtimes.includes('bun') || options.extras ? binary() : ''
  const rows: Row[] = []
  const extras: Extra[] = []
  for (const contacts of options.contacts) {
    const seedPath = join(tmp, `seed-${contacts}.db`)
    const seededAt = performance.now()
    const seeded = await seed(seedPath, { contacts, orgCount: options.orgs, historyDays: options.historyDays })
    log(
      `seeded ${contacts} contacts over ${options.orgs} organizations and ${options.historyDays} days in ${((performance.now() - seededAt) / 1000).toFixed(1)} s`,
    )
    for (const endpoint of options.endpoints) rows.push(...(await benchEndpoint(endpoint, seeded, seedPath, dmtracker)))
    const last = contacts === options.contacts.at(-1)
    if (options.extras && last) {
      extras.push({
        name: `start-up to first answered request (${contacts} contacts)`,
        value: `${Math.round(await startupMs(seeded, seedPath, dmtracker))} ms`,
      })
      if (options.endpoints.includes('create-contact')) {
        const limited = await rateLimited(seeded, seedPath, dmtracker)
        extras.push({
          name: 'create-contact over the rate limit (429 path)',
          value: `${Math.round(limited.load.rps)} req/s, p99 ${limited.load.p99} ms, statuses ${JSON.stringify(limited.load.statuses)}`,
        })
      }
    }
    rmSync(seedPath, { force: true })
  }
  for (const row of rows.filter((r) => r.server.startsWith('dmtracker + webhooks'))) {
    const plain = rows.find(
      (r) => r.server === 'dmtracker' && r.contacts === row.contacts && r.endpoint === row.endpoint && r.durability === row.durability,
    )
    if (plain)
      extras.push({
        name: `${row.endpoint} ${row.durability}: ${row.server.slice('dmtracker + '.length)} vs none, same run`,
        value: `${((row.rps / plain.rps) * 100).toFixed(0)}%`,
      })
  }
  if (options.contacts.length > 1) {
    const [small, large] = [Math.min(...options.contacts), Math.max(...options.contacts)]
    for (const row of rows.filter((r) => r.contacts === large)) {
      const ref = rows.find(
        (r) => r.contacts === small && r.endpoint === row.endpoint && r.server === row.server && r.durability === row.durability,
      )
      if (ref)
        extras.push({
          name: `flat cost: ${row.endpoint} ${row.server} ${row.durability}, ${large} vs ${small} contacts`,
          value: `${((row.rps / ref.rps) * 100).toFixed(0)}%`,
        })
    }
  }
  const dirty = rows.filter((r) => r.non2xx > 0 || r.errors > 0)
  const report = { date: new Date().toISOString(), machine: machine(), options, rows, extras }
  console.log(table(rows))
  if (extras.length)
    console.log(
      `\n${markdown(
        ['measurement', 'result'],
        extras.map((e) => [e.name, e.value]),
      )}`,
    )
  for (const r of dirty)
    console.log(
      `warning: ${r.endpoint} ${r.server} ${r.durability}: ${r.non2xx} non-2xx answers, ${r.errors} errors ${JSON.stringify(r.statuses)}`,
    )
  console.log(`\nmachine: ${JSON.stringify(report.machine)}\nresults: ${save(ROOT, report)}`)
}

try {
  await main()
} finally {
  if (values.keep) log(`kept ${tmp}`)
  else rmSync(tmp, { recursive: true, force: true })
}
