// Organization isolation: organization A's token aimed at organization B's data, through every
// endpoint and every way a request can name data (organization_id, contact_id, manychat_id,
// username, tag names, page_name, a member's email, a stage name). A lookup of B's data is a
// 401 or 404; a request that creates gets A's own record; and B's rows are byte-for-byte the
// same afterwards.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ENDPOINTS, type EndpointName } from '../scripts/reliability/endpoints.ts'
import { type CallResult, cli, isErrorShape, setup, type TestEnv, type TestOrg } from './helpers.ts'

interface World {
  a: TestOrg
  b: TestOrg
  /** A's own contact, so that requests have something legitimate to find. */
  aContact: { id: string; username: string; manychat_id: string }
  bContact: { id: string; username: string; manychat_id: string }
  bEmail: string
}

interface Case {
  name: string
  /** A write endpoint by name, or a read API route as [method, path]. */
  endpoint: EndpointName | [string, (w: World) => string]
  body?: (w: World) => Record<string, unknown>
  status: number
  /** For the cases that legitimately write in A: what to check about A's answer. */
  check?: (res: CallResult, w: World) => void
}

const route = (c: Case, w: World) =>
  typeof c.endpoint === 'string' ? ENDPOINTS[c.endpoint] : { method: c.endpoint[0], path: c.endpoint[1](w) }

/** How a case names its route in the test's title. */
const label = (c: Case) =>
  typeof c.endpoint === 'string' ? c.endpoint : `${c.endpoint[0]} ${c.endpoint[1]({ bContact: { id: ':b_contact_id' } } as World)}`

const B_TAG = 'b-only-tag'
const B_STAGE = 'B Secret Stage'
/** B's contact's last message and note: must never appear in an answer to A. */
const B_SECRET = 'only B may read this'

/** Every row that belongs to organization B, in a stable order, as one comparable value. */
async function snapshot(env: TestEnv, orgId: string) {
  const { db } = env.store
  const contacts = await db.selectFrom('contacts').selectAll().where('organization_id', '=', orgId).orderBy('id').execute()
  const ids = contacts.map((c) => c.id)
  const memberships = await db.selectFrom('memberships').selectAll().where('organization_id', '=', orgId).orderBy('user_id').execute()
  return {
    organization: await db.selectFrom('organizations').selectAll().where('id', '=', orgId).execute(),
    tokens: await db.selectFrom('api_tokens').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
    memberships,
    users: await db
      .selectFrom('users')
      .selectAll()
      .where(
        'id',
        'in',
        memberships.map((m) => m.user_id),
      )
      .orderBy('id')
      .execute(),
    stages: await db.selectFrom('pipeline_stages').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
    automations: await db.selectFrom('automations').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
    tags: await db.selectFrom('tags').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
    activity: await db.selectFrom('activity_log').selectAll().where('organization_id', '=', orgId).orderBy('id').execute(),
    contacts,
    messages: await db.selectFrom('messages').selectAll().where('contact_id', 'in', ids).orderBy('id').execute(),
    notes: await db.selectFrom('notes').selectAll().where('contact_id', 'in', ids).orderBy('id').execute(),
    contactTags: await db
      .selectFrom('contact_tags')
      .selectAll()
      .where('contact_id', 'in', ids)
      .orderBy('contact_id')
      .orderBy('tag_id')
      .execute(),
  }
}

const inbound = (orgId: string, username: string, extra: Record<string, unknown> = {}) => ({
  organization_id: orgId,
  username,
  had_outreach: false,
  last_response_at: '2026-01-10T10:00:00Z',
  last_message_content: 'hello',
  ...extra,
})

/** A's answer names A's organization and a contact that is not B's. */
const ownedByA = (res: CallResult, w: World) => {
  assert.equal(res.body.data.organization_id, w.a.id)
  assert.notEqual(res.body.data.id, w.bContact.id)
}

