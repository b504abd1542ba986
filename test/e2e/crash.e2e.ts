// The crash test's short run (`npm run crash-test` is the long one): three SIGKILLs of the real
// binary under a write load on every write endpoint, each followed by a restart and a check of
// every acknowledged write, then a SIGTERM under load. Runs under Node (npm run test:e2e).

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type CrashReport, runCrashTest } from '../../scripts/reliability/crash.ts'
import { buildBinary } from '../../scripts/reliability/server-process.ts'

describe('crash safety of the compiled binary (short run)', () => {
  let dir: string
  let report: CrashReport

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-crash-e2e-'))
    const binary = join(dir, 'dmtracker')
    buildBinary(binary)
    report = await runCrashTest({ binary, dir, rounds: 3, maxLoadMs: 800 })
  })
  after(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('loses and duplicates no acknowledged write across three SIGKILLs, integrity_check ok after each', () => {
    assert.deepEqual(report.problems, [])
    assert.equal(report.killedUnderLoad, 3)
    assert.ok(report.acknowledged > 0, 'writes were acknowledged before the kills')
    for (const endpoint of ['create-contact', 'contact-status', 'update-tags', 'default-reply']) {
      assert.ok((report.answers[endpoint]?.['200'] ?? report.answers[endpoint]?.['201'] ?? 0) > 0, `${endpoint} was exercised`)
    }
  })

  it('on SIGTERM under load answers the request in flight and exits 0', () => {
    assert.equal(report.sigterm.inFlightAnswer, 201)
    assert.equal(report.sigterm.exitCode, 0)
    assert.ok(report.sigterm.stoppedLogged)
  })
})
