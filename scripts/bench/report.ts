import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { join } from 'node:path'

export interface Row {
  endpoint: string
  contacts: number
  /** `dmtracker` (compiled binary), `dmtracker-node` (tsx dev path) or `baseline`. */
  server: string
  durability: string
  /** Median of the flat-out runs, and each run's figure. */
  rps: number
  runs: number[]
  p50: number
  p99: number
  /** Server CPU time per request (µs, median of the flat-out runs): the cost, apart from waiting on disk. */
  cpuUs: number
  /** The fixed offered rate (half the baseline's throughput) and the latency at it. */
  rate?: { offered: number; achieved: number; p50: number; p99: number }
  /** Flat-out req/s over the durability-normal baseline's in the same run. */
  vsBaseline?: number
  peakRssMb: number
  idleRssMb: number
  /** Answers that were not 2xx and socket errors, over every run of this row: a clean run has 0. */
  non2xx: number
  errors: number
  statuses: Record<string, number>
}

export interface Extra {
  name: string
  value: string
}

export function machine() {
  const node = spawnSync('node', ['--version'], { encoding: 'utf8' }).stdout.trim()
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: `${process.platform} ${release()}`,
    bun: Bun.version,
    node,
  }
}

const fixed = (n: number, digits = 0) => n.toFixed(digits)
const ms = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0))

export function table(rows: Row[]): string {
  const header = [
    'endpoint',
    'contacts',
    'server',
    'durability',
    'req/s',
    'spread',
    'p50 ms',
    'p99 ms',
    'CPU/req',
    'fixed rate',
    'p50 ms',
    'p99 ms',
    'vs baseline',
    'peak RSS',
    'idle RSS',
  ]
  const lines = rows.map((r) => [
    r.endpoint,
    r.contacts >= 1_000_000 ? `${r.contacts / 1_000_000}M` : `${r.contacts / 1000}k`,
    r.server,
    r.durability,
    fixed(r.rps),
    r.runs.length > 1 ? `±${fixed(((Math.max(...r.runs) - Math.min(...r.runs)) / 2 / r.rps) * 100)}%` : '',
    ms(r.p50),
    ms(r.p99),
    `${fixed(r.cpuUs)} µs`,
    r.rate ? `${fixed(r.rate.offered)}${r.rate.achieved < r.rate.offered * 0.97 ? ` (got ${fixed(r.rate.achieved)})` : ''}` : '',
    r.rate ? ms(r.rate.p50) : '',
    r.rate ? ms(r.rate.p99) : '',
    r.vsBaseline === undefined ? '' : `${fixed(r.vsBaseline * 100)}%`,
    `${fixed(r.peakRssMb)} MB`,
    `${fixed(r.idleRssMb)} MB`,
  ])
  return markdown(header, lines)
}

export function markdown(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n')
}

/** Writes bench-results/<timestamp>.json and returns its path. */
export function save(root: string, report: unknown): string {
  const dir = join(root, 'bench-results')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`)
  return path
}
