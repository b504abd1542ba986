import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import { openStore } from '../src/db/open.ts'
import { cli, freshDatabase, onPostgres, setup, type TestDatabase, type TestEnv } from './helpers.ts'
import { assertKeptCounts } from './kept-counts.ts'

// `dmtracker copy`: SQLite -> the run's other engine (PostgreSQL on the Postgres run, another SQLite
// file otherwise) -> SQLite again gives the same data, row for row.

const TABLES = [
  'organizations',
  'users',
  'memberships',
  'api_tokens',
  'pipeline_stages',
  'tags',
  'automations',
  'contacts',
  'contact_tags',
  'messages',
  'notes',
  'activity_log',
  'id_numbers',
  'follow_ups',
  'webhook_endpoints',
  'webhook_deliveries',
  'idempotency_keys',
]

/** Every row of every table, each table's rows sorted, for deepEqual between databases. */
async function dump(location: string, orgId?: string): Promise<Record<string, unknown[]>> {
  const store = openStore(location)
  try {
    const out: Record<string, unknown[]> = {}
    for (const table of TABLES) {
      const rows = (await (store.db as unknown as Kysely<any>).selectFrom(table).selectAll().execute()) as Record<string, unknown>[]
      const owner = table === 'organizations' ? 'id' : 'organization_id'
      const kept = orgId && owner in (rows[0] ?? {}) ? rows.filter((r) => r[owner] === orgId) : rows
      out[table] = kept.map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)))).sort()
    }
    return out
  } finally {
    await store.close()
  }
}

