import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../src/cli/run.ts'
import { isoTime } from '../src/core/time.ts'
import type { Role } from '../src/db/schema.ts'
import { ROUTE_ACCESS } from '../src/http/access.ts'
import { createSession } from '../src/sessions/service.ts'
import { addUser } from '../src/users/service.ts'
import { addEndpoint } from '../src/webhooks/service.ts'
import { setup, type TestEnv } from './helpers.ts'
import { startReceiver } from './webhook-receiver.ts'

// Settings over HTTP, as a browser sends its forms (same-origin headers, a session cookie): each
// section's actions, the messages for bad input, the role matrix, and the audit trail.

const ORIGIN = 'http://localhost'

type Page = { status: number; text: string; headers: Headers }

/** A signed-in browser: a session made directly (no password hashing) and same-origin form posts. */
async function as(env: TestEnv, email: string, role: Role) {
  const session = await env.store.write(async (trx) => {
    const user = await addUser(trx, { email, organizationId: env.org.id, role }, isoTime(env.now()))
    return createSession(trx, user.id, env.now())
  })
  const cookie = `dmtracker_session=${session}`
  const send = async (method: string, path: string, form?: Record<string, string | string[]>, headers: Record<string, string> = {}) => {
    const body = form
      ? new URLSearchParams(
          Object.entries(form).flatMap(([k, v]) =>
            Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v] as [string, string]],
          ),
        )
      : undefined
    const res = await env.app.request(`${ORIGIN}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        cookie,
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, host: 'localhost' } : {}),
        ...headers,
      },
      body: body?.toString(),
    })
    return { status: res.status, text: await res.text(), headers: res.headers } as Page
  }
  return {
    get: (path: string, headers?: Record<string, string>) => send('GET', path, undefined, headers),
    post: (path: string, form: Record<string, string | string[]> = {}, headers?: Record<string, string>) =>
      send('POST', path, form, headers),
  }
}

const decode = (html: string) =>
  html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')

describe('settings over HTTP', () => {
  let env: TestEnv
  let owner: Awaited<ReturnType<typeof as>>
  let admin: Awaited<ReturnType<typeof as>>
  let member: Awaited<ReturnType<typeof as>>
  const stages = async () =>
    (
      await env.store.db
        .selectFrom('pipeline_stages')
        .select(['name', 'color', 'position'])
        .where('organization_id', '=', env.org.id)
        .orderBy('position')
        .execute()
    ).map((s) => `${s.name}:${s.color}`)
  const audit = () => env.store.db.selectFrom('audit_log').selectAll().orderBy('id').execute()
  const reply = (username: string) =>
    env.call('POST', '/api/v1/contact/default-reply', {
      organization_id: env.org.id,
      manychat_id: `mc_${username}`,
      username,
      message_content: 'hi',
    })

  before(async () => {
    env = await setup()
    owner = await as(env, 'owner@acme.test', 'owner')
    admin = await as(env, 'admin@acme.test', 'admin')
    member = await as(env, 'setter@acme.test', 'member')
  })
  after(async () => {
    await env?.close()
  })

  it('gives a member a 403 on every settings page and action, and the action changes nothing', async () => {
    const routes = Object.entries(ROUTE_ACCESS).filter(([route]) => / \/settings/.test(route))
    assert.ok(routes.length >= 30, 'every section is declared')
    for (const [route, access] of routes) assert.equal(access, 'session-admin', route)
    const before = { stages: await stages(), audit: (await audit()).length }
    const tokens = await env.store.db.selectFrom('api_tokens').select('id').execute()
    for (const [route] of routes) {
      const [method, pattern] = route.split(' ') as [string, string]
      const path = pattern.replace(':id', '1').replace(':userId', 'x')
      const fields = { name: 'Sneaky', stage: 'Interested', color: 'red', position: '1', move_to: 'Closed', confirmed: 'yes', label: 'x' }
      const res = method === 'GET' ? await member.get(path) : await member.post(path, fields)
      assert.equal(res.status, 403, `${route} as a member`)
      assert.match(res.text, /Only owners and admins/)
    }
    assert.deepEqual(await stages(), before.stages)
    assert.equal((await audit()).length, before.audit)
    assert.equal((await env.store.db.selectFrom('api_tokens').select('id').execute()).length, tokens.length)
    // Owners and admins open every page.
    for (const [route] of routes.filter(([r]) => r.startsWith('GET /settings') && !r.includes(':'))) {
      const path = route.split(' ')[1]!
      assert.equal((await admin.get(path)).status, 200, `${path} as an admin`)
      assert.equal((await owner.get(path)).status, 200, `${path} as an owner`)
    }
  })

  it('refuses a settings form sent from another site', async () => {
    const res = await owner.post(
      '/settings/stages',
      { name: 'Evil', color: 'red' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    )
    assert.equal(res.status, 403)
    assert.ok(!(await stages()).some((s) => s.startsWith('Evil')))
  })

  it('manages stages by the CLI rules: add, rename, recolour, reorder, remove with move; bad input is a message on the page', async () => {
    const added = await admin.post('/settings/stages', { name: 'Qualified', color: 'teal' })
    assert.equal(added.status, 200)
    assert.match(decode(added.text), /Added stage "Qualified" at position 7/)
    assert.equal((await stages()).at(-1), 'Qualified:#0d9488')
    for (const [form, message] of [
      [{ name: '  ', color: 'red' }, /Stage name/],
      [{ name: 'qualified', color: 'red' }, /A stage named "Qualified" already exists/],
      [{ name: 'Other', color: 'not-a-colour' }, /Unknown colour "not-a-colour"/],
    ] as const) {
      const res = await admin.post('/settings/stages', form)
      assert.equal(res.status, 400, JSON.stringify(form))
      assert.match(decode(res.text), message)
      assert.match(res.text, /role="alert"/)
    }
    assert.equal((await admin.post('/settings/stages/rename', { stage: 'Qualified', name: 'Hot Lead' })).status, 200)
    assert.equal((await admin.post('/settings/stages/color', { stage: 'Hot Lead', color: 'rose' })).status, 200)
    assert.equal((await admin.post('/settings/stages/rename', { stage: 'Hot Lead', name: 'Closed' })).status, 400)
    // Move up twice: from 7 to 5.
    await admin.post('/settings/stages/move', { stage: 'Hot Lead', position: '6' })
    await admin.post('/settings/stages/move', { stage: 'Hot Lead', position: '5' })
    assert.equal((await stages())[4], 'Hot Lead:#e11d48')
    assert.equal((await admin.post('/settings/stages/move', { stage: 'Hot Lead', position: '99' })).status, 400)
    // Remove with "move its contacts to": a confirmation first, then the move.
    await reply('hot_harry')
    const harry = (await env.call('GET', '/api/v1/contacts?q=hot_harry')).body.data[0]
    await env.call('PATCH', '/api/v1/contact/contact-status', {
      contact_id: harry.id,
      organization_id: env.org.id,
      pipeline_stage: 'Hot Lead',
    })
    const confirm = await owner.post('/settings/stages/remove', { stage: 'Hot Lead', move_to: 'Interested' })
    assert.match(decode(confirm.text), /Remove the stage "Hot Lead"\?/)
    assert.match(decode(confirm.text), /Its 1 contact\(s\) move to "Interested"/)
    assert.ok((await stages()).includes('Hot Lead:#e11d48'), 'nothing removed before the confirmation')
    const removed = await owner.post('/settings/stages/remove', { stage: 'Hot Lead', move_to: 'Interested', confirmed: 'yes' })
    assert.match(decode(removed.text), /Removed stage "Hot Lead"; moved 1 contact\(s\) to "Interested"/)
    assert.equal((await env.call('GET', `/api/v1/contacts/${harry.id}`)).body.data.pipeline_stage, 'Interested')
    const activity = await env.store.db
      .selectFrom('activity_log')
      .select(['via', 'user_id', 'new_value'])
      .where('action', '=', 'pipeline_stage')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    assert.equal(activity.new_value, 'Interested')
    assert.ok(activity.user_id, 'the move names who did it')
    // The entry stage cannot go (the CLI's rule).
    assert.equal(
      (await owner.post('/settings/stages/remove', { stage: 'In Conversation', move_to: 'Interested', confirmed: 'yes' })).status,
      400,
    )
  })

  it('lists, adds, disables, enables and removes smart automations', async () => {
    const added = await admin.post('/settings/automations', { kind: 'stage_to_status', stage: 'Closed', status: 'won' })
    assert.match(decode(added.text), /Added automation rule #1: when the stage becomes "Closed", set the status to won/)
    const clash = await admin.post('/settings/automations', { kind: 'stage_to_status', stage: 'Closed', status: 'lost' })
    assert.equal(clash.status, 400)
    assert.match(decode(clash.text), /enabled for the same trigger/)
    await admin.post('/settings/automations', { kind: 'status_to_stage', stage: 'Lost', status: 'lost' })
    assert.match((await admin.post('/settings/automations/1/disable')).text, /Disabled automation rule #1/)
    assert.match((await admin.post('/settings/automations/1/enable')).text, /Enabled automation rule #1/)
    assert.match((await admin.post('/settings/automations/2/remove')).text, /Remove automation rule #2\?/)
    assert.match((await admin.post('/settings/automations/2/remove', { confirmed: 'yes' })).text, /Removed automation rule #2/)
    assert.equal((await admin.post('/settings/automations/99/enable')).status, 404)
    const page = await admin.get('/settings/automations')
    assert.match(decode(page.text), /when the stage becomes "Closed", set the status to won/)
    assert.doesNotMatch(page.text, /#2</)
  })

  it('sets the time zone and cadence, and refuses a bad zone or cadence with a message', async () => {
    const saved = await admin.post('/settings/follow-ups', { timezone: 'Europe/Berlin', cadence: '1d,3d,7d' })
    assert.match(saved.text, /time zone Europe\/Berlin, cadence 1d,3d,7d/)
    const org = await env.store.db
      .selectFrom('organizations')
      .select(['timezone', 'follow_up_cadence_days'])
      .where('id', '=', env.org.id)
      .executeTakeFirstOrThrow()
    assert.deepEqual(org, { timezone: 'Europe/Berlin', follow_up_cadence_days: '[1,3,7]' })
    const zone = await admin.post('/settings/follow-ups', { timezone: 'Mars/Olympus', cadence: '1d' })
    assert.equal(zone.status, 400)
    assert.match(decode(zone.text), /timezone "Mars\/Olympus" is not an IANA time zone/)
    assert.equal((await admin.post('/settings/follow-ups', { timezone: 'UTC', cadence: 'soon' })).status, 400)
    const page = await admin.get('/settings/follow-ups')
    assert.match(page.text, /<option value="Europe\/Berlin" selected="">/)
  })

  it('creates a token shown once with a curl line for this server, lists it, and revokes it after a confirmation', async () => {
    const made = await admin.post('/settings/tokens', { label: 'zapier' })
    const token = /<code id="new-token" class="secret">(dmt_[\w-]+)<\/code>/.exec(made.text)?.[1]
    assert.ok(token, 'the token is on the page')
    assert.match(decode(made.text), new RegExp(`curl -X POST http://localhost/api/v1/contact/default-reply .*x-org-auth-token: ${token}`))
    assert.equal((await env.call('GET', '/api/v1/contacts', undefined, { token })).status, 200)
    const list = await admin.get('/settings/tokens')
    assert.ok(!list.text.includes(token), 'never shown again')
    assert.match(list.text, /zapier/)
    assert.match(list.text, new RegExp(`${token.slice(0, 10)}…`))
    const row = await env.store.db.selectFrom('api_tokens').select('id').where('label', '=', 'zapier').executeTakeFirstOrThrow()
    const confirm = await admin.post(`/settings/tokens/${row.id}/revoke`)
    assert.match(confirm.text, /Revoke the token/)
    assert.equal((await env.call('GET', '/api/v1/contacts', undefined, { token })).status, 200, 'not before the confirmation')
    assert.match((await admin.post(`/settings/tokens/${row.id}/revoke`, { confirmed: 'yes' })).text, /Revoked token/)
    assert.equal((await env.call('GET', '/api/v1/contacts', undefined, { token })).status, 401)
    // Another organization's token is not this page's to revoke.
    const other = await env.createOrg('Other')
    const otherId = (
      await env.store.db.selectFrom('api_tokens').select('id').where('organization_id', '=', other.id).executeTakeFirstOrThrow()
    ).id
    assert.equal((await owner.post(`/settings/tokens/${otherId}/revoke`, { confirmed: 'yes' })).status, 404)
    assert.equal((await env.call('GET', '/api/v1/contacts', undefined, { token: other.token })).status, 200)
  })

  it('keeps the team rules: admins never make or touch owners, the last owner stays, owners change roles and remove', async () => {
    const users = Object.fromEntries((await env.store.db.selectFrom('users').select(['id', 'email']).execute()).map((u) => [u.email, u.id]))
    const ownerId = users['owner@acme.test']!
    const setterId = users['setter@acme.test']!
    assert.equal((await admin.post('/settings/invite', { email: 'boss@acme.test', role: 'owner' })).status, 403)
    assert.equal((await admin.post(`/settings/team/${setterId}/role`, { role: 'owner' })).status, 403)
    assert.equal((await admin.post(`/settings/team/${ownerId}/role`, { role: 'member' })).status, 403)
    assert.equal((await admin.post(`/settings/team/${ownerId}/remove`, { confirmed: 'yes' })).status, 403)
    const lastDemote = await owner.post(`/settings/team/${ownerId}/role`, { role: 'admin' })
    assert.equal(lastDemote.status, 400)
    assert.match(lastDemote.text, /Cannot change the last owner&#39;s role to admin: make someone else an owner first/)
    assert.equal((await owner.post(`/settings/team/${ownerId}/remove`, { confirmed: 'yes' })).status, 400)
    const invited = await admin.post('/settings/invite', { email: 'new@acme.test', role: 'admin' })
    assert.match(invited.text, /http:\/\/localhost\/invite\/[\w-]{43}/)
    assert.equal((await admin.post('/settings/invite', { email: 'not an email', role: 'member' })).status, 400)
    assert.match((await owner.post(`/settings/team/${setterId}/role`, { role: 'admin' })).text, /from member to admin/)
    assert.match((await owner.post(`/settings/team/${setterId}/role`, { role: 'member' })).text, /from admin to member/)
    const extra = await as(env, 'leaver@acme.test', 'member')
    const leaverId = (await env.store.db.selectFrom('users').select('id').where('email', '=', 'leaver@acme.test').executeTakeFirstOrThrow())
      .id
    assert.match((await admin.post(`/settings/team/${leaverId}/remove`)).text, /Remove leaver@acme\.test/)
    assert.match((await admin.post(`/settings/team/${leaverId}/remove`, { confirmed: 'yes' })).text, /Removed leaver@acme\.test/)
    assert.equal((await extra.get('/follow-ups')).status, 403, 'a removed member is out at once')
  })

  it('shows the exact ManyChat request for this server, honouring X-Forwarded-Proto only from a trusted proxy, and the last webhook', async () => {
    const page = decode((await admin.get('/settings/manychat', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' })).text)
    assert.match(page, /http:\/\/localhost\/api\/v1\/contact\/default-reply/)
    assert.doesNotMatch(page, /evil\.example/)
    assert.match(page, new RegExp(`"organization_id": "${env.org.id}"`))
    assert.match(page, /"manychat_data": FULL_CONTACT_DATA/)
    assert.match(page, /acme_page/)
    await reply('manychat_mia')
    const seen = decode((await admin.get('/settings/manychat')).text)
    assert.match(seen, /OK \(HTTP 200\): Contact processed successfully/)
    await env.call('POST', '/api/v1/contact/default-reply', { organization_id: env.org.id, username: 'no_manychat_id' })
    assert.match(decode((await admin.get('/settings/manychat')).text), /Refused \(HTTP 400\): .*manychat_id/)
    const proxied = await setup({ trustProxy: { kind: 'hops', hops: 1 } })
    try {
      const b = await as(proxied, 'o@acme.test', 'owner')
      const text = (await b.get('/settings/manychat', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'crm.agency.com' })).text
      assert.match(text, /https:\/\/crm\.agency\.com\/api\/v1\/contact\/default-reply/)
    } finally {
      await proxied.close()
    }
  })

  it('manages webhooks: add (secret once), bad URL, send test, rotate, enable a disabled one, deliveries, remove', async () => {
    const bad = await admin.post('/settings/webhooks', { url: 'ftp://example.com/x' })
    assert.equal(bad.status, 400)
    assert.match(bad.text, /role="alert"/)
    const added = await admin.post('/settings/webhooks', {
      url: 'https://hooks.example.com/a',
      events: ['contact.created', 'follow_up.done'],
    })
    assert.match(added.text, /<code id="webhook-secret" class="secret">whsec_/)
    assert.match(added.text, /contact\.created, follow_up\.done/)
    // A local receiver needs --allow-private, an operator's choice at the command line.
    const receiver = await startReceiver()
    try {
      const local = await env.store.write((trx) =>
        addEndpoint(trx, env.org.id, { url: receiver.url, allowPrivate: true }, isoTime(env.now())),
      )
      const tested = await admin.post(`/settings/webhooks/${local.id}/test`)
      assert.match(tested.text, /Test event delivered: HTTP 204/)
      assert.equal(receiver.received[0]!.json.type, 'webhook.test')
      const rotated = await admin.post(`/settings/webhooks/${local.id}/rotate`)
      assert.match(rotated.text, /whsec_/)
      await env.store.db
        .updateTable('webhook_endpoints')
        .set({ enabled: 0, disabled_reason: 'every attempt failed since 2026-01-10' })
        .where('id', '=', local.id)
        .execute()
      assert.match((await admin.get('/settings/webhooks')).text, /Disabled: every attempt failed since 2026-01-10/)
      assert.match((await admin.post(`/settings/webhooks/${local.id}/enable`)).text, /Enabled webhook endpoint/)
      const deliveries = await admin.get(`/settings/webhooks/${local.id}`)
      assert.match(deliveries.text, /webhook\.test/)
      assert.match(deliveries.text, /delivered/)
      assert.match(deliveries.text, /Delivered and failed deliveries are removed 30 days after their last attempt\./)
      assert.match((await admin.post(`/settings/webhooks/${local.id}/remove`)).text, /Remove the endpoint/)
      assert.match((await admin.post(`/settings/webhooks/${local.id}/remove`, { confirmed: 'yes' })).text, /Removed webhook endpoint/)
      const other = await env.createOrg('Elsewhere')
      const foreign = await env.store.write((trx) => addEndpoint(trx, other.id, { url: 'https://x.example/' }, isoTime(env.now())))
      assert.equal((await admin.post(`/settings/webhooks/${foreign.id}/remove`, { confirmed: 'yes' })).status, 404)
      assert.equal((await admin.get(`/settings/webhooks/${foreign.id}`)).status, 404)
    } finally {
      await receiver.close()
    }
  })

  it('records every settings action with who did it, from the web app and the CLI, newest first and paged', async () => {
    const rows = await audit()
    assert.ok(rows.length > 15)
    assert.ok(rows.every((r) => r.via === 'web' && r.user_id && /@acme\.test$/.test(r.actor)))
    assert.ok(rows.some((r) => r.action === 'stage' && /Renamed stage "Qualified" to "Hot Lead"/.test(r.detail)))
    const out: string[] = []
    const code = await runCli(['stage', 'add', env.org.id, 'From CLI'], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      env: { DMTRACKER_DB: env.dbPath },
    })
    assert.equal(code, 0, out.join('\n'))
    const invite = await runCli(['user', 'invite', '--email', 'cli.invite@acme.test', '--org', env.org.id, '--url', 'http://localhost'], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      env: { DMTRACKER_DB: env.dbPath },
    })
    assert.equal(invite, 0, out.join('\n'))
    const cliRows = (await audit()).filter((r) => r.via === 'cli').map((r) => r.detail)
    assert.deepEqual(cliRows, ['Added stage "From CLI" at position 7', 'Invited cli.invite@acme.test as member'])
    const page = decode((await owner.get('/settings/audit')).text)
    const first = page.indexOf('Added stage "From CLI"')
    assert.ok(first > 0 && first < page.indexOf('Renamed stage "Qualified"'), 'newest first')
    assert.match(page, /command line/)
    for (let i = 0; i < 60; i++) await admin.post('/settings/automations/1/disable')
    const newest = (await owner.get('/settings/audit')).text
    const older = /href="\/settings\/audit\?before=(\d+)"/.exec(newest)
    assert.ok(older, 'an Older link')
    const next = decode((await owner.get(`/settings/audit?before=${older[1]}`)).text)
    assert.match(next, /Added stage "From CLI"/)
  })

  it("shows Settings' times in the organization's time zone, as the contact page does, not in UTC", async () => {
    await admin.post('/settings/follow-ups', { timezone: 'Asia/Tokyo', cadence: '1d,3d,7d' })
    env.advance(3_600_000)
    await admin.post('/settings/tokens', { label: 'zoned' })
    await reply('zoned_zoe')
    const receiver = await startReceiver()
    try {
      const local = await env.store.write((trx) =>
        addEndpoint(trx, env.org.id, { url: receiver.url, allowPrivate: true }, isoTime(env.now())),
      )
      await admin.post(`/settings/webhooks/${local.id}/test`)
      // 15:00 UTC is midnight in Tokyo: the day shown can differ from UTC's too.
      const tokyo = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', dateStyle: 'medium', timeStyle: 'short' }).format(env.now())
      for (const path of [
        '/settings/audit',
        '/settings/tokens',
        '/settings/manychat',
        '/settings/webhooks',
        `/settings/webhooks/${local.id}`,
      ]) {
        const page = (await admin.get(path)).text
        assert.ok(page.includes(tokyo), `${path} shows ${tokyo}`)
        assert.match(page, /Times in Asia\/Tokyo|\(Asia\/Tokyo\)/, `${path} names the zone`)
        assert.doesNotMatch(page, /\d\d:\d\d UTC/, `${path} has no UTC times`)
      }
      assert.match((await admin.get('/settings/team')).text, /Times in Asia\/Tokyo/)
    } finally {
      await receiver.close()
    }
  })
})
