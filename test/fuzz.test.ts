// A short, seeded run of the property-based fuzzing in scripts/reliability/fuzz-properties.ts:
// hostile requests never get a 5xx and every 4xx is in the error shape; valid bodies with
// arbitrary text are stored and read back literally. `npm run fuzz` runs the same at length.

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { FUZZ_TARGETS, fuzzTarget } from '../scripts/reliability/fuzz-properties.ts'
import { createFuzzWorld, type FuzzWorld } from '../scripts/reliability/fuzz-world.ts'

/** Cases per property and target; a fixed seed, so a failure here reproduces. */
const RUNS = 150
const SEED = 20261126

describe('fuzzing every endpoint (short seeded run)', () => {
  let world: FuzzWorld
  beforeEach(async () => {
    world = await createFuzzWorld()
  })
  afterEach(async () => {
    await world.close()
  })

  for (const target of FUZZ_TARGETS) {
    const roundTrips = target === 'read-api' ? 0 : RUNS
    it(`${target}: no 5xx, every 4xx in the error shape${roundTrips ? ', valid text round-trips' : ''}`, { timeout: 120_000 }, async () => {
      const counts = await fuzzTarget(world, target, { runs: RUNS, seed: SEED })
      assert.equal(counts.hostile, RUNS)
      assert.equal(counts.roundTrip, roundTrips)
      // The cases reached past validation: some were accepted, some refused.
      assert.ok(
        Object.keys(counts.statuses).some((s) => Number(s) < 300),
        JSON.stringify(counts.statuses),
      )
      assert.ok(
        Object.keys(counts.statuses).some((s) => Number(s) >= 400),
        JSON.stringify(counts.statuses),
      )
    })
  }
})