const CASES: Case[] = [
  // organization_id: B's. The token decides, whatever else the body says.
  {
    name: "B's organization_id",
    endpoint: 'default-reply',
    body: (w) => ({ organization_id: w.b.id, manychat_id: w.bContact.manychat_id, username: w.bContact.username, message_content: 'x' }),
    status: 401,
  },
  { name: "B's organization_id", endpoint: 'create-contact', body: (w) => inbound(w.b.id, w.bContact.username), status: 401 },
  {
    name: "B's organization_id",
    endpoint: 'update-tags',
    body: (w) => ({ organization_id: w.b.id, contact_id: w.bContact.id, mode: 'set', tag_names: [] }),
    status: 401,
  },
  {
    name: "B's organization_id",
    endpoint: 'contact-status',
    body: (w) => ({ organization_id: w.b.id, contact_id: w.bContact.id, lead_status: 'lost' }),
    status: 401,
  },
  {
    name: "B's organization_id in another case",
    endpoint: 'contact-status',
    body: (w) => ({ organization_id: w.b.id.toUpperCase(), contact_id: w.bContact.id, lead_status: 'lost' }),
    status: 401,
  },
  {
    name: 'an organization that does not exist',
    endpoint: 'update-tags',
    body: (w) => ({ organization_id: '00000000-0000-4000-8000-000000000000', contact_id: w.bContact.id, mode: 'add', tag_names: ['x'] }),
    status: 401,
  },
  // page_name: B's, instead of organization_id.
  {
    name: "B's page_name alone",
    endpoint: 'default-reply',
    body: (w) => ({ page_name: 'b_page', manychat_id: w.bContact.manychat_id, username: w.bContact.username, message_content: 'x' }),
    status: 401,
  },
  // contact_id: B's, in A's organization.
  {
    name: "B's contact_id",
    endpoint: 'update-tags',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.bContact.id, mode: 'set', tag_names: [] }),
    status: 404,
  },
  {
    name: "B's contact_id, mode remove",
    endpoint: 'update-tags',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.bContact.id, mode: 'remove', tag_names: ['vip'] }),
    status: 404,
  },
  {
    name: "B's contact_id",
    endpoint: 'contact-status',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.bContact.id, lead_status: 'won', pipeline_stage: 'Closed' }),
    status: 404,
  },
  {
    name: "A's contact_id with B's manychat_id",
    endpoint: 'contact-status',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.aContact.id, manychat_id: w.bContact.manychat_id, lead_status: 'won' }),
    status: 404,
  },
  // manychat_id: B's, in A's organization.
  {
    name: "B's manychat_id",
    endpoint: 'contact-status',
    body: (w) => ({ organization_id: w.a.id, manychat_id: w.bContact.manychat_id, lead_status_id: 3 }),
    status: 404,
  },
  {
    name: "B's manychat_id and username make A's own contact",
    endpoint: 'default-reply',
    body: (w) => ({
      organization_id: w.a.id,
      manychat_id: w.bContact.manychat_id,
      username: w.bContact.username,
      message_content: 'for A',
    }),
    status: 200,
    check: ownedByA,
  },
  {
    name: "B's manychat_id makes A's own contact",
    endpoint: 'create-contact',
    body: (w) => inbound(w.a.id, 'new_in_a', { manychat_id: w.bContact.manychat_id }),
    status: 201,
    check: ownedByA,
  },
  // username: B's, in A's organization.
  {
    name: "B's username",
    endpoint: 'update-tags',
    body: (w) => ({ organization_id: w.a.id, username: w.bContact.username, mode: 'add', tag_names: ['x'] }),
    status: 404,
  },
  {
    name: "A's contact_id with B's username",
    endpoint: 'update-tags',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.aContact.id, username: w.bContact.username, mode: 'add', tag_names: ['x'] }),
    status: 404,
  },
  {
    name: "B's username makes A's own contact",
    endpoint: 'create-contact',
    body: (w) => inbound(w.a.id, w.bContact.username),
    status: 201,
    check: ownedByA,
  },
  {
    name: "B's username as outreach makes A's own contact",
    endpoint: 'create-contact',
    body: (w) => ({ organization_id: w.a.id, username: w.bContact.username, had_outreach: true, outreach_reason: 'r', outreach_text: 't' }),
    status: 201,
    check: ownedByA,
  },
  // tag names: B's, on A's contact.
  {
    name: "B's tag name, mode remove",
    endpoint: 'update-tags',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.aContact.id, mode: 'remove', tag_names: [B_TAG] }),
    status: 400,
  },
  {
    name: "B's tag name, mode add, makes A's own tag",
    endpoint: 'update-tags',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.aContact.id, mode: 'add', tag_names: [B_TAG.toUpperCase()], tag_color: 'blue' }),
    status: 200,
    check: (res) =>
      assert.deepEqual(
        res.body.data.tags.map((t: { name: string; color: string }) => [t.name, t.color]),
        [
          [B_TAG.toUpperCase(), '#2563eb'],
          ['vip', '#374151'],
        ],
      ),
  },
  {
    name: "B's tag names on a new contact",
    endpoint: 'create-contact',
    body: (w) => inbound(w.a.id, 'tagged_in_a', { tags: [B_TAG], tag_color: 'green' }),
    status: 201,
    check: (res) => assert.equal(res.body.data.tags[0].color, '#16a34a'),
  },
  // A member of B only: known user, not A's member (the reference's 403).
  { name: "B's member email", endpoint: 'create-contact', body: (w) => inbound(w.a.id, 'by_b_user', { email: w.bEmail }), status: 403 },
  {
    name: "B's member email",
    endpoint: 'update-tags',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.aContact.id, mode: 'add', tag_names: ['x'], email: w.bEmail }),
    status: 403,
  },
  {
    name: "B's member email",
    endpoint: 'contact-status',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.aContact.id, lead_status: 'won', email: w.bEmail }),
    status: 403,
  },
  // B's own stage name: not one of A's stages.
  {
    name: "B's custom stage name",
    endpoint: 'contact-status',
    body: (w) => ({ organization_id: w.a.id, contact_id: w.aContact.id, pipeline_stage: B_STAGE }),
    status: 400,
  },
  // The read API: the token's organization is the only one there is.
  { name: "B's contact", endpoint: ['GET', (w) => `/api/v1/contacts/${w.bContact.id}`], status: 404 },
  { name: "archiving B's contact", endpoint: ['DELETE', (w) => `/api/v1/contacts/${w.bContact.id}`], status: 404 },
  {
    name: "a follow-up on B's contact",
    endpoint: ['POST', (w) => `/api/v1/contacts/${w.bContact.id}/follow-ups`],
    body: () => ({ note: 'done' }),
    status: 404,
  },
  {
    name: "searching for B's username",
    endpoint: ['GET', () => '/api/v1/contacts?q=b_lead'],
    status: 200,
    check: (res) => assert.deepEqual(res.body.data, []),
  },
  {
    name: 'the whole contact list',
    endpoint: ['GET', () => '/api/v1/contacts?limit=200'],
    status: 200,
    check: (res, w) =>
      assert.deepEqual(
        res.body.data.map((c: { id: string }) => c.id),
        [w.aContact.id],
      ),
  },
  { name: "filtering by B's tag", endpoint: ['GET', () => `/api/v1/contacts?tag=${B_TAG}`], status: 400 },
  { name: "filtering by B's stage", endpoint: ['GET', () => `/api/v1/contacts?stage=${encodeURIComponent(B_STAGE)}`], status: 400 },
  {
    name: 'the CSV export',
    endpoint: ['GET', () => '/api/v1/contacts/export.csv'],
    status: 200,
    check: (res) => assert.ok(!res.text.includes('b_lead')),
  },
  {
    name: 'the follow-up board',
    endpoint: ['GET', () => '/api/v1/follow-ups'],
    status: 200,
    check: (res) => assert.ok(!res.text.includes('b_lead')),
  },
  {
    name: 'the pipeline',
    endpoint: ['GET', () => '/api/v1/pipeline'],
    status: 200,
    check: (res) => assert.ok(!res.text.includes('b_lead') && !res.text.includes(B_STAGE)),
  },
]

