import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { hashPassword } from '../src/sessions/password.ts'
import { setPasswordHash } from '../src/sessions/service.ts'
import { addUser } from '../src/users/service.ts'
import { setup, type TestEnv, type TestOrg } from './helpers.ts'

// The /analytics page over HTTP: who may see it, what a bad range shows, and that its CSV links
// send the API's bytes. The browser test (test/browser/analytics.browser.ts) checks the numbers.

const SLOW = { timeout: 180_000 }
const PASSWORD = 'correct horse battery'

/** Signs a user in and returns a GET that carries the session cookie. */
async function signIn(env: TestEnv, email: string) {
  const res = await env.app.request('http://localhost/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', host: 'localhost' },
    body: new URLSearchParams({ email, password: PASSWORD }).toString(),
    redirect: 'manual',
  })
  assert.equal(res.status, 303, await res.text())
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!
  return async (path: string) => {
    const page = await env.app.request(`http://localhost${path}`, { headers: { cookie }, redirect: 'manual' })
    return { status: page.status, headers: page.headers, text: await page.text() }
  }
}

describe('the analytics page over HTTP', () => {
  // One app for the file: every password costs a deliberate fraction of a second of scrypt.
  let env: TestEnv
  let other: TestOrg
  let made: Promise<void> | undefined
  const ready = () =>
    (made ??= (async () => {
      env = await setup()
      other = await env.createOrg('Other Agency')
      const hash = await hashPassword(PASSWORD)
      await env.store.write(async (trx) => {
        for (const [email, org] of [
          ['setter@acme.test', env.org.id],
          ['outsider@other.test', other.id],
        ] as const) {
          const user = await addUser(
            trx,
            { email, name: email.split('@')[0], organizationId: org, role: 'member' },
            '2026-01-01T00:00:00.000Z',
          )
          await setPasswordHash(trx, user.id, hash)
        }
      })
      // Acme: two outreach by the setter on 15 Jan (UTC), one of them replied an hour later.
      for (const username of ['opener_a', 'opener_b'])
        await env.call('POST', '/api/v1/organization/create-contact', {
          organization_id: env.org.id,
          username,
          had_outreach: true,
          outreach_reason: 'podcast',
          outreach_text: 'Hey',
          outreach_message_label: 'Secret label',
          email: 'setter@acme.test',
        })
      env.advance(3600_000)
      await env.call('POST', '/api/v1/contact/default-reply', {
        organization_id: env.org.id,
        manychat_id: 'mc_opener_a',
        username: 'opener_a',
        message_content: 'Hi!',
      })
    })())
  after(async () => {
    await env?.close()
  })

  it('sends a signed-out browser to the sign-in page, the CSV links too', SLOW, async () => {
    await ready()
    for (const path of ['/analytics?days=7', '/analytics/setters.csv', '/analytics/daily.csv', '/analytics/outreach.csv']) {
      const res = await env.app.request(`http://localhost${path}`, { redirect: 'manual' })
      assert.equal(res.status, 303, path)
      assert.equal(res.headers.get('location'), `/login?next=${encodeURIComponent(path)}`)
    }
  })

  it('shows a member the nav link, the setters table and the charts, with the API’s numbers', SLOW, async () => {
    await ready()
    const get = await signIn(env, 'setter@acme.test')
    const page = await get('/analytics?from=2026-01-15&to=2026-01-15')
    assert.equal(page.status, 200)
    assert.match(page.text, /<a href="\/analytics" aria-current="page">Analytics<\/a>/)
    assert.match(
      page.text,
      /<th scope="row">setter<span class="meta block">setter@acme.test<\/span><\/th><td class="num">2<\/td><td class="num">1<\/td><td class="num">50%<\/td>/,
    )
    assert.match(page.text, /<svg class="chart"[^>]*role="img"/)
    assert.match(page.text, /Secret label/)
    const api = await env.call('GET', '/api/v1/analytics/setters?from=2026-01-15&to=2026-01-15')
    assert.equal(api.body.data.totals.reply_rate, 0.5)
  })

  it('sends the API’s CSV bytes from its download links', SLOW, async () => {
    await ready()
    const get = await signIn(env, 'setter@acme.test')
    const page = await get('/analytics?from=2026-01-10&to=2026-01-20&by=reason')
    const links = [...page.text.matchAll(/href="(\/analytics\/[a-z]+\.csv[^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'))
    assert.deepEqual(links, [
      '/analytics/setters.csv?from=2026-01-10&to=2026-01-20',
      '/analytics/daily.csv?from=2026-01-10&to=2026-01-20',
      '/analytics/outreach.csv?from=2026-01-10&to=2026-01-20&by=reason',
    ])
    for (const link of links) {
      const csv = await get(link)
      const api = await env.call('GET', `/api/v1${link}`)
      assert.equal(csv.status, 200)
      assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8')
      assert.equal(csv.text, api.text, link)
      assert.match(csv.text, /"total"/)
    }
  })

  it('shows a clear message for a bad range, never a 500', SLOW, async () => {
    await ready()
    const get = await signIn(env, 'setter@acme.test')
    for (const [query, message] of [
      ['from=2026-02-30&to=2026-03-01', /from must be a date like 2026-01-31/],
      ['from=2026-01-20&to=2026-01-10', /to must not be before from \(2026-01-20\)/],
      ['from=2025-01-01&to=2026-01-10', /is 375 days; at most 366/],
      ['days=12', /days must be 7, 30 or 90/],
      ['sort=nonsense', /sort must be one of/],
    ] as const) {
      const page = await get(`/analytics?${query}`)
      assert.equal(page.status, 400, query)
      assert.match(page.text, /<div class="notice error" role="alert">/)
      assert.match(page.text, message, query)
      assert.match(page.text, /<label for="range-from">From<\/label>/, 'the range picker stays to fix it')
    }
    const csv = await get('/analytics/setters.csv?from=2026-01-20&to=2026-01-10')
    assert.equal(csv.status, 400)
    assert.match(csv.text, /to must not be before from/)
  })

  it('shows a member of another organization only their own organization’s numbers', SLOW, async () => {
    await ready()
    const get = await signIn(env, 'outsider@other.test')
    const page = await get('/analytics?from=2026-01-15&to=2026-01-15')
    assert.equal(page.status, 200)
    assert.doesNotMatch(page.text, /setter@acme\.test|Secret label/)
    assert.match(page.text, /<th scope="row">All setters<\/th><td class="num">0<\/td>/)
    const csv = await get('/analytics/setters.csv?from=2026-01-15&to=2026-01-15')
    assert.doesNotMatch(csv.text, /setter@acme\.test/)
    assert.match(csv.text, /outsider@other\.test/)
  })
})
