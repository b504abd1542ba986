// deploy/dmtracker.service (issue 19): the hardening the operations guide promises is in the unit,
// and systemd itself accepts it (systemd-analyze, where systemd is installed).

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

const unitText = readFileSync(new URL('../deploy/dmtracker.service', import.meta.url), 'utf8')
const settings = new Map<string, string[]>()
for (const line of unitText.split('\n')) {
  const match = /^(\w+)=(.*)$/.exec(line)
  if (match) settings.set(match[1]!, [...(settings.get(match[1]!) ?? []), match[2]!])
}
const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0

describe('deploy/dmtracker.service', () => {
  for (const [key, value] of [
    ['User', 'dmtracker'],
    ['StateDirectory', 'dmtracker'],
    ['StateDirectoryMode', '0700'],
    ['UMask', '0077'],
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['CapabilityBoundingSet', 'CAP_NET_BIND_SERVICE'],
    ['AmbientCapabilities', 'CAP_NET_BIND_SERVICE'],
    ['Restart', 'on-failure'],
  ]) {
    it(`sets ${key}=${value}`, () => assert.deepEqual(settings.get(key!), [value]))
  }

  it('keeps its database in the state directory', () => {
    assert.match(settings.get('ExecStart')![0]!, /^\/usr\/local\/bin\/dmtracker serve --db \/var\/lib\/dmtracker\/dmtracker\.db$/)
  })

  describe('systemd-analyze', { skip: hasSystemd ? false : 'systemd-analyze is not installed' }, () => {
    // verify wants ExecStart's program to exist: point it at one that does.
    const dir = mkdtempSync(join(tmpdir(), 'dmtracker-unit-'))
    const unit = join(dir, 'dmtracker.service')
    writeFileSync(unit, unitText.replaceAll('/usr/local/bin/dmtracker', process.execPath))
    after(() => rmSync(dir, { recursive: true, force: true }))

    it('verify: no errors and no warnings (an unknown key is only a warning)', () => {
      const result = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' })
      assert.equal(result.status, 0, result.stderr)
      assert.deepEqual(
        result.stderr.split('\n').filter((line) => line.includes('dmtracker.service')),
        [],
      )
    })

    it('security: exposure rated OK or better', (t) => {
      const result = spawnSync('systemd-analyze', ['security', '--offline=true', unit], { encoding: 'utf8' })
      if (/unrecognized option|unknown option/.test(result.stderr)) return t.skip('this systemd has no security --offline (before v252)')
      const level = /Overall exposure level for dmtracker\.service: ([\d.]+) (\w+)/.exec(result.stdout)
      assert.ok(level, result.stdout + result.stderr)
      assert.ok(Number(level[1]) <= 4, `exposure ${level[1]} ${level[2]}`)
    })
  })
})