/**
 * A world of its own for one test: A and B, each with a contact, B with a member, a stage and an
 * automation, and B's rows as they are before the test's request.
 */
async function makeWorld(env: TestEnv) {
  const b = await env.createOrg('Other agency', 'b_page')
  const create = async (org: TestOrg, username: string, manychatId: string, tags: string[], secret: string) => {
    const body = inbound(org.id, username, { manychat_id: manychatId, tags, note: secret, last_message_content: secret })
    const res = await env.call('POST', ENDPOINTS['create-contact'].path, body, { token: org.token })
    assert.equal(res.status, 201, res.text)
    return { id: res.body.data.id as string, username, manychat_id: manychatId }
  }
  const bContact = await create(b, 'b_lead', 'mc_b', [B_TAG, 'vip'], B_SECRET)
  const aContact = await create(env.org, 'a_lead', 'mc_a', ['vip'], 'a note')
  const bEmail = 'b_setter@example.com'
  for (const argv of [
    ['user', 'add', '--email', bEmail, '--org', b.id],
    ['stage', 'add', b.id, B_STAGE],
    ['automation', 'add', b.id, '--when-stage', 'Closed', '--set-status', 'won'],
  ]) {
    const result = await cli(env.dbPath, ...argv)
    assert.equal(result.code, 0, result.err)
  }
  const w: World = { a: env.org, b, aContact, bContact, bEmail }
  return { w, before: await snapshot(env, b.id) }
}

