import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { addRule, type NewRule } from '../src/automations/service.ts'
import { isoTime } from '../src/core/time.ts'
import type { Contact } from '../src/db/schema.ts'
import { CANCELLED_MESSAGE } from '../src/organizations/access.ts'
import { deactivateStage } from '../src/pipeline/service.ts'
import { addUser } from '../src/users/service.ts'
import { addContact, failInserts, holdWriteLock, isErrorShape, itSqlite, setup, type TestEnv } from './helpers.ts'

const PATH = '/api/v1/contact/contact-status'
const ACTIVE_STAGES = 'Outreach Sent, In Conversation, Interested, Meeting Booked, Closed, Lost'

describe('PATCH /contact/contact-status', () => {
  let env: TestEnv
  let john: Contact // inbound, manychat_id 12345678: In Conversation, open
  let jane: Contact // outreach, manychat_id 555: Outreach Sent, open

  const patch = (body: Record<string, unknown> | string, options?: Parameters<TestEnv['call']>[3]) => env.call('PATCH', PATH, body, options)
  const activity = () =>
    env.store.db
      .selectFrom('activity_log')
      .select(['contact_id', 'action', 'old_value', 'new_value', 'via', 'automation_id', 'user_id'])
      .where('action', 'in', ['lead_status', 'pipeline_stage'])
      .orderBy('id')
      .execute()
  const stored = (id: string) =>
    env.store.db
      .selectFrom('contacts as c')
      .leftJoin('pipeline_stages as s', 's.id', 'c.pipeline_stage_id')
      .select(['c.lead_status_id', 's.name as stage', 'c.updated_at'])
      .where('c.id', '=', id)
      .executeTakeFirstOrThrow()
  const rule = (input: Omit<NewRule, 'enabled'> & { enabled?: boolean }, orgId = env.org.id) =>
    env.store.write((trx) => addRule(trx, orgId, { enabled: true, ...input }, new Date(env.now()).toISOString()))

  beforeEach(async () => {
    env = await setup()
    john = await addContact(env, { username: 'johndoe', manychatId: '12345678' })
    jane = await addContact(env, { username: 'janedoe', manychatId: '555', type: 'outreach', outreach: { reason: 'Q1', text: 'Hi' } })
  })
  afterEach(async () => {
    await env.close()
  })

  it("accepts the reference's cURL example as written", async () => {
    const body = `{
    "organization_id": "${env.org.id}",
    "manychat_id": "12345678",
    "lead_status": "won",
    "pipeline_stage": "Closed"
  }`
    const res = await patch(body)
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, {
      status: 'success',
      data: { id: john.id, username: 'johndoe', lead_status: 'won', pipeline_stage: 'Closed', lead_status_id: 2, manychat_id: '12345678' },
    })
    assert.deepEqual(await activity(), [
      { contact_id: john.id, action: 'lead_status', old_value: 'open', new_value: 'won', via: 'api', automation_id: null, user_id: null },
      {
        contact_id: john.id,
        action: 'pipeline_stage',
        old_value: 'In Conversation',
        new_value: 'Closed',
        via: 'api',
        automation_id: null,
        user_id: null,
      },
    ])
  })

  const fieldPaths: { name: string; body: () => Record<string, unknown>; status: string; stage: string }[] = [
    {
      name: 'contact_id with lead_status in any case',
      body: () => ({ contact_id: john.id, lead_status: ' WON ' }),
      status: 'won',
      stage: 'In Conversation',
    },
    {
      name: 'manychat_id as a number with lead_status_id',
      body: () => ({ manychat_id: 12345678, lead_status_id: 3 }),
      status: 'lost',
      stage: 'In Conversation',
    },
    {
      name: 'lead_status_id as a numeric string',
      body: () => ({ manychat_id: '12345678', lead_status_id: '4' }),
      status: 'abandoned',
      stage: 'In Conversation',
    },
    {
      name: 'pipeline_stage alone, in any case',
      body: () => ({ manychat_id: '12345678', pipeline_stage: 'meeting BOOKED' }),
      status: 'open',
      stage: 'Meeting Booked',
    },
    {
      name: 'contact_id and manychat_id of the same contact',
      body: () => ({ contact_id: john.id.toUpperCase(), manychat_id: '12345678', lead_status: 'lost' }),
      status: 'lost',
      stage: 'In Conversation',
    },
    {
      name: 'lead_status_id with pipeline_stage',
      body: () => ({ contact_id: john.id, lead_status_id: 2, pipeline_stage: 'Closed' }),
      status: 'won',
      stage: 'Closed',
    },
  ]
  for (const c of fieldPaths) {
    it(`updates by ${c.name}`, async () => {
      const res = await patch({ organization_id: env.org.id, ...c.body() })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.data.id, john.id)
      assert.equal(res.body.data.lead_status, c.status)
      assert.equal(res.body.data.pipeline_stage, c.stage)
      const after = await stored(john.id)
      assert.equal(after.stage, c.stage)
      assert.equal(res.body.data.lead_status_id, after.lead_status_id)
      const other = await stored(jane.id)
      assert.deepEqual([other.lead_status_id, other.stage], [1, 'Outreach Sent'])
    })
  }

  it('logs the user named by email', async () => {
    const user = await env.store.write((trx) =>
      addUser(trx, { email: 'Sam@Example.com', organizationId: env.org.id, role: 'member' }, isoTime(env.now())),
    )
    const res = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won', email: 'sam@example.com' })
    assert.equal(res.status, 200)
    const [entry] = await activity()
    assert.equal(entry!.user_id, user.id)
    assert.equal(entry!.via, 'api')
  })

  it('changes nothing, logs nothing and runs no automation when the values are already set', async () => {
    await rule({ kind: 'status_to_stage', status: 'won', stage: 'Closed' })
    const first = await patch({ organization_id: env.org.id, manychat_id: '12345678', lead_status: 'won' })
    assert.equal(first.body.data.pipeline_stage, 'Closed')
    // Moved back by hand; sending won again must not re-run the rule.
    await patch({ organization_id: env.org.id, manychat_id: '12345678', pipeline_stage: 'Interested' })
    const logged = (await activity()).length
    const before = await stored(john.id)
    env.advance(60_000)
    const again = await patch({ organization_id: env.org.id, manychat_id: '12345678', lead_status: 'won', pipeline_stage: 'interested' })
    assert.equal(again.status, 200)
    assert.deepEqual(again.body.data, {
      id: john.id,
      username: 'johndoe',
      lead_status: 'won',
      pipeline_stage: 'Interested',
      lead_status_id: 2,
      manychat_id: '12345678',
    })
    assert.equal((await activity()).length, logged)
    assert.deepEqual(await stored(john.id), before)
    const statusOnly = await patch({ organization_id: env.org.id, manychat_id: '12345678', lead_status: 'won' })
    assert.equal(statusOnly.body.data.pipeline_stage, 'Interested')
    assert.equal((await activity()).length, logged)
  })

  describe('smart automations', () => {
    it('stage to status: moving to Closed sets won, logged via automation with the rule', async () => {
      const r = await rule({ kind: 'stage_to_status', stage: 'Closed', status: 'won' })
      const res = await patch({ organization_id: env.org.id, contact_id: john.id, pipeline_stage: 'Closed' })
      assert.deepEqual([res.body.data.lead_status, res.body.data.pipeline_stage, res.body.data.lead_status_id], ['won', 'Closed', 2])
      assert.deepEqual(await activity(), [
        {
          contact_id: john.id,
          action: 'pipeline_stage',
          old_value: 'In Conversation',
          new_value: 'Closed',
          via: 'api',
          automation_id: null,
          user_id: null,
        },
        {
          contact_id: john.id,
          action: 'lead_status',
          old_value: 'open',
          new_value: 'won',
          via: 'automation',
          automation_id: r.id,
          user_id: null,
        },
      ])
    })

    it('status to stage: abandoned moves to Lost', async () => {
      const r = await rule({ kind: 'status_to_stage', status: 'abandoned', stage: 'Lost' })
      const res = await patch({ organization_id: env.org.id, manychat_id: '555', lead_status_id: 4 })
      assert.deepEqual([res.body.data.lead_status, res.body.data.pipeline_stage], ['abandoned', 'Lost'])
      const entries = await activity()
      assert.deepEqual(
        entries.map((e) => [e.action, e.old_value, e.new_value, e.via, e.automation_id]),
        [
          ['lead_status', 'open', 'abandoned', 'api', null],
          ['pipeline_stage', 'Outreach Sent', 'Lost', 'automation', r.id],
        ],
      )
    })

    it('a disabled rule does not fire', async () => {
      await rule({ kind: 'status_to_stage', status: 'won', stage: 'Closed', enabled: false })
      const res = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won' })
      assert.equal(res.body.data.pipeline_stage, 'In Conversation')
      assert.equal((await activity()).length, 1)
    })

    it('Won->Closed and Closed->Won both enabled: one change each, no loop', async () => {
      const wonToClosed = await rule({ kind: 'status_to_stage', status: 'won', stage: 'Closed' })
      const closedToWon = await rule({ kind: 'stage_to_status', stage: 'Closed', status: 'won' })
      const byStatus = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won' })
      assert.deepEqual([byStatus.body.data.lead_status, byStatus.body.data.pipeline_stage], ['won', 'Closed'])
      const byStage = await patch({ organization_id: env.org.id, contact_id: jane.id, pipeline_stage: 'Closed' })
      assert.deepEqual([byStage.body.data.lead_status, byStage.body.data.pipeline_stage], ['won', 'Closed'])
      assert.deepEqual(
        (await activity()).map((e) => [e.contact_id, e.action, e.via, e.automation_id]),
        [
          [john.id, 'lead_status', 'api', null],
          [john.id, 'pipeline_stage', 'automation', wonToClosed.id],
          [jane.id, 'pipeline_stage', 'api', null],
          [jane.id, 'lead_status', 'automation', closedToWon.id],
        ],
      )
    })

    it("an automation's change does not trigger further rules", async () => {
      await rule({ kind: 'status_to_stage', status: 'won', stage: 'Closed' })
      await rule({ kind: 'stage_to_status', stage: 'Closed', status: 'lost' })
      const res = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won' })
      assert.deepEqual([res.body.data.lead_status, res.body.data.pipeline_stage], ['won', 'Closed'])
      assert.equal((await activity()).length, 2)
    })

    it('values the request sets win over rules for the same field', async () => {
      await rule({ kind: 'stage_to_status', stage: 'Closed', status: 'lost' })
      await rule({ kind: 'status_to_stage', status: 'won', stage: 'Meeting Booked' })
      const res = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won', pipeline_stage: 'Closed' })
      assert.deepEqual([res.body.data.lead_status, res.body.data.pipeline_stage], ['won', 'Closed'])
      assert.deepEqual(
        (await activity()).map((e) => e.via),
        ['api', 'api'],
      )
    })

    it('logs nothing for a rule whose result the contact already has', async () => {
      await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won' })
      await rule({ kind: 'stage_to_status', stage: 'Closed', status: 'won' })
      await patch({ organization_id: env.org.id, contact_id: john.id, pipeline_stage: 'Closed' })
      assert.deepEqual(
        (await activity()).map((e) => [e.action, e.via]),
        [
          ['lead_status', 'api'],
          ['pipeline_stage', 'api'],
        ],
      )
    })

    it("does not run another organization's rules", async () => {
      const other = await env.createOrg('Other')
      await rule({ kind: 'status_to_stage', status: 'won', stage: 'Closed' }, other.id)
      const res = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won' })
      assert.equal(res.body.data.pipeline_stage, 'In Conversation')
    })
  })

  describe('errors', () => {
    const bad: { name: string; body: () => Record<string, unknown> | string; message: RegExp }[] = [
      { name: 'malformed JSON', body: () => '{"organization_id": ', message: /Malformed JSON/ },
      { name: 'a body that is not an object', body: () => '["won"]', message: /JSON object/ },
      {
        name: 'missing organization_id',
        body: () => ({ contact_id: john.id, lead_status: 'won' }),
        message: /organization_id is required/,
      },
      {
        name: 'malformed organization_id',
        body: () => ({ organization_id: 'abc-123-...', contact_id: john.id, lead_status: 'won' }),
        message: /organization_id must be a UUID/,
      },
      {
        name: 'no contact identifier',
        body: () => ({ organization_id: env.org.id, lead_status: 'won' }),
        message: /^contact_id is required unless manychat_id is sent$/,
      },
      {
        name: 'malformed contact_id',
        body: () => ({ organization_id: env.org.id, contact_id: '42', lead_status: 'won' }),
        message: /contact_id must be a UUID/,
      },
      {
        name: 'empty manychat_id',
        body: () => ({ organization_id: env.org.id, manychat_id: '', lead_status: 'won' }),
        message: /manychat_id must not be empty/,
      },
      {
        name: 'nothing to change',
        body: () => ({ organization_id: env.org.id, contact_id: john.id }),
        message: /^lead_status is required unless lead_status_id or pipeline_stage is sent$/,
      },
      {
        name: 'lead_status with lead_status_id',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won', lead_status_id: 2 }),
        message: /lead_status_id cannot be sent together with lead_status/,
      },
      {
        name: 'unknown lead_status',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, lead_status: 'pending' }),
        message: /lead_status must be one of open, won, lost, abandoned/,
      },
      {
        name: 'lead_status that is not a string',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, lead_status: 2 }),
        message: /lead_status must be a string/,
      },
      {
        name: 'lead_status_id out of range',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, lead_status_id: 5 }),
        message: /lead_status_id must be a whole number from 1 to 4 \(1 open, 2 won, 3 lost, 4 abandoned\)/,
      },
      {
        name: 'lead_status_id zero',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, lead_status_id: 0 }),
        message: /lead_status_id must be a whole number/,
      },
      {
        name: 'fractional lead_status_id',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, lead_status_id: 2.5 }),
        message: /lead_status_id must be a whole number/,
      },
      {
        name: 'lead_status_id as a name',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, lead_status_id: 'won' }),
        message: /lead_status_id must be a whole number/,
      },
      {
        name: 'empty pipeline_stage',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, pipeline_stage: ' ' }),
        message: /pipeline_stage must not be empty/,
      },
      {
        name: 'unknown pipeline_stage',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, pipeline_stage: 'Won' }),
        message: new RegExp(`pipeline_stage "Won" is not an active pipeline stage; valid stages: ${ACTIVE_STAGES}$`),
      },
      {
        name: 'invalid email',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won', email: 'nope' }),
        message: /email must be a valid email address/,
      },
      {
        name: 'contact_id and manychat_id of different contacts',
        body: () => ({ organization_id: env.org.id, contact_id: john.id, manychat_id: '555', lead_status: 'won' }),
        message: /manychat_id and contact_id name different contacts/,
      },
    ]
    it('names both identifiers when contact_id and manychat_id name different contacts (as update-tags does)', async () => {
      const res = await patch({ organization_id: env.org.id, contact_id: john.id, manychat_id: '555', lead_status: 'won' })
      assert.equal(res.status, 400)
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['contact_id', 'manychat_id'],
      )
    })

    for (const c of bad) {
      it(`400 for ${c.name}, nothing changed`, async () => {
        const res = await patch(c.body())
        assert.equal(res.status, 400, res.text)
        assert.ok(isErrorShape(res.body))
        assert.match(res.body.message, c.message)
        assert.deepEqual(await activity(), [])
        assert.equal((await stored(john.id)).lead_status_id, 1)
      })
    }

    it('explains a missing change in a detail that reads as a sentence after its field', async () => {
      const res = await patch({ organization_id: env.org.id, contact_id: john.id })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.details, [{ field: 'lead_status', message: 'is required unless lead_status_id or pipeline_stage is sent' }])
    })

    it('names every invalid field in one 400', async () => {
      const res = await patch({ organization_id: 'x', contact_id: 'y', lead_status: 'maybe' })
      assert.equal(res.status, 400)
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['organization_id', 'contact_id', 'lead_status'],
      )
    })

    it('400 for a deactivated stage, listing only the active ones', async () => {
      await env.store.write((trx) => deactivateStage(trx, env.org.id, 'Interested'))
      const res = await patch({ organization_id: env.org.id, contact_id: john.id, pipeline_stage: 'interested' })
      assert.equal(res.status, 400)
      assert.match(res.body.message, /valid stages: Outreach Sent, In Conversation, Meeting Booked, Closed, Lost$/)
      assert.deepEqual(res.body.details, [
        {
          field: 'pipeline_stage',
          message:
            '"interested" is not an active pipeline stage; valid stages: Outreach Sent, In Conversation, Meeting Booked, Closed, Lost',
        },
      ])
    })

    it('401 for a missing or foreign token or organization', async () => {
      const other = await env.createOrg('Other')
      const body = { organization_id: env.org.id, contact_id: john.id, lead_status: 'won' }
      for (const res of [
        await patch(body, { token: null }),
        await patch(body, { token: 'dmt_not_a_token' }),
        await patch(body, { token: other.token }),
        await patch({ ...body, organization_id: other.id }),
      ]) {
        assert.equal(res.status, 401)
        assert.ok(isErrorShape(res.body))
      }
      assert.deepEqual(await activity(), [])
    })

    it('404 for an unknown email, 403 for a user who is not a member', async () => {
      await env.store.write((trx) => addUser(trx, { email: 'outsider@example.com', role: 'member' }, isoTime(env.now())))
      const unknown = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won', email: 'ghost@example.com' })
      assert.equal(unknown.status, 404)
      assert.match(unknown.body.message, /ghost@example.com/)
      const outsider = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won', email: 'outsider@example.com' })
      assert.equal(outsider.status, 403)
      assert.ok(isErrorShape(outsider.body))
      assert.deepEqual(await activity(), [])
    })

    it('404 when no active contact of the organization matches', async () => {
      const other = await env.createOrg('Other')
      const foreign = await addContact(env, { username: 'foreign', manychatId: '777' }, other.id)
      const archived = await addContact(env, { username: 'gone', manychatId: '888' })
      await env.store.db
        .updateTable('contacts')
        .set({ archived_at: new Date(env.now()).toISOString() })
        .where('id', '=', archived.id)
        .execute()
      for (const identifier of [
        { contact_id: '00000000-0000-4000-8000-000000000000' },
        { manychat_id: '404404' },
        { contact_id: foreign.id },
        { manychat_id: '777' },
        { contact_id: archived.id },
        { manychat_id: 888 },
        { contact_id: john.id, manychat_id: '404404' },
      ]) {
        const res = await patch({ organization_id: env.org.id, ...identifier, lead_status: 'won' })
        assert.equal(res.status, 404, JSON.stringify(identifier))
        assert.equal(res.body.error, 'Not Found')
        assert.match(res.body.message, /^Contact not found with (contact_id|manychat_id) /)
      }
      assert.deepEqual(await activity(), [])
    })

    for (const method of ['POST', 'GET', 'PUT']) {
      it(`405 with Allow: PATCH for ${method}`, async () => {
        const res = await env.call(
          method,
          PATH,
          method === 'GET' ? undefined : { organization_id: env.org.id, contact_id: john.id, lead_status: 'won' },
        )
        assert.equal(res.status, 405)
        assert.equal(res.headers.get('allow'), 'PATCH')
        assert.ok(isErrorShape(res.body))
        assert.equal((await stored(john.id)).lead_status_id, 1)
      })
    }

    it('500 without internals and nothing written when a step fails mid-way', async () => {
      await rule({ kind: 'status_to_stage', status: 'won', stage: 'Closed' })
      // Fails the automation's log entry, after the API's own change was made in the transaction.
      await failInserts(env, 'activity_log', 'secret internals', "new.via = 'automation'")
      const res = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won' })
      assert.equal(res.status, 500)
      assert.ok(isErrorShape(res.body))
      assert.ok(!res.text.includes('secret internals'))
      assert.equal((await stored(john.id)).lead_status_id, 1)
      assert.deepEqual(await activity(), [])
    })

    itSqlite('503 with Retry-After when the database is locked', async () => {
      const release = holdWriteLock(env)
      try {
        const res = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won' })
        assert.equal(res.status, 503)
        assert.ok(res.headers.get('retry-after'))
        assert.ok(isErrorShape(res.body))
      } finally {
        await release()
      }
      assert.equal((await stored(john.id)).lead_status_id, 1)
    })
  })

  it('answers success and writes nothing for a cancelled organization', async () => {
    await rule({ kind: 'status_to_stage', status: 'won', stage: 'Closed' })
    await env.store.db.updateTable('organizations').set({ subscription_status: 'cancelled' }).where('id', '=', env.org.id).execute()
    const res = await patch({ organization_id: env.org.id, contact_id: john.id, lead_status: 'won' })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { status: 'success', message: CANCELLED_MESSAGE })
    assert.deepEqual(await stored(john.id), { lead_status_id: 1, stage: 'In Conversation', updated_at: john.updated_at })
    assert.deepEqual(await activity(), [])
  })
})
