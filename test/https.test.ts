// serve --domain's pieces that need no CA (issue 19): its flags, port 80's answers, HSTS and
// c.var.https, and the renewal schedule with its back-off. The whole flow runs against pebble in
// test/e2e/acme.e2e.ts.

import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import type { Certificate } from '../src/acme/certificates.ts'
import { challengeOrRedirect } from '../src/acme/http-01.ts'
import { keepRenewed, renewalTime, retryDelay } from '../src/acme/renewal.ts'
import { ConfigError, LETS_ENCRYPT_DIRECTORY, loadConfig } from '../src/config.ts'
import { setup, type TestEnv } from './helpers.ts'

const DAY = 86_400_000

describe('--domain flags', () => {
  it('without --domain nothing changes: plain HTTP on the configured host and port', () => {
    const config = loadConfig({}, {})
    assert.equal(config.acme, undefined)
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.port, 8080)
  })

  it("with --domain: HTTPS on 443, port 80, Let's Encrypt, every address", () => {
    const config = loadConfig({ domain: ['CRM.example.com', 'www.example.com'] }, {})
    assert.deepEqual(config.acme, {
      domains: ['crm.example.com', 'www.example.com'],
      email: undefined,
      directoryUrl: LETS_ENCRYPT_DIRECTORY,
      caFile: undefined,
      httpsPort: 443,
      httpPort: 80,
      renewBeforeMs: undefined,
    })
    assert.equal(config.host, '::')
    assert.equal(config.port, 443)
  })

  it("reads the environment too (the systemd unit's environment file)", () => {
    const config = loadConfig(
      {},
      {
        DMTRACKER_DOMAIN: 'a.example.com, b.example.com',
        DMTRACKER_ACME_EMAIL: 'me@example.com',
        DMTRACKER_HTTPS_PORT: '8443',
        DMTRACKER_ACME_RENEW_BEFORE_DAYS: '1.5',
      },
    )
    assert.deepEqual(config.acme?.domains, ['a.example.com', 'b.example.com'])
    assert.equal(config.acme?.email, 'me@example.com')
    assert.equal(config.acme?.httpsPort, 8443)
    assert.equal(config.acme?.renewBeforeMs, 1.5 * DAY)
  })

  for (const [flags, env, message] of [
    [{ domain: ['*.example.com'] }, {}, /--domain must be a DNS name/],
    [{ domain: ['203.0.113.7'] }, {}, /--domain must be a DNS name/],
    [{ domain: ['https://crm.example.com'] }, {}, /--domain must be a DNS name/],
    [{ domain: ['localhost'] }, {}, /--domain must be a DNS name/],
    [{ domain: ['crm.example.com'], port: '8443' }, {}, /--port does not apply with --domain; use --https-port/],
    [{ domain: ['crm.example.com'], 'acme-email': 'nobody' }, {}, /--acme-email must be an email address/],
    [{ domain: ['crm.example.com'], 'acme-directory': 'http://ca.example/dir' }, {}, /--acme-directory must be an https:\/\/ URL/],
    [{ domain: ['crm.example.com'], 'https-port': '70000' }, {}, /--https-port must be a whole number/],
    [{ 'acme-email': 'me@example.com' }, {}, /--acme-email needs --domain/],
    [{ domain: ['crm.example.com'], 'acme-ca-file': '/nonexistent/root.pem' }, {}, /--acme-ca-file: cannot read "\/nonexistent\/root.pem"/],
    [{ domain: ['crm.example.com'] }, { DMTRACKER_ACME_RENEW_BEFORE_DAYS: '0' }, /DMTRACKER_ACME_RENEW_BEFORE_DAYS must be/],
  ] as const) {
    it(`refuses ${JSON.stringify({ ...flags, ...env })}`, () => {
      assert.throws(
        () => loadConfig(flags as never, env),
        (e: Error) => e instanceof ConfigError && message.test(e.message),
      )
    })
  }
})

