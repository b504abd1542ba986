// The long fuzzing run: every endpoint, in process, each against a fresh temp-file database.
// Usage: bun scripts/fuzz.ts [--runs 10000] [--seed N] [--target NAME]   (npm run fuzz)
// --runs is per property and target: each write endpoint gets that many hostile cases and that
// many round-trip cases, the read API's routes that many hostile cases. A failure prints
// fast-check's report (seed and path reproduce it) and exits 1.
import { parseArgs } from 'node:util'
import { FUZZ_TARGETS, type FuzzTarget, fuzzTarget } from './reliability/fuzz-properties.ts'
import { createFuzzWorld } from './reliability/fuzz-world.ts'

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' }, target: { type: 'string' } },
})
const runs = Number(values.runs)
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed)
const targets = values.target === undefined ? FUZZ_TARGETS : [values.target as FuzzTarget]
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || targets.some((t) => !FUZZ_TARGETS.includes(t))) {
  console.error(`usage: bun scripts/fuzz.ts [--runs N] [--seed N] [--target ${FUZZ_TARGETS.join('|')}]`)
  process.exit(2)
}

console.log(`fuzzing ${targets.length} target(s), ${runs} cases per property, seed ${seed}`)
let failed = false
let total = 0
for (const target of targets) {
  const world = await createFuzzWorld()
  const started = performance.now()
  try {
    const { hostile, roundTrip, statuses } = await fuzzTarget(world, target, { runs, seed })
    total += hostile + roundTrip
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const answers = Object.entries(statuses)
      .map(([status, n]) => `${status}:${n}`)
      .join(' ')
    console.log(
      `${target.padEnd(15)} ${String(hostile).padStart(6)} hostile + ${String(roundTrip).padStart(6)} round-trip cases ok in ${seconds.padStart(5)} s   hostile answers ${answers}`,
    )
  } catch (error) {
    failed = true
    console.log(`${target.padEnd(15)} FAILED\n${error instanceof Error ? error.message : String(error)}`)
  } finally {
    await world.close()
  }
}
console.log(failed ? 'FAIL' : `PASS: ${total} cases, no 5xx, every 4xx in the error shape, every valid value stored literally`)
process.exit(failed ? 1 : 0)
