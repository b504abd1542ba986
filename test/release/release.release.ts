// npm run test:release (run by .ci/run, not by npm test: five cross-compiled binaries of ~110 MB
// take a minute or more): builds the release as `npm run release` does and checks what a user
// downloads: every file is there, SHA256SUMS matches and `sha256sum -c` accepts it, `file` sees
// the right format and architecture, and the binary for this machine passes the end-to-end tests.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'

const root = resolve(import.meta.dirname, '../..')
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string

/** What `file` says of each platform's binary. */
const FORMATS: Record<string, RegExp> = {
  'linux-x64': /ELF 64-bit LSB executable, x86-64/,
  'linux-arm64': /ELF 64-bit LSB executable, ARM aarch64/,
  'darwin-arm64': /Mach-O 64-bit arm64 executable/,
  'darwin-x64': /Mach-O 64-bit x86_64 executable/,
  'windows-x64': /PE32\+ executable \(console\) x86-64, for MS Windows/,
}
const nameOf = (platform: string) => `dmtracker-${version}-${platform}${platform.startsWith('windows') ? '.exe' : ''}`

describe('npm run release', () => {
  let outdir: string
  before(() => {
    outdir = mkdtempSync(join(tmpdir(), 'dmtracker-release-'))
    const release = spawnSync(join(root, 'node_modules/.bin/bun'), ['scripts/release.ts', '--outdir', outdir], {
      cwd: root,
      encoding: 'utf8',
    })
    assert.equal(release.status, 0, `${release.stdout}\n${release.stderr}`)
  })
  after(() => rmSync(outdir, { recursive: true, force: true }))

  it('writes one binary per platform, named with version and platform, and SHA256SUMS', () => {
    assert.deepEqual(readdirSync(outdir).sort(), [...Object.keys(FORMATS).map(nameOf), 'SHA256SUMS'].sort())
  })

  it("SHA256SUMS holds each file's checksum, in the form sha256sum -c checks", () => {
    const lines = readFileSync(join(outdir, 'SHA256SUMS'), 'utf8').trim().split('\n')
    assert.equal(lines.length, Object.keys(FORMATS).length)
    for (const line of lines) {
      const [sum, name] = line.split('  ')
      assert.equal(
        sum,
        createHash('sha256')
          .update(readFileSync(join(outdir, name!)))
          .digest('hex'),
        name,
      )
    }
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: outdir, encoding: 'utf8' })
    assert.equal(check.status, 0, check.stdout + check.stderr)
  })

  for (const [platform, format] of Object.entries(FORMATS)) {
    it(`${platform}: file reports ${format.source}`, () => {
      const described = spawnSync('file', ['-b', join(outdir, nameOf(platform))], { encoding: 'utf8' })
      assert.equal(described.status, 0, described.stderr)
      assert.match(described.stdout, format)
    })
  }

  const here = `linux-${process.arch}`
  it(`${here}: prints its version, commit and build date, and passes the end-to-end tests`, {
    skip: process.platform !== 'linux' || !(here in FORMATS) ? `no release binary runs on ${process.platform}-${process.arch}` : false,
  }, () => {
    const binary = join(outdir, nameOf(here))
    const printed = spawnSync(binary, ['version'], { encoding: 'utf8' })
    assert.match(
      printed.stdout.trim(),
      new RegExp(
        `^dmtracker ${version.replaceAll('.', '\\.')} \\(commit [0-9a-f]{7,}, built \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\)$`,
      ),
    )
    // Without NODE_TEST_CONTEXT: with it, the inner runner reports to this one instead of printing.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env
    const e2e = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=1', 'test/e2e/binary.e2e.ts', 'test/e2e/acme.e2e.ts'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...env, DMTRACKER_E2E_BINARY: binary },
      },
    )
    assert.equal(e2e.status, 0, e2e.stdout.split('\n').slice(-60).join('\n') + e2e.stderr)
    assert.match(e2e.stdout, /^# fail 0$/m)
    assert.match(e2e.stdout, /^# pass [1-9]\d*$/m)
    assert.match(e2e.stdout, /^# skipped 0$/m, 'the ACME test ran (pebble is installed)')
  })
})
