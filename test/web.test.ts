import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { runCli } from '../src/cli/run.ts'
import { SIGN_IN_FAILED } from '../src/web/sign-in.tsx'
import { setup, type TestEnv } from './helpers.ts'

// The web app over HTTP, as a browser would use it (cookies, forms, Origin), and the rules a
// browser cannot be trusted to keep: roles, CSRF, the API's token-only auth.

const ORIGIN = 'http://localhost'
const SLOW = { timeout: 180_000 }

/** A cookie-keeping client: what a browser sends on same-origin requests. */
function browser(env: TestEnv) {
  let cookie = ''
  return {
    get cookie() {
      return cookie
    },
    set cookie(value: string) {
      cookie = value
    },
    async request(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
      const init: RequestInit = { method, headers: { ...(cookie ? { cookie } : {}), ...headers }, redirect: 'manual' }
      if (form) {
        init.body = new URLSearchParams(form).toString()
        ;(init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded'
        ;(init.headers as Record<string, string>).origin ??= ORIGIN
        ;(init.headers as Record<string, string>).host ??= 'localhost'
      }
      const res = await env.app.request(`${ORIGIN}${path}`, init)
      const set = res.headers.get('set-cookie')
      if (set) cookie = /Max-Age=0/i.test(set) ? '' : set.split(';')[0]!
      return { status: res.status, headers: res.headers, text: await res.text(), setCookie: set }
    },
  }
}

async function run(env: TestEnv, argv: string[], stdin = '') {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { DMTRACKER_DB: env.dbPath },
    stdin: async () => stdin,
  })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

async function userWithPassword(env: TestEnv, email: string, role: string, password = 'correct horse battery') {
  assert.equal((await run(env, ['user', 'add', '--email', email, '--org', env.org.id, '--role', role])).code, 0)
  const set = await run(env, ['user', 'set-password', '--email', email, '--password-stdin'], `${password}\n`)
  assert.equal(set.code, 0, set.err)
}

async function signIn(env: TestEnv, email: string, password = 'correct horse battery') {
  const b = browser(env)
  const res = await b.request('POST', '/login', { email, password })
  assert.equal(res.status, 303, res.text)
  return b
}

