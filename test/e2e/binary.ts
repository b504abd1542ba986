// The binary the end-to-end tests run: built from this checkout, or, with DMTRACKER_E2E_BINARY set,
// a given one (the release test runs the linux-x64 release binary through them).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')

/** Puts the binary in `dir` as `dmtracker` (no node_modules in sight) and returns its path. */
export function binaryForE2e(dir: string): string {
  const binary = join(dir, 'dmtracker')
  const given = process.env.DMTRACKER_E2E_BINARY
  if (given) {
    copyFileSync(given, binary)
    return binary
  }
  const build = spawnSync(join(root, 'node_modules/.bin/bun'), ['scripts/build.ts', '--outfile', binary], { cwd: root, encoding: 'utf8' })
  assert.equal(build.status, 0, build.stderr)
  return binary
}
