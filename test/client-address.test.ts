// Which address the failed-token throttle counts against: the TCP peer, unless the operator
// names the proxies in front with --trust-proxy (issue 13, point 5).

import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { runtime } from '#runtime'
import { ConfigError, loadConfig } from '../src/config.ts'
import { parseTrustProxy } from '../src/core/trust-proxy.ts'
import { pickClientAddress } from '../src/http/client-address.ts'
import { setup, type TestEnv } from './helpers.ts'

describe('client address', () => {
  const pick = (peer: string | undefined, xff: string | undefined, trust: string) => pickClientAddress(peer, xff, parseTrustProxy(trust))

  for (const [name, peer, xff, trust, expected] of [
    ['off: the peer, whatever the header says', '127.0.0.1', '203.0.113.9', 'off', '127.0.0.1'],
    ["off: a dual-stack socket's IPv4 peer", '::ffff:198.51.100.7', undefined, 'off', '198.51.100.7'],
    ['1 hop: the entry the proxy appended', '127.0.0.1', '203.0.113.9', '1', '203.0.113.9'],
    ['1 hop: spoofed leftmost entries are ignored', '127.0.0.1', '6.6.6.6, 7.7.7.7, 203.0.113.9', '1', '203.0.113.9'],
    ['1 hop: no header, the proxy itself', '127.0.0.1', undefined, '1', '127.0.0.1'],
    ['2 hops: the entry the outer proxy appended', '127.0.0.1', '6.6.6.6, 203.0.113.9, 10.0.0.5', '2', '203.0.113.9'],
    ['2 hops, shorter chain: its leftmost address', '127.0.0.1', '203.0.113.9', '2', '203.0.113.9'],
    ['addresses: an untrusted peer is the client, header or not', '198.51.100.7', '203.0.113.9', 'loopback', '198.51.100.7'],
    ['addresses: rightmost entry that is not a proxy', '127.0.0.1', '6.6.6.6, 203.0.113.9', 'loopback', '203.0.113.9'],
    ['addresses: proxies in a CIDR are skipped', '10.0.0.1', '6.6.6.6, 203.0.113.9, 10.0.0.7, 10.0.3.4', '10.0.0.0/16', '203.0.113.9'],
    [
      'addresses: a spoofed proxy address left of the client changes nothing',
      '127.0.0.1',
      '10.0.0.9, 203.0.113.9',
      'loopback,10.0.0.0/8',
      '203.0.113.9',
    ],
    ['addresses: all proxies, the leftmost', '127.0.0.1', '10.0.0.9', 'loopback, 10.0.0.0/8', '10.0.0.9'],
    ['addresses: IPv6 ranges', '::1', '2001:db8::1, fd00::2', 'loopback,fd00::/8', '2001:db8::1'],
    ["addresses: a garbage entry is nobody's proxy", '127.0.0.1', '203.0.113.9, not-an-ip', 'loopback', 'not-an-ip'],
  ] as const) {
    it(name, () => assert.equal(pick(peer, xff, trust), expected))
  }

  it('is off by default and refuses bad --trust-proxy values with a clear error', () => {
    assert.deepEqual(loadConfig({}, {}).trustProxy, { kind: 'off' })
    assert.equal(loadConfig({ 'trust-proxy': '1' }, {}).trustProxy.kind, 'hops')
    assert.equal(loadConfig({}, { DMTRACKER_TRUST_PROXY: '127.0.0.1, ::1/128' }).trustProxy.kind, 'addresses')
    for (const bad of ['yes', '11', '10.0.0.0/33', '10.0.0.0/8/1', 'loopback,', '300.1.1.1']) {
      assert.throws(
        () => loadConfig({ 'trust-proxy': bad }, {}),
        (e: Error) => e instanceof ConfigError && /^--trust-proxy /.test(e.message),
        bad,
      )
    }
  })

  describe('over a real socket', () => {
    let env: TestEnv
    let server: Awaited<ReturnType<typeof runtime.listen>> | undefined
    afterEach(async () => {
      await server?.stop()
      await env.close()
    })
    const start = async (trust: string) => {
      env = await setup({ authFailuresPerMinute: 3, trustProxy: parseTrustProxy(trust) })
      server = await runtime.listen(env.app.fetch, { hostname: '127.0.0.1', port: 0 })
      return (token: string, forwardedFor: string) =>
        fetch(`http://127.0.0.1:${server!.port}/api/v1/contacts`, {
          headers: { 'x-org-auth-token': token, 'x-forwarded-for': forwardedFor },
        }).then(async (res) => {
          await res.arrayBuffer()
          return res.status
        })
    }

    it('by default, rotating X-Forwarded-For from loopback does not escape the throttle', async () => {
      const get = await start('off')
      const statuses = []
      for (let i = 1; i <= 5; i++) statuses.push(await get('dmt_guess', `203.0.113.${i}`))
      assert.deepEqual(statuses, [401, 401, 401, 429, 429])
      assert.equal(await get(env.org.token, '203.0.113.9'), 200, 'a valid token still works')
    })

    it('with --trust-proxy 1, each forwarded client has its own budget', async () => {
      const get = await start('1')
      for (let i = 0; i < 3; i++) assert.equal(await get('dmt_guess', '6.6.6.6, 203.0.113.1'), 401)
      assert.equal(await get('dmt_guess', '7.7.7.7, 203.0.113.1'), 429, 'a new spoofed leftmost entry is the same client')
      assert.equal(await get('dmt_guess', '203.0.113.2'), 401)
    })
  })
})