describe(`dmtracker copy (SQLite <-> ${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  let env: TestEnv
  let middle: TestDatabase
  let back: TestDatabase
  let other: { id: string; token: string }

  beforeEach(async () => {
    env = await setup({}, { engine: 'sqlite' })
    middle = await freshDatabase()
    back = await freshDatabase('sqlite')
    other = await env.createOrg('Other', 'other_page')
    // Some of everything: contacts both ways in, replies, tags, a status change with its activity,
    // text with quotes and emoji, an Instagram id beyond 2^53, in two organizations.
    // And since issues 17 and 18: follow-ups, a webhook endpoint with its waiting deliveries, a
    // stored Idempotency-Key answer, and a booking stage (organizations name it: copied after the stages).
    for (const [org, token] of [
      [env.org.id, env.org.token],
      [other.id, other.token],
    ] as const) {
      const hook = await cli(env.dbPath, 'webhook', 'add', org, '--url', 'https://hooks.example.com/dmtracker')
      assert.equal(hook.code, 0, hook.err)
      const reply = (manychat: string, username: string, text: string) =>
        env.call(
          'POST',
          '/api/v1/contact/default-reply',
          { organization_id: org, manychat_id: manychat, username, message_content: text, ig_id: '17841400000000000123' },
          { token, headers: { 'idempotency-key': `${manychat}-${username}-${text.length}` } },
        )
      assert.equal((await reply('1', 'ana', 'hello "there" 👋')).status, 200)
      assert.equal((await reply('1', 'ana', 'again')).status, 200)
      assert.equal((await reply('2', 'Bob.Smith', "it's me")).status, 200)
      const created = await env.call(
        'POST',
        '/api/v1/organization/create-contact',
        {
          organization_id: org,
          username: 'carol',
          contact_type: 'outreach',
          had_outreach: true,
          outreach_reason: 'cold',
          outreach_text: 'hi carol',
        },
        { token },
      )
      assert.equal(created.status, 201, created.text)
      const tags = await env.call(
        'POST',
        '/api/v1/contact/update-tags-external',
        { organization_id: org, username: 'ana', mode: 'add', tag_names: ['VIP', 'hot lead'] },
        { token },
      )
      assert.equal(tags.status, 200, tags.text)
      const status = await env.call(
        'PATCH',
        '/api/v1/contact/contact-status',
        { organization_id: org, manychat_id: '2', lead_status: 'won' },
        { token },
      )
      assert.equal(status.status, 200, status.text)
    }
  })

  afterEach(async () => {
    await env.close()
    await middle.drop()
    await back.drop()
  })

  it('round trip: the same rows in every table, verified by counts and checksums', { timeout: 60_000 }, async () => {
    const there = await cli(env.dbPath, 'copy', '--from', env.dbPath, '--to', middle.location, '--json')
    assert.equal(there.code, 0, there.err)
    const report = JSON.parse(there.out) as { tables: { table: string; rows: number; checksum: string }[] }
    assert.equal(report.tables.find((t) => t.table === 'contacts')?.rows, 6)
    assert.ok(!there.out.includes(':***@') || onPostgres)
    const again = await cli(env.dbPath, 'copy', '--from', middle.location, '--to', back.location)
    assert.equal(again.code, 0, again.err)
    assert.match(again.out, /verified/)
    const original = await dump(env.dbPath)
    for (const table of ['follow_ups', 'webhook_endpoints', 'webhook_deliveries', 'idempotency_keys'])
      assert.ok(original[table]!.length > 0, `${table} has rows to copy`)
    assert.ok(original.organizations!.some((row) => /\["booking_stage_id",\d+\]/.test(String(row))))
    assert.deepEqual(await dump(middle.location), original)
    assert.deepEqual(await dump(back.location), original)
    // The counts kept by triggers (not copied) are counted again on each side.
    for (const location of [middle.location, back.location]) {
      const store = openStore(location)
      try {
        const tagged = await store.db.selectFrom('tagged_contacts').select('tag_id').execute()
        assert.equal(tagged.length, 4, 'ana carries two tags in each organization')
        await assertKeptCounts(store.db as unknown as Kysely<any>, location)
      } finally {
        await store.close()
      }
    }
  })

  it('the copy serves the same answers, and takes new writes with fresh ids', { timeout: 60_000 }, async () => {
    assert.equal((await cli(env.dbPath, 'copy', '--from', env.dbPath, '--to', middle.location)).code, 0)
    const copy = await setupOn(middle.location)
    const list = (path: string, e: { call: TestEnv['call'] }) => e.call('GET', path)
    const path = '/api/v1/contacts'
    const [copied, original] = [await list(path, copy), await list(path, env)]
    assert.equal(copied.status, 200, copied.text)
    assert.equal(copied.body.data.length, 3)
    assert.deepEqual(copied.body, original.body)
    const tag = await copy.call('POST', '/api/v1/contact/update-tags-external', {
      organization_id: env.org.id,
      username: 'carol',
      mode: 'add',
      tag_names: ['new one', 'vip'],
    })
    assert.equal(tag.status, 200, tag.text)
    assert.deepEqual(tag.body.data.tags.map((t: { name: string }) => t.name).sort(), ['VIP', 'new one'])
    await copy.close()
  })

  it('refuses a target that holds data unless --replace', { timeout: 60_000 }, async () => {
    assert.equal((await cli(env.dbPath, 'copy', '--from', env.dbPath, '--to', middle.location)).code, 0)
    const refused = await cli(env.dbPath, 'copy', '--from', env.dbPath, '--to', middle.location)
    assert.equal(refused.code, 1)
    assert.match(refused.err, /already holds data.*--replace/)
    const replaced = await cli(env.dbPath, 'copy', '--from', env.dbPath, '--to', middle.location, '--replace')
    assert.equal(replaced.code, 0, replaced.err)
    assert.deepEqual(await dump(middle.location), await dump(env.dbPath))
  })

  it('--org copies one organization and what it needs, nothing of the others', { timeout: 60_000 }, async () => {
    const res = await cli(env.dbPath, 'copy', '--from', env.dbPath, '--to', middle.location, '--org', other.id)
    assert.equal(res.code, 0, res.err)
    const copied = await dump(middle.location)
    const expected = await dump(env.dbPath, other.id)
    for (const table of ['organizations', 'contacts', 'tags', 'activity_log', 'api_tokens'])
      assert.deepEqual(copied[table], expected[table], table)
    assert.equal(copied.organizations!.length, 1)
    assert.equal((await cli(env.dbPath, 'copy', '--from', env.dbPath, '--to', middle.location, '--org', 'nope', '--replace')).code, 1)
  })

  /** An app on `location`, with the source env's clock and tokens (they were copied). */
  async function setupOn(location: string) {
    const { createApp } = await import('../src/app.ts')
    const { loadConfig } = await import('../src/config.ts')
    const store = openStore(location)
    const app = createApp({ store, config: { ...loadConfig({}, {}), dbPath: location }, now: env.now })
    return {
      async call(method: string, path: string, body?: unknown) {
        const res = await app.request(path, {
          method,
          headers: { 'content-type': 'application/json', 'x-org-auth-token': env.org.token },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
        const text = await res.text()
        return { status: res.status, headers: res.headers, body: JSON.parse(text), text }
      },
      async close() {
        await app.close()
        await store.close()
      },
    }
  }
})
