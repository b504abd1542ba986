// `dmtracker version`, --version and GET /version (issue 19): in a checkout, the version, the
// current commit and `dev`; the compiled binary's baked-in values are checked in test/e2e/binary.e2e.ts.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterEach, describe, it } from 'node:test'
import { runCli } from '../src/cli/run.ts'
import { setup, type TestEnv } from './helpers.ts'

const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()

describe('version', () => {
  let env: TestEnv | undefined
  afterEach(() => env?.close())

  for (const arg of ['version', '--version', '-v']) {
    it(`\`dmtracker ${arg}\` prints version, commit and build date`, async () => {
      const out: string[] = []
      const code = await runCli([arg], { out: (t) => out.push(t), err: (t) => out.push(t), env: {} })
      assert.equal(code, 0)
      assert.deepEqual(out, [`dmtracker ${version} (commit ${commit}, built dev)`])
    })
  }

  it('GET /version says the same', async () => {
    env = await setup()
    const res = await env.call('GET', '/version', undefined, { token: null })
    assert.equal(res.status, 200)
    assert.equal(res.body.version, version)
    assert.equal(res.body.commit, commit)
    assert.equal(res.body.built, 'dev')
  })
})
