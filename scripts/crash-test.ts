// The crash test's full run (npm run crash-test): builds the binary into a temp folder, kills it
// with SIGKILL under load round after round, checks every acknowledged write after each restart,
// then stops it with SIGTERM under load. See scripts/reliability/crash.ts.
// Usage: bun scripts/crash-test.ts [--rounds 25] [--workers 8] [--max-load-ms 1500] [--seed N] [--keep]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runCrashTest } from './reliability/crash.ts'
import { buildBinary } from './reliability/server-process.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '25' },
    workers: { type: 'string', default: '8' },
    'max-load-ms': { type: 'string', default: '1500' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
})
const number = (name: string, raw: string | undefined) => {
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a whole number above 0`)
    process.exit(2)
  }
  return value
}

const dir = mkdtempSync(join(tmpdir(), 'dmtracker-crash-'))
try {
  const binary = join(dir, 'dmtracker')
  buildBinary(binary)
  const report = await runCrashTest({
    binary,
    dir,
    rounds: number('rounds', values.rounds),
    workers: number('workers', values.workers),
    maxLoadMs: number('max-load-ms', values['max-load-ms']),
    seed: values.seed === undefined ? undefined : number('seed', values.seed),
    log: (line) => console.log(line),
  })
  console.log('\nanswers by endpoint (status: count; "network" = cut off by a kill):')
  for (const [endpoint, statuses] of Object.entries(report.answers)) {
    console.log(
      `  ${endpoint.padEnd(15)} ${Object.entries(statuses)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')}`,
    )
  }
  console.log(
    `\n${report.killedUnderLoad} kills under load and ${report.killedWhileStarting} while starting; ` +
      `${report.acknowledged} acknowledged writes, each checked present exactly once after every restart; ` +
      `SIGTERM under load: in-flight request answered ${report.sigterm.inFlightAnswer}, exit code ${report.sigterm.exitCode}`,
  )
  if (report.problems.length > 0) {
    console.log(`\nFAIL: ${report.problems.length} problem(s)`)
    for (const problem of report.problems.slice(0, 50)) console.log(`  - ${problem}`)
    process.exitCode = 1
  } else {
    console.log('PASS: nothing acknowledged was lost or duplicated, integrity_check ok after every crash')
  }
} finally {
  if (values.keep) console.log(`kept ${dir}`)
  else rmSync(dir, { recursive: true, force: true })
}
