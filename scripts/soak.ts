// The soak (npm run soak): the compiled binary under a steady mixed write load for a long time,
// sampling its resident memory (VmRSS) and the WAL's size. After a warm-up, neither may grow:
// the verdict compares the second half of the samples with the first. At the end every
// acknowledged write is checked in the database, as in the crash test.
// Usage: bun scripts/soak.ts [--minutes 10] [--rate 100] [--sample-seconds 5] [--keep]
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildBinary, cliJson, ensureStopped, type ServerProcess, startServer } from './reliability/server-process.ts'
import { Ledger, type Org, verifyLedger, Workload } from './reliability/workload.ts'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100' },
    'sample-seconds': { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
})
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const sampleMs = Number(values['sample-seconds']) * 1000
if (!(minutes > 0) || !(rate > 0) || !(sampleMs >= 1000)) {
  console.error('usage: bun scripts/soak.ts [--minutes N] [--rate REQUESTS_PER_SECOND] [--sample-seconds N >= 1]')
  process.exit(2)
}

/** The share of the run that counts as warm-up (caches, statement cache, WAL reaching its size). */
const WARM_UP = 0.2
const MB = 1024 * 1024

interface Sample {
  seconds: number
  rssMb: number
  walMb: number
  dbMb: number
  requests: number
  errors: number
  p50: number
  p99: number
}

const rssMb = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024
const sizeMb = (path: string) => {
  try {
    return statSync(path).size / MB
  } catch {
    return 0 // no WAL right after a checkpoint that truncated it
  }
}
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  )

/** A steady pace: one request every 1000/rate ms, whatever the answers' speed. */
function pacer(perSecond: number) {
  let next = performance.now()
  return async () => {
    next = Math.max(next + 1000 / perSecond, performance.now() - 1000) // never burst to catch up more than a second
    const wait = next - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }
}

/** Growth from the first to the second half of the samples after warm-up, and whether it is bounded. */
function trend(samples: Sample[], pick: (s: Sample) => number, slackMb: number) {
  const steady = samples.slice(Math.floor(samples.length * WARM_UP))
  const half = Math.floor(steady.length / 2)
  const first = median(steady.slice(0, half).map(pick))
  const second = median(steady.slice(half).map(pick))
  return { first, second, bounded: second <= first * 1.1 + slackMb }
}

const dir = mkdtempSync(join(tmpdir(), 'dmtracker-soak-'))
let server: ServerProcess | undefined
try {
  const binary = join(dir, 'dmtracker')
  const dbPath = join(dir, 'soak.db')
  buildBinary(binary)
  const org = cliJson<Org>(binary, ['org', 'create', '--name', 'Soak test', '--db', dbPath])
  server = startServer(binary, dbPath, ['--durability', 'full', '--rate-limit', 'off', '--quiet'])
  const url = await server.listening
  const pid = server.pid

  let latencies: number[] = []
  let errors = 0
  const ledger = new Ledger()
  const workload = new Workload(org, ledger, {
    pace: pacer(rate),
    onAnswer: (status, ms) => {
      latencies.push(ms)
      if (!status.startsWith('2')) errors++
    },
  })
  const end = performance.now() + minutes * 60_000
  // Enough workers that the pace, not the answers, sets the rate.
  const load = workload.drive(url, 16, () => performance.now() >= end)

  console.log(`soak: ${minutes} min at ${rate} requests/s on ${url} (pid ${pid}), durability full, sampling every ${sampleMs / 1000} s`)
  console.log('   time   RSS MB   WAL MB    DB MB  requests  errors  p50 ms  p99 ms')
  const samples: Sample[] = []
  const started = performance.now()
  while (performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(sampleMs, end - performance.now())))
    const sorted = latencies.sort((a, b) => a - b)
    const sample: Sample = {
      seconds: Math.round((performance.now() - started) / 1000),
      rssMb: rssMb(pid),
      walMb: sizeMb(`${dbPath}-wal`),
      dbMb: sizeMb(dbPath),
      requests: sorted.length,
      errors,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
    }
    latencies = []
    errors = 0
    samples.push(sample)
    console.log(
      [
        `${sample.seconds}s`.padStart(7),
        sample.rssMb.toFixed(1).padStart(8),
        sample.walMb.toFixed(1).padStart(8),
        sample.dbMb.toFixed(1).padStart(8),
        String(sample.requests).padStart(9),
        String(sample.errors).padStart(7),
        sample.p50.toFixed(1).padStart(7),
        sample.p99.toFixed(1).padStart(7),
      ].join(' '),
    )
  }
  await load
  server.kill('SIGTERM')
  const { code } = await server.exited
  const problems = await verifyLedger(dbPath, org.id, ledger)
  problems.push(...ledger.problems.slice(0, 20))
  if (code !== 0) problems.push(`exit code ${code} after SIGTERM`)

  const rss = trend(samples, (s) => s.rssMb, 8)
  const wal = trend(samples, (s) => s.walMb, 1)
  const first = samples[0]!
  const last = samples.at(-1)!
  console.log(
    `\nRSS: ${first.rssMb.toFixed(1)} MB at the first sample, ${last.rssMb.toFixed(1)} MB at the end; after warm-up, median ${rss.first.toFixed(1)} MB in the first half, ${rss.second.toFixed(1)} MB in the second: ${rss.bounded ? 'bounded' : 'GROWING'}`,
  )
  console.log(
    `WAL: ${first.walMb.toFixed(1)} MB at the first sample, ${last.walMb.toFixed(1)} MB at the end; after warm-up, median ${wal.first.toFixed(1)} MB, then ${wal.second.toFixed(1)} MB: ${wal.bounded ? 'bounded' : 'GROWING'}`,
  )
  console.log(
    `database file: ${first.dbMb.toFixed(1)} MB -> ${last.dbMb.toFixed(1)} MB (the data itself); ${ledger.acknowledged} acknowledged writes checked present exactly once`,
  )
  if (problems.length > 0 || !rss.bounded || !wal.bounded) {
    console.log(`FAIL${problems.length ? `: ${problems.join('; ')}` : ''}`)
    process.exitCode = 1
  } else {
    console.log('PASS: memory and WAL stay bounded under steady load')
  }
} finally {
  await ensureStopped(server)
  if (values.keep) console.log(`kept ${dir}`)
  else rmSync(dir, { recursive: true, force: true })
}