/**
 * Runs `test` in a fresh database and world that only it holds, rather than in an `env` that
 * beforeEach/afterEach share: Bun does not stop a test or hook that passed its timeout (5 s by
 * default, reached on a loaded machine), and one still running would use the next test's `env`
 * (B's fresh token refused as "Invalid or revoked", "No organization with id", a closed
 * database) and fail every later test of the file, not just the slow one.
 */
async function inWorld(test: (env: TestEnv, w: World, before: Awaited<ReturnType<typeof snapshot>>) => Promise<void>) {
  const env = await setup({ rateLimitPerMinute: 0 })
  try {
    const { w, before } = await makeWorld(env)
    await test(env, w, before)
  } finally {
    await env.close()
  }
}

describe('organization isolation: A’s token against B’s data', () => {
  for (const c of CASES) {
    it(`${label(c)}: ${c.name} -> ${c.status}`, () =>
      inWorld(async (env, w, before) => {
        const { method, path } = route(c, w)
        const res = await env.call(method, path, c.body?.(w), { token: w.a.token })
        assert.equal(res.status, c.status, res.text)
        if (res.status >= 400) assert.ok(isErrorShape(res.body))
        // Whatever the answer, it shows nothing of B's that the request did not already say.
        assert.ok(!res.text.includes(B_SECRET), res.text)
        c.check?.(res, w)
        assert.deepEqual(await snapshot(env, w.b.id), before)
      }))
  }

  it('B’s own token still sees B’s data unchanged after the whole matrix', () =>
    inWorld(async (env, w, before) => {
      for (const c of CASES) {
        const { method, path } = route(c, w)
        await env.call(method, path, c.body?.(w), { token: w.a.token })
      }
      assert.deepEqual(await snapshot(env, w.b.id), before)
      const res = await env.call(
        'PATCH',
        ENDPOINTS['contact-status'].path,
        { organization_id: w.b.id, contact_id: w.bContact.id, pipeline_stage: 'Closed' },
        { token: w.b.token },
      )
      assert.equal(res.status, 200)
      assert.equal(res.body.data.lead_status, 'won', "B's automation ran for B")
    }))
})
