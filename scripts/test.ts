// npm test: runs the given npm scripts one after another, each with its full output in
// test-logs/<script>.log, and prints one line per stage instead of thousands. On a failure it prints
// the failing tests' lines and the log's path, and stops, as `a && b && c` would.
// The output ends with `# pass N`, `# fail N` and `N passed, N failed`, the lines CI and people look for.
// Usage: node --import tsx scripts/test.ts SCRIPT... (e.g. typecheck test:bun test:node test:e2e)
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const logDir = join(root, 'test-logs')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

interface Outcome {
  ok: boolean
  pass?: number
  fail?: number
  /** What failed, for a failed stage: its failing tests' lines, or its last lines. */
  failing: string[]
  logPath: string
}

/** The last `pass N` / `fail N` count: bun test's ` N pass`, node --test's TAP `# pass N` or spec `ℹ pass N`. */
function lastCount(log: string, word: 'pass' | 'fail'): number | undefined {
  const match = [...log.matchAll(new RegExp(`^\\s*(?:(?:# |ℹ )${word} (\\d+)|(\\d+) ${word})$`, 'gm'))].at(-1)
  return match ? Number(match[1] ?? match[2]) : undefined
}

async function runStage(script: string): Promise<Outcome> {
  mkdirSync(logDir, { recursive: true })
  const logPath = join(logDir, `${script.replaceAll(':', '-')}.log`)
  const log = createWriteStream(logPath)
  const child = spawn(npm, ['run', '--silent', script], { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } })
  let text = ''
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
      log.write(chunk)
    })
  }
  const [code] = (await once(child, 'close')) as [number | null]
  log.end()
  await once(log, 'close')
  const ok = code === 0
  // The lines that name what failed: bun's `(fail)`, TAP's `not ok`, spec's `✖`, tsc's `error TS`.
  const named = ok ? [] : text.split('\n').filter((line) => /^\(fail\)|^\s*not ok |^\s*✖ |error TS\d+/.test(line))
  const failing = ok || named.length ? named : text.trimEnd().split('\n').slice(-15)
  return { ok, pass: lastCount(text, 'pass'), fail: lastCount(text, 'fail'), failing, logPath }
}

const scripts = process.argv.slice(2)
let pass = 0
let fail = 0
for (const script of scripts) {
  const started = performance.now()
  const outcome = await runStage(script)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const tally = outcome.pass === undefined ? '' : `${outcome.pass} pass, ${outcome.fail ?? 0} fail, `
  console.log(`${outcome.ok ? 'ok  ' : 'FAIL'} ${script.padEnd(10)} ${tally}${seconds} s`)
  for (const line of outcome.failing.slice(0, 30)) console.log(`    ${line}`)
  if (outcome.failing.length > 30) console.log(`    ... ${outcome.failing.length - 30} more`)
  if (!outcome.ok) console.log(`    full log: ${relative(process.cwd(), outcome.logPath)}`)
  // CI keeps only what is printed, not the log files: there, show the failing stage's end in full.
  if (!outcome.ok && process.env.CI) console.log(readFileSync(outcome.logPath, 'utf8').split('\n').slice(-300).join('\n'))
  pass += outcome.pass ?? 0
  // A stage that failed without counting (a type error, a crash) still counts as a failure.
  fail += outcome.fail || (outcome.ok ? 0 : 1)
  if (!outcome.ok) break
}
console.log(`# pass ${pass}`)
console.log(`# fail ${fail}`)
// The plain closing line any CI reads, whatever the runners above printed.
console.log(`${pass} passed, ${fail} failed`)
process.exitCode = fail === 0 ? 0 : 1