describe('web app over HTTP', () => {
  // One app for the file, made by the first test: every password costs a deliberate ~0.3-1 s of
  // scrypt, and Bun applies no timeout option to hooks, only to tests (SLOW).
  let env: TestEnv
  let made: Promise<void> | undefined
  const ready = () =>
    (made ??= (async () => {
      env = await setup()
      await userWithPassword(env, 'owner@acme.test', 'owner')
      await userWithPassword(env, 'setter@acme.test', 'member')
    })())
  after(async () => {
    await env?.close()
  })

  it('sends a signed-out browser to /login, and back where it was going afterwards', SLOW, async () => {
    await ready()
    const b = browser(env)
    const res = await b.request('GET', '/follow-ups?type=inbound')
    assert.equal(res.status, 303)
    assert.equal(res.headers.get('location'), '/login?next=%2Ffollow-ups%3Ftype%3Dinbound')
    assert.equal((await b.request('GET', '/')).headers.get('location'), '/login')
    const login = await b.request('GET', '/login')
    assert.equal(login.status, 200)
    assert.match(login.text, /<label for="email">Email<\/label>/)
    assert.match(login.text, /<label for="password">Password<\/label>/)
    assert.match(login.text, />Sign in<\/button>/)
    const signedIn = await b.request('POST', '/login', {
      email: 'setter@acme.test',
      password: 'correct horse battery',
      next: '/follow-ups?type=inbound',
    })
    assert.equal(signedIn.headers.get('location'), '/follow-ups?type=inbound')
    // Never off-site.
    const b2 = browser(env)
    const offsite = await b2.request('POST', '/login', {
      email: 'setter@acme.test',
      password: 'correct horse battery',
      next: '//evil.example/',
    })
    assert.equal(offsite.headers.get('location'), '/follow-ups')
  })

  it('signs in with an HttpOnly, SameSite=Lax cookie whose value the database never stores', SLOW, async () => {
    await ready()
    const b = browser(env)
    const res = await b.request('POST', '/login', { email: 'SETTER@acme.test', password: 'correct horse battery' })
    assert.equal(res.status, 303)
    assert.match(res.setCookie!, /HttpOnly/i)
    assert.match(res.setCookie!, /SameSite=Lax/i)
    assert.doesNotMatch(res.setCookie!, /Secure/i, 'plain HTTP without a trusted proxy')
    const raw = b.cookie.split('=')[1]!
    const rows = await env.store.db.selectFrom('sessions').select('id_hash').execute()
    assert.ok(rows.length > 0 && rows.every((r) => r.id_hash !== raw && !r.id_hash.includes(raw)))
    const board = await b.request('GET', '/follow-ups')
    assert.equal(board.status, 200)
    for (const heading of ['Overdue', 'Today', 'Upcoming'])
      assert.match(board.text, new RegExp(`<h2 id="h-${heading.toLowerCase()}">${heading} `))
    for (const link of ['Follow-ups', 'Pipeline', 'Contacts']) assert.match(board.text, new RegExp(`>${link}</a>`))
    assert.doesNotMatch(board.text, />Settings<\/a>/, 'a member is not shown Settings')
    assert.match(board.text, />Sign out<\/button>/)
  })

  it('marks the cookie Secure when a trusted proxy says the browser used HTTPS', SLOW, async () => {
    await ready()
    const proxied = await setup({ trustProxy: { kind: 'hops', hops: 1 } })
    try {
      await userWithPassword(proxied, 'a@acme.test', 'member')
      const res = await browser(proxied).request(
        'POST',
        '/login',
        { email: 'a@acme.test', password: 'correct horse battery' },
        { 'x-forwarded-proto': 'https' },
      )
      assert.match(res.setCookie!, /Secure/)
    } finally {
      await proxied.close()
    }
  })

  it('answers a wrong password and an unknown email with the same message', SLOW, async () => {
    await ready()
    const wrong = await browser(env).request('POST', '/login', { email: 'owner@acme.test', password: 'not the password' })
    const unknown = await browser(env).request('POST', '/login', { email: 'nobody@acme.test', password: 'not the password' })
    assert.equal(wrong.status, 401)
    assert.equal(unknown.status, 401)
    assert.ok(wrong.text.includes(SIGN_IN_FAILED) && unknown.text.includes(SIGN_IN_FAILED))
    assert.equal(wrong.setCookie, null)
  })

  it('throttles repeated failures on an account, even for the right password, then lets the person back in', SLOW, async () => {
    await ready()
    await userWithPassword(env, 'target@acme.test', 'member')
    for (let i = 0; i < 5; i++)
      assert.equal((await browser(env).request('POST', '/login', { email: 'target@acme.test', password: `guess ${i}` })).status, 401)
    const throttled = await browser(env).request('POST', '/login', { email: 'target@acme.test', password: 'correct horse battery' })
    assert.equal(throttled.status, 429)
    assert.match(throttled.text, /Too many failed sign-ins\. Try again in 1 minute\./)
    assert.ok(Number(throttled.headers.get('retry-after')) > 0)
    // Other accounts are not affected, and the wait is over after it passes.
    await signIn(env, 'owner@acme.test')
    env.advance(31_000)
    await signIn(env, 'target@acme.test')
  })

  it('refuses a state-changing page request from another site or without origin headers', SLOW, async () => {
    await ready()
    const b = await signIn(env, 'setter@acme.test')
    const evil = await b.request('POST', '/logout', {}, { origin: 'https://evil.example' })
    assert.equal(evil.status, 403)
    const crossSite = await b.request('POST', '/logout', {}, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })
    assert.equal(crossSite.status, 403)
    // Any content type: a JSON post is refused too.
    const res = await env.app.request(`${ORIGIN}/logout`, {
      method: 'POST',
      headers: { cookie: b.cookie, 'content-type': 'application/json' },
      body: '{}',
    })
    assert.equal(res.status, 403)
    assert.equal((await b.request('GET', '/follow-ups')).status, 200, 'still signed in')
  })

  it('never lets a session cookie authenticate the API', SLOW, async () => {
    await ready()
    const b = await signIn(env, 'owner@acme.test')
    const list = await env.app.request('/api/v1/contacts', { headers: { cookie: b.cookie } })
    assert.equal(list.status, 401)
    const write = await env.app.request('/api/v1/organization/create-contact', {
      method: 'POST',
      headers: { cookie: b.cookie, 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({
        organization_id: env.org.id,
        username: 'x_y',
        had_outreach: false,
        last_response_at: '2026-01-15T10:00:00Z',
        last_message_content: 'hi',
      }),
    })
    assert.equal(write.status, 401)
  })

  it('keeps members out of owner and admin pages and actions', SLOW, async () => {
    await ready()
    const member = await signIn(env, 'setter@acme.test')
    assert.equal((await member.request('GET', '/settings')).status, 403)
    const invite = await member.request('POST', '/settings/invite', { email: 'new@acme.test', role: 'member' })
    assert.equal(invite.status, 403)
    assert.equal(
      await env.store.db.selectFrom('invites').select('email').where('email', '=', 'new@acme.test').executeTakeFirst(),
      undefined,
    )
    const owner = await signIn(env, 'owner@acme.test')
    const page = await owner.request('GET', '/settings')
    assert.equal(page.status, 200)
    assert.match(page.text, /setter@acme\.test/)
    const made = await owner.request('POST', '/settings/invite', { email: 'new@acme.test', role: 'member' })
    assert.equal(made.status, 200)
    assert.match(made.text, /\/invite\/[\w-]{43}/)
  })

  it('sends a Content-Security-Policy without inline script, framing refused, and no-store', SLOW, async () => {
    await ready()
    const res = await browser(env).request('GET', '/login')
    const csp = res.headers.get('content-security-policy')!
    assert.match(csp, /frame-ancestors 'none'/)
    assert.match(csp, /script-src 'self'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    assert.equal(res.headers.get('x-frame-options'), 'DENY')
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.doesNotMatch(res.text, /<script>|<script [^>]*>[^<]/, 'no inline script')
    assert.doesNotMatch(res.text, /https?:\/\/(?!localhost)/, 'nothing from another host')
  })

  it('invites with a one-time link that sets a password and signs in', SLOW, async () => {
    await ready()
    const made = await run(env, [
      'user',
      'invite',
      '--email',
      'invited@acme.test',
      '--org',
      env.org.id,
      '--role',
      'admin',
      '--url',
      'http://localhost',
    ])
    assert.equal(made.code, 0, made.err)
    const path = /http:\/\/localhost(\/invite\/[\w-]+)/.exec(made.out)![1]!
    const b = browser(env)
    const page = await b.request('GET', path)
    assert.equal(page.status, 200)
    assert.match(page.text, /invited@acme\.test/)
    assert.equal((await b.request('POST', path, { password: 'short' })).status, 400)
    const set = await b.request('POST', path, { password: 'a long enough password' })
    assert.equal(set.status, 303)
    assert.equal(set.headers.get('location'), '/follow-ups')
    assert.equal((await b.request('GET', '/settings')).status, 200, 'signed in as an admin')
    assert.equal((await browser(env).request('GET', path)).status, 404, 'used once')
    await signIn(env, 'invited@acme.test', 'a long enough password')
  })

  it('signs out, and ends other sessions when the password changes or an admin signs a user out', SLOW, async () => {
    await ready()
    await userWithPassword(env, 'phone@acme.test', 'member')
    const laptop = await signIn(env, 'phone@acme.test')
    const phone = await signIn(env, 'phone@acme.test')
    // `user sessions` lists by the real clock; the app's runs on the test's, so count the rows here.
    const user = await env.store.db.selectFrom('users').select('id').where('email', '=', 'phone@acme.test').executeTakeFirstOrThrow()
    const count = async () => (await env.store.db.selectFrom('sessions').select('id_hash').where('user_id', '=', user.id).execute()).length
    assert.equal(await count(), 2)
    assert.match((await run(env, ['user', 'sessions', '--email', 'phone@acme.test'])).out, /email|No live sessions/)
    assert.equal((await laptop.request('POST', '/logout', {})).headers.get('location'), '/login')
    const stale = await laptop.request('GET', '/follow-ups')
    assert.equal(stale.status, 303)
    assert.equal((await phone.request('GET', '/follow-ups')).status, 200, 'the other session lives on')
    const reset = await run(env, ['user', 'set-password', '--email', 'phone@acme.test', '--password-stdin'], 'another long password')
    assert.equal(reset.code, 0, reset.err)
    assert.equal((await phone.request('GET', '/follow-ups')).status, 303, 'signed out by the password change')
    const again = await signIn(env, 'phone@acme.test', 'another long password')
    assert.match((await run(env, ['user', 'sign-out-all', '--email', 'phone@acme.test'])).out, /1 session/)
    assert.equal((await again.request('GET', '/follow-ups')).status, 303)
  })

  it('ends a session after a week idle, and after 30 days however active', SLOW, async () => {
    await ready()
    const b = await signIn(env, 'setter@acme.test')
    env.advance(6 * 24 * 3600_000)
    assert.equal((await b.request('GET', '/follow-ups')).status, 200)
    env.advance(6 * 24 * 3600_000)
    assert.equal((await b.request('GET', '/follow-ups')).status, 200, 'activity keeps it alive')
    env.advance(8 * 24 * 3600_000)
    assert.equal((await b.request('GET', '/follow-ups')).status, 303, 'idle for 8 days')
    const c = await signIn(env, 'setter@acme.test')
    for (let day = 0; day < 31; day += 3) {
      env.advance(3 * 24 * 3600_000)
      if ((await c.request('GET', '/follow-ups')).status !== 200) {
        assert.ok(day >= 27, `ended after ${day + 3} days`)
        return
      }
    }
    assert.fail('the session outlived its absolute limit')
  })

  it('marks a follow-up done from the board through the same service as the API', SLOW, async () => {
    await ready()
    const created = await env.call('POST', '/api/v1/organization/create-contact', {
      organization_id: env.org.id,
      username: 'board_lead',
      had_outreach: false,
      last_response_at: new Date(env.now() - 3600_000).toISOString(),
      last_message_content: 'Is this still available?',
    })
    assert.equal(created.status, 201, created.text)
    const id = created.body.data.id
    env.advance(3 * 24 * 3600_000) // its first follow-up is now overdue
    const b = await signIn(env, 'setter@acme.test')
    const board = await b.request('GET', '/follow-ups')
    assert.match(board.text, /@board_lead/)
    assert.match(board.text, /Is this still available\?/)
    const done = await b.request('POST', `/follow-ups/${id}/done`, { note: 'Sent the price list', back: '' })
    assert.equal(done.status, 303)
    assert.equal(done.headers.get('location'), '/follow-ups?notice=done')
    const contact = (await env.call('GET', `/api/v1/contacts/${id}`)).body.data
    assert.equal(contact.follow_up_count, 1)
    const user = await env.store.db.selectFrom('users').select('id').where('email', '=', 'setter@acme.test').executeTakeFirstOrThrow()
    const activity = await env.store.db
      .selectFrom('activity_log')
      .selectAll()
      .where('contact_id', '=', id)
      .where('action', 'in', ['follow_up_done', 'note_added'])
      .execute()
    assert.deepEqual(activity.map((a) => [a.action, a.user_id, a.via]).sort(), [
      ['follow_up_done', user.id, 'api'],
      ['note_added', user.id, 'api'],
    ])
    // Snoozing to a past day is a clear 400 on the page, not a 500.
    const past = await b.request('POST', `/follow-ups/${id}/snooze`, { until: '2020-01-01', back: '' })
    assert.equal(past.status, 400)
    assert.match(past.text, /Snooze until a day after today/)
  })

  it('lists contacts with the API filters, rejects a bad one with a 400 page, and exports CSV', SLOW, async () => {
    await ready()
    const b = await signIn(env, 'setter@acme.test')
    const list = await b.request('GET', '/contacts?type=inbound&q=board')
    assert.equal(list.status, 200)
    assert.match(list.text, /@board_lead/)
    assert.match(list.text, /href="\/contacts\/export\.csv\?type=inbound&amp;q=board"/)
    const bad = await b.request('GET', '/contacts?stage=No+Such+Stage')
    assert.equal(bad.status, 400)
    assert.match(bad.text, /not a pipeline stage/)
    const csv = await b.request('GET', '/contacts/export.csv?q=board')
    assert.equal(csv.status, 200)
    assert.match(csv.text, /board_lead/)
  })
})