describe('port 80 under --domain', () => {
  const tokens = new Map([['tok-1', 'tok-1.thumbprint']])
  const port80 = challengeOrRedirect({ tokens, domains: ['crm.example.com', 'www.example.com'], httpsPort: () => 443 })
  const get = (path: string, host: string, method = 'GET') => port80(new Request(`http://${host}${path}`, { method, headers: { host } }))

  it('answers a challenge it is waiting for with its key authorization, and 404 to others', async () => {
    const answer = await get('/.well-known/acme-challenge/tok-1', 'crm.example.com')
    assert.equal(answer.status, 200)
    assert.equal(await answer.text(), 'tok-1.thumbprint')
    assert.equal((await get('/.well-known/acme-challenge/tok-2', 'crm.example.com')).status, 404)
  })

  it('sends everything else to the same URL over HTTPS, POSTs included (308)', async () => {
    for (const [path, host, method, location] of [
      ['/api/v1/contacts?status=new', 'crm.example.com', 'GET', 'https://crm.example.com/api/v1/contacts?status=new'],
      ['/api/v1/contact/default-reply', 'www.example.com:80', 'POST', 'https://www.example.com/api/v1/contact/default-reply'],
      ['/', 'attacker.example', 'GET', 'https://crm.example.com/'],
    ] as const) {
      const answer = await get(path, host, method)
      assert.equal(answer.status, 308)
      assert.equal(answer.headers.get('location'), location)
    }
  })

  it('names a non-standard HTTPS port in the redirect', async () => {
    const other = challengeOrRedirect({ tokens, domains: ['crm.example.com'], httpsPort: () => 8443 })
    assert.equal((await other(new Request('http://crm.example.com/x'))).headers.get('location'), 'https://crm.example.com:8443/x')
  })
})

describe('HSTS and c.var.https', () => {
  let env: TestEnv
  afterEach(() => env.close())

  it('HTTPS answers, errors included, carry Strict-Transport-Security', async () => {
    env = await setup({ acme: loadConfig({ domain: ['crm.example.com'] }, {}).acme })
    for (const [path, status] of [
      ['/healthz', 200],
      ['/api/v1/contacts', 401],
      ['/nowhere', 404],
    ] as const) {
      const res = await env.call('GET', path, undefined, { token: null })
      assert.equal(res.status, status)
      assert.equal(res.headers.get('strict-transport-security'), 'max-age=31536000', path)
    }
  })

  it('plain HTTP (no --domain) sends no HSTS', async () => {
    env = await setup()
    assert.equal((await env.call('GET', '/healthz')).headers.get('strict-transport-security'), null)
  })

  it('tells routes whether the request came over HTTPS', async () => {
    for (const acme of [loadConfig({ domain: ['crm.example.com'] }, {}).acme, undefined]) {
      env = await setup({ acme })
      env.app.hono.get('/probe-https', (c) => c.json({ https: c.var.https }))
      assert.deepEqual((await env.call('GET', '/probe-https')).body, { https: acme !== undefined })
      await env.close()
    }
    env = await setup()
  })
})

describe('certificate renewal', () => {
  const cert = (notBefore: number, days: number, name = 'c'): Certificate => ({
    cert: name,
    key: 'k',
    notBefore: new Date(notBefore),
    notAfter: new Date(notBefore + days * DAY),
  })

  it('is due 30 days before expiry, or with a third of the lifetime left for short certificates', () => {
    assert.equal(renewalTime(cert(0, 90)), 60 * DAY)
    assert.equal(renewalTime(cert(0, 6)), 4 * DAY)
    assert.equal(renewalTime(cert(0, 90), 2 * DAY), 88 * DAY)
  })

  it('retries a failed renewal with back-off, keeps serving the old certificate, then installs the new one', async () => {
    let clock = 0
    const waits: number[] = []
    const logs: Record<string, unknown>[] = []
    const installed: string[] = []
    let calls = 0
    const renewal = keepRenewed({
      certificate: cert(0, 90, 'old'),
      now: () => clock,
      log: (entry) => logs.push(entry),
      obtain: async () => {
        calls += 1
        if (calls <= 3) throw new Error('CA unreachable')
        return cert(clock, 90, 'new')
      },
      install: async (next) => void installed.push(next.cert),
      wait: async (ms) => {
        waits.push(ms)
        clock += ms
        if (installed.length) renewal.stop()
      },
    })
    await renewal.done
    // Wakes daily until day 60 (timers cannot wait longer than 24.8 days), then 1, 2, 4 minutes between failures.
    assert.deepEqual(waits.slice(0, 60), Array(60).fill(DAY))
    assert.deepEqual(waits.slice(60, 63), [60_000, 120_000, 240_000])
    assert.deepEqual(installed, ['new'])
    const failures = logs.filter((l) => l.msg === 'certificate renewal failed')
    assert.equal(failures.length, 3)
    assert.equal(failures[0]!.error, 'CA unreachable')
    assert.equal(failures[0]!.serving_until, new Date(90 * DAY).toISOString())
    assert.equal(logs.at(-1)!.msg, 'certificate renewed')
  })

  it('backs off up to six hours', () => {
    assert.deepEqual([1, 2, 3, 10, 20].map(retryDelay), [60_000, 120_000, 240_000, 6 * 3_600_000, 6 * 3_600_000])
  })
})
