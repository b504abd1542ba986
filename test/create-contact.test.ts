import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { isoTime } from '../src/core/time.ts'
import { CANCELLED_MESSAGE } from '../src/organizations/access.ts'
import { addUser } from '../src/users/service.ts'
import { holdWriteLock, isErrorShape, itSqlite, setup, T0, type TestEnv } from './helpers.ts'

const PATH = '/api/v1/organization/create-contact'
const DAY_MS = 86_400_000

let env: TestEnv

const post = (body: unknown, options?: { token?: string | null }) => env.call('POST', PATH, body, options)

/** The reference's inbound example, with the test organization's id. */
const inbound = (extra: Record<string, unknown> = {}) => ({
  organization_id: env.org.id,
  username: 'john_doe',
  had_outreach: false,
  last_response_at: '2025-01-12T10:00:00.000Z',
  last_message_content: 'Hey, I saw your post about coaching!',
  tags: ['interested', 'coaching'],
  note: 'Came from Reel about mindset',
  ...extra,
})

/** The reference's outreach example, with the test organization's id. */
const outreach = (extra: Record<string, unknown> = {}) => ({
  organization_id: env.org.id,
  username: 'prospect_user',
  had_outreach: true,
  outreach_reason: 'Cold outreach — Q1 campaign',
  outreach_text: 'Hey! Loved your content, would love to connect.',
  outreach_reason_label: 'Q1 Campaign',
  outreach_message_label: 'Intro Message',
  tags: ['outreach', 'q1-campaign'],
  ...extra,
})

const contacts = () => env.store.db.selectFrom('contacts').selectAll().orderBy('created_at').execute()
const messages = (contactId: string) =>
  env.store.db.selectFrom('messages').selectAll().where('contact_id', '=', contactId).orderBy('id').execute()
const notes = (contactId: string) =>
  env.store.db.selectFrom('notes').selectAll().where('contact_id', '=', contactId).orderBy('id').execute()
const activity = (contactId: string) =>
  env.store.db
    .selectFrom('activity_log')
    .select(['action', 'old_value', 'new_value', 'via', 'user_id'])
    .where('contact_id', '=', contactId)
    .orderBy('id')
    .execute()

async function addMember(email: string, orgId = env.org.id) {
  return env.store.write((trx) => addUser(trx, { email, organizationId: orgId, role: 'member' }, isoTime(env.now())))
}

function assertFieldErrors(res: { status: number; body: any }, fields: string[]) {
  assert.equal(res.status, 400, JSON.stringify(res.body))
  assert.ok(isErrorShape(res.body))
  assert.deepEqual(res.body.details.map((d: { field: string }) => d.field).sort(), [...fields].sort())
  for (const field of fields) assert.match(res.body.message, new RegExp(`\\b${field}\\b`))
}

describe('POST /api/v1/organization/create-contact', () => {
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  describe('the reference examples, sent as written', () => {
    it('creates an inbound contact (201) with every field of the reference response', async () => {
      const res = await post(inbound())
      assert.equal(res.status, 201)
      assert.equal(res.body.status, 'success')
      assert.equal(res.body.message, 'Contact created successfully')
      const data = res.body.data
      const referenceKeys = [
        'id',
        'manychat_id',
        'username',
        'organization_id',
        'created_at',
        'last_response_at',
        'last_message_content',
        'follow_up_needed',
        'had_outreach',
        'contact_ingestion_type',
        'created_by_user_id',
        'pipeline_stage',
      ]
      const extraKeys = [
        'contact_type',
        'lead_status',
        'tags',
        'ig_id',
        'outreach_reason',
        'outreach_text',
        'outreach_message',
        'outreach_reason_label',
        'outreach_message_label',
      ]
      for (const key of [...referenceKeys, ...extraKeys]) assert.ok(key in data, `data.${key} is missing`)
      assert.match(data.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) // UUIDv7: ids sort by creation
      assert.equal(parseInt(data.id.replace(/-/g, '').slice(0, 12), 16), T0) // its time is created_at's
      assert.equal(data.username, 'john_doe')
      assert.equal(data.organization_id, env.org.id)
      assert.equal(data.created_at, new Date(T0).toISOString())
      assert.equal(data.last_response_at, '2025-01-12T10:00:00.000Z')
      assert.equal(data.last_message_content, 'Hey, I saw your post about coaching!')
      assert.equal(data.follow_up_needed, true)
      assert.equal(data.had_outreach, false)
      assert.equal(data.contact_type, 'inbound')
      assert.equal(data.contact_ingestion_type, 'custom-api-import')
      assert.equal(data.created_by_user_id, null)
      assert.equal(data.pipeline_stage, 'In Conversation')
      assert.equal(data.lead_status, 'open')
      assert.equal(data.manychat_id, null)
      assert.equal(data.ig_id, null)
      assert.equal(data.outreach_reason, null)
      assert.deepEqual(
        data.tags.map((t: { name: string; color: string }) => [t.name, t.color]),
        [
          ['coaching', '#374151'],
          ['interested', '#374151'],
        ],
      )

      const history = await messages(data.id)
      assert.deepEqual(
        history.map((m) => [m.content, m.sent_at, m.source]),
        [['Hey, I saw your post about coaching!', '2025-01-12T10:00:00.000Z', 'custom-api-import']],
      )
      assert.deepEqual(
        (await notes(data.id)).map((n) => n.body),
        ['Came from Reel about mindset'],
      )
      assert.deepEqual(
        (await activity(data.id)).map((a) => [a.action, a.new_value, a.via]),
        [
          ['contact_created', 'john_doe', 'api'],
          ['tags_added', 'coaching, interested', 'api'],
          ['note_added', 'Came from Reel about mindset', 'api'],
        ],
      )
    })

    it('creates an outreach contact (201) in the outreach entry stage with its follow-up due', async () => {
      const res = await post(outreach())
      assert.equal(res.status, 201)
      const data = res.body.data
      assert.equal(data.username, 'prospect_user')
      assert.equal(data.contact_type, 'outreach')
      assert.equal(data.had_outreach, true)
      assert.equal(data.outreach_reason, 'Cold outreach — Q1 campaign')
      assert.equal(data.outreach_text, 'Hey! Loved your content, would love to connect.')
      assert.equal(data.outreach_message, 'Hey! Loved your content, would love to connect.')
      assert.equal(data.outreach_reason_label, 'Q1 Campaign')
      assert.equal(data.outreach_message_label, 'Intro Message')
      assert.equal(data.pipeline_stage, 'Outreach Sent')
      assert.equal(data.lead_status, 'open')
      assert.equal(data.last_response_at, null)
      assert.equal(data.last_message_content, null)
      assert.equal(data.follow_up_needed, true)
      assert.equal(data.next_follow_up_at, new Date(T0 + DAY_MS).toISOString())
      assert.deepEqual(
        data.tags.map((t: { name: string }) => t.name),
        ['outreach', 'q1-campaign'],
      )
      assert.equal((await messages(data.id)).length, 0)
    })

    it("accepts the reference's Node.js example body", async () => {
      const body = JSON.stringify({
        organization_id: env.org.id,
        username: 'newlead',
        had_outreach: true,
        outreach_reason: 'Q1 Campaign',
        outreach_text: 'Hey! Loved your content.',
        tags: ['outreach', 'q1'],
      })
      const res = await post(body)
      assert.equal(res.status, 201)
      assert.equal(res.body.data.username, 'newlead')
      assert.equal(res.body.data.outreach_reason_label, null)
    })
  })

  describe('fields', () => {
    const long = (n: number) => 'x'.repeat(n)
    const invalid: [string, () => unknown, string[]][] = [
      ['organization_id missing', () => inbound({ organization_id: undefined }), ['organization_id']],
      ['organization_id not a UUID', () => inbound({ organization_id: 'your-org-id' }), ['organization_id']],
      ['organization_id a number', () => inbound({ organization_id: 42 }), ['organization_id']],
      ['username missing', () => inbound({ username: undefined }), ['username']],
      ['username empty', () => inbound({ username: '' }), ['username']],
      ['username only "@"', () => inbound({ username: ' @ ' }), ['username']],
      ['username of 31 characters', () => inbound({ username: long(31) }), ['username']],
      ['username with a space', () => inbound({ username: 'john doe' }), ['username']],
      ['username with a hyphen', () => inbound({ username: 'john-doe' }), ['username']],
      ['username with an accent', () => inbound({ username: 'jöhn' }), ['username']],
      ['username a number', () => inbound({ username: 12345 }), ['username']],
      ['had_outreach missing', () => inbound({ had_outreach: undefined }), ['had_outreach']],
      ['had_outreach the string "true"', () => outreach({ had_outreach: 'true' }), ['had_outreach']],
      ['had_outreach the string "false"', () => inbound({ had_outreach: 'false' }), ['had_outreach']],
      ['had_outreach 1', () => outreach({ had_outreach: 1 }), ['had_outreach']],
      ['had_outreach null', () => inbound({ had_outreach: null }), ['had_outreach']],
      ['inbound without last_response_at', () => inbound({ last_response_at: undefined }), ['last_response_at']],
      ['inbound without last_message_content', () => inbound({ last_message_content: undefined }), ['last_message_content']],
      ['inbound with blank last_message_content', () => inbound({ last_message_content: '   ' }), ['last_message_content']],
      [
        'inbound without either',
        () => inbound({ last_response_at: undefined, last_message_content: null }),
        ['last_response_at', 'last_message_content'],
      ],
      ['inbound with outreach fields', () => inbound({ outreach_reason: 'x', outreach_text: 'y' }), ['outreach_reason', 'outreach_text']],
      ['outreach without outreach_reason', () => outreach({ outreach_reason: undefined }), ['outreach_reason']],
      ['outreach without outreach_text', () => outreach({ outreach_text: '' }), ['outreach_text']],
      [
        'outreach with inbound fields',
        () => outreach({ last_response_at: '2025-01-12T10:00:00Z', last_message_content: 'hi' }),
        ['last_response_at', 'last_message_content'],
      ],
      [
        'outreach missing its fields and carrying inbound ones',
        () =>
          outreach({
            outreach_reason: undefined,
            outreach_text: undefined,
            last_response_at: '2025-01-12T10:00:00Z',
            last_message_content: 'hi',
          }),
        ['outreach_reason', 'outreach_text', 'last_response_at', 'last_message_content'],
      ],
      ['last_response_at not a date', () => inbound({ last_response_at: 'yesterday' }), ['last_response_at']],
      ['last_response_at an impossible date', () => inbound({ last_response_at: '2025-02-30T10:00:00Z' }), ['last_response_at']],
      ['last_response_at a number', () => inbound({ last_response_at: 1736676000000 }), ['last_response_at']],
      ['last_message_content not a string', () => inbound({ last_message_content: { text: 'hi' } }), ['last_message_content']],
      ['last_message_content too long', () => inbound({ last_message_content: long(10_001) }), ['last_message_content']],
      ['outreach_reason too long', () => outreach({ outreach_reason: long(501) }), ['outreach_reason']],
      ['outreach_text not a string', () => outreach({ outreach_text: 7 }), ['outreach_text']],
      ['outreach_reason_label not a string', () => outreach({ outreach_reason_label: true }), ['outreach_reason_label']],
      ['outreach_message_label too long', () => outreach({ outreach_message_label: long(501) }), ['outreach_message_label']],
      ['email without @', () => inbound({ email: 'not-an-email' }), ['email']],
      ['email empty', () => inbound({ email: '' }), ['email']],
      ['email a number', () => inbound({ email: 5 }), ['email']],
      ['manychat_id empty', () => inbound({ manychat_id: '' }), ['manychat_id']],
      ['manychat_id an object', () => inbound({ manychat_id: { id: 1 } }), ['manychat_id']],
      ['ig_id with letters', () => inbound({ ig_id: '12a' }), ['ig_id']],
      ['ig_id negative', () => inbound({ ig_id: -5 }), ['ig_id']],
      ['ig_id a fraction', () => inbound({ ig_id: 1.5 }), ['ig_id']],
      ['activate_followups the string "true"', () => inbound({ activate_followups: 'true' }), ['activate_followups']],
      ['activate_followups 0', () => inbound({ activate_followups: 0 }), ['activate_followups']],
      ['note of 1001 characters', () => inbound({ note: long(1001) }), ['note']],
      ['note not a string', () => inbound({ note: ['a'] }), ['note']],
      ['tags a string', () => inbound({ tags: 'vip' }), ['tags']],
      ['tags with a number', () => inbound({ tags: ['vip', 3] }), ['tags.1']],
      ['tags with an empty name', () => inbound({ tags: ['  '] }), ['tags.0']],
      ['tags with a 51-character name', () => inbound({ tags: [long(51)] }), ['tags.0']],
      ['tag_color not a string', () => inbound({ tag_color: 5 }), ['tag_color']],
      [
        'many fields wrong at once',
        () =>
          inbound({
            username: 'bad name',
            email: 'nope',
            ig_id: 'x',
            note: long(1001),
            last_message_content: undefined,
            outreach_text: 'y',
          }),
        ['username', 'email', 'ig_id', 'note', 'last_message_content', 'outreach_text'],
      ],
    ]
    for (const [name, body, fields] of invalid) {
      it(`400 naming ${fields.join(', ')}: ${name}`, async () => {
        assertFieldErrors(await post(body()), fields)
        assert.equal((await contacts()).length, 0)
      })
    }

    it('names the mode fields even when other fields are invalid', async () => {
      const res = await post(inbound({ username: '', last_response_at: undefined, outreach_reason: 'x' }))
      assertFieldErrors(res, ['username', 'last_response_at', 'outreach_reason'])
      const byField = Object.fromEntries(res.body.details.map((d: { field: string; message: string }) => [d.field, d.message]))
      assert.match(byField.last_response_at, /required when had_outreach is false/)
      assert.match(byField.outreach_reason, /cannot be set when had_outreach is false/)
    })

    it('says a non-boolean had_outreach must be a JSON boolean', async () => {
      const res = await post(outreach({ had_outreach: 'true' }))
      assert.match(res.body.message, /had_outreach must be a JSON boolean/)
    })

    const valid: [string, () => unknown, (data: any) => void][] = [
      ['normalizes the username', () => inbound({ username: '  @John_Doe.1 ' }), (d) => assert.equal(d.username, 'john_doe.1')],
      ['accepts a 30-character username', () => inbound({ username: 'a'.repeat(30) }), (d) => assert.equal(d.username, 'a'.repeat(30))],
      [
        'accepts an upper-case organization_id',
        () => inbound({ organization_id: env.org.id.toUpperCase() }),
        (d) => assert.equal(d.organization_id, env.org.id),
      ],
      [
        'stores last_response_at as UTC',
        () => inbound({ last_response_at: '2025-01-12T12:00:00+02:00' }),
        (d) => assert.equal(d.last_response_at, '2025-01-12T10:00:00.000Z'),
      ],
      [
        'takes blank outreach fields on an inbound request as not set',
        () => inbound({ outreach_reason: '', outreach_text: null }),
        (d) => assert.equal(d.outreach_reason, null),
      ],
      [
        'ignores outreach labels on an inbound contact',
        () => inbound({ outreach_reason_label: 'Q1' }),
        (d) => assert.equal(d.outreach_reason_label, null),
      ],
      ['keeps a manychat_id string', () => inbound({ manychat_id: 'MC_123456789' }), (d) => assert.equal(d.manychat_id, 'MC_123456789')],
      ['turns a numeric manychat_id into a string', () => inbound({ manychat_id: 123456 }), (d) => assert.equal(d.manychat_id, '123456')],
      ['keeps an ig_id string of digits', () => inbound({ ig_id: '17841400000000001' }), (d) => assert.equal(d.ig_id, '17841400000000001')],
      ['turns a small numeric ig_id into a string', () => inbound({ ig_id: 42 }), (d) => assert.equal(d.ig_id, '42')],
      [
        'treats null optional fields as not given',
        () => inbound({ email: null, manychat_id: null, ig_id: null, tags: null, tag_color: null, activate_followups: null }),
        (d) => assert.equal(d.follow_up_needed, true),
      ],
      [
        'activate_followups false: no follow-up tracking',
        () => inbound({ activate_followups: false }),
        (d) => assert.equal(d.follow_up_needed, false),
      ],
      [
        'activate_followups false on outreach',
        () => outreach({ activate_followups: false }),
        (d) => assert.deepEqual([d.follow_up_needed, d.next_follow_up_at], [false, null]),
      ],
      [
        'colours new tags by name, in any case',
        () => inbound({ tags: ['hot'], tag_color: 'Red' }),
        (d) => assert.equal(d.tags[0].color, '#dc2626'),
      ],
      ['colours new tags by hex', () => inbound({ tags: ['hot'], tag_color: '#FF5733' }), (d) => assert.equal(d.tags[0].color, '#ff5733')],
      [
        'colours new tags gray for an unknown colour',
        () => inbound({ tags: ['hot'], tag_color: 'sparkly' }),
        (d) => assert.equal(d.tags[0].color, '#374151'),
      ],
      [
        'counts the same tag twice once',
        () => inbound({ tags: ['VIP', ' vip '] }),
        (d) =>
          assert.deepEqual(
            d.tags.map((t: { name: string }) => t.name),
            ['VIP'],
          ),
      ],
      ['accepts an empty tag list', () => inbound({ tags: [] }), (d) => assert.deepEqual(d.tags, [])],
      ['accepts a note of 1000 characters', () => inbound({ note: 'n'.repeat(1000) }), (d) => assert.ok(d.id)],
      ['ignores unknown fields', () => inbound({ source: 'sheet', row: 7 }), (d) => assert.equal(d.username, 'john_doe')],
    ]
    for (const [name, body, check] of valid) {
      it(`201: ${name}`, async () => {
        const res = await post(body())
        assert.equal(res.status, 201, JSON.stringify(res.body))
        check(res.body.data)
      })
    }

    it('keeps an ig_id beyond 2^53 exact, digit for digit', async () => {
      const raw = JSON.stringify(inbound()).replace(/}$/, ',"ig_id":17841400000000001234}')
      const res = await post(raw)
      assert.equal(res.status, 201)
      assert.match(res.text, /"ig_id":"17841400000000001234"/)
      assert.equal((await contacts())[0]!.ig_id, '17841400000000001234')
    })

    it('stores no note for a blank one', async () => {
      const res = await post(inbound({ note: '  ' }))
      assert.equal(res.status, 201)
      assert.equal((await notes(res.body.data.id)).length, 0)
    })

    it('an existing tag keeps its colour and first spelling', async () => {
      await post(inbound({ tags: ['VIP'], tag_color: 'blue' }))
      const res = await post(outreach({ tags: ['vip', 'new'], tag_color: 'red' }))
      assert.deepEqual(
        res.body.data.tags.map((t: { name: string; color: string }) => [t.name, t.color]),
        [
          ['new', '#dc2626'],
          ['VIP', '#2563eb'],
        ],
      )
    })

    it('refuses a manychat_id that another contact holds, naming it', async () => {
      await post(inbound({ manychat_id: 'MC_1' }))
      const res = await post(outreach({ manychat_id: 'MC_1' }))
      assertFieldErrors(res, ['manychat_id'])
      assert.match(res.body.message, /@john_doe/)
      assert.equal((await contacts()).length, 1)
    })
  })

  describe('email', () => {
    it('resolves created_by_user_id from a member, case-insensitively, and logs the user', async () => {
      const user = await addMember('Alice@Example.com')
      const res = await post(inbound({ email: 'ALICE@example.COM' }))
      assert.equal(res.status, 201)
      assert.equal(res.body.data.created_by_user_id, user.id)
      assert.ok((await activity(res.body.data.id)).every((a) => a.user_id === user.id))
      assert.equal((await notes(res.body.data.id))[0]!.created_by_user_id, user.id)
    })

    it('404 for an email no user has', async () => {
      const res = await post(inbound({ email: 'nobody@example.com' }))
      assert.equal(res.status, 404)
      assert.ok(isErrorShape(res.body))
      assert.match(res.body.message, /nobody@example\.com/)
      assert.equal((await contacts()).length, 0)
    })

    it('403 for a user who is not a member of the organization', async () => {
      const other = await env.createOrg('Other')
      await addMember('bob@example.com', other.id)
      const res = await post(outreach({ email: 'bob@example.com' }))
      assert.equal(res.status, 403)
      assert.ok(isErrorShape(res.body))
      assert.equal((await contacts()).length, 0)
    })
  })

  describe('when the contact exists', () => {
    it('same type (inbound): 200, returned as-is, only ig_id updated', async () => {
      const first = (await post(inbound({ ig_id: '111' }))).body.data
      env.advance(60_000)
      const res = await post(
        inbound({
          ig_id: '222',
          last_message_content: 'Another message',
          last_response_at: '2025-02-01T00:00:00Z',
          tags: ['other'],
          note: 'ignored',
        }),
      )
      assert.equal(res.status, 200)
      assert.equal(res.body.status, 'success')
      assert.equal(res.body.message, 'Contact already exists')
      const data = res.body.data
      assert.equal(data.id, first.id)
      assert.equal(data.ig_id, '222')
      assert.equal(data.last_message_content, first.last_message_content)
      assert.equal(data.last_response_at, first.last_response_at)
      assert.deepEqual(data.tags, first.tags)
      assert.equal((await messages(first.id)).length, 1)
      assert.equal((await notes(first.id)).length, 1)
      const log = await activity(first.id)
      assert.deepEqual(log.at(-1), { action: 'ig_id_changed', old_value: '111', new_value: '222', via: 'api', user_id: null })
    })

    it('same type (outreach): 200, outreach unchanged, nothing logged without an ig_id change', async () => {
      const first = (await post(outreach())).body.data
      const logged = (await activity(first.id)).length
      const res = await post(outreach({ outreach_reason: 'Different', outreach_text: 'Different', ig_id: null }))
      assert.equal(res.status, 200)
      assert.equal(res.body.data.id, first.id)
      assert.equal(res.body.data.outreach_reason, 'Cold outreach — Q1 campaign')
      assert.equal((await activity(first.id)).length, logged)
    })

    it('inbound + outreach request: converted, history and last reply preserved, tags and note applied', async () => {
      const first = (await post(inbound({ username: 'prospect_user', tags: ['interested'] }))).body.data
      env.advance(60_000)
      const res = await post(outreach({ note: 'Pitched the Q1 offer' }))
      assert.equal(res.status, 200)
      assert.equal(res.body.message, 'Contact converted to outreach')
      const data = res.body.data
      assert.equal(data.id, first.id)
      assert.equal(data.contact_type, 'outreach')
      assert.equal(data.had_outreach, true)
      assert.equal(data.outreach_reason, 'Cold outreach — Q1 campaign')
      assert.equal(data.outreach_message, 'Hey! Loved your content, would love to connect.')
      assert.equal(data.outreach_reason_label, 'Q1 Campaign')
      assert.equal(data.last_response_at, first.last_response_at)
      assert.equal(data.last_message_content, first.last_message_content)
      assert.equal(data.follow_up_needed, first.follow_up_needed)
      assert.equal(data.pipeline_stage, first.pipeline_stage)
      assert.equal(data.contact_ingestion_type, 'custom-api-import')
      assert.deepEqual(
        data.tags.map((t: { name: string }) => t.name),
        ['interested', 'outreach', 'q1-campaign'],
      )
      assert.equal((await messages(first.id)).length, 1)
      assert.deepEqual(
        (await notes(first.id)).map((n) => n.body),
        ['Came from Reel about mindset', 'Pitched the Q1 offer'],
      )
      const log = (await activity(first.id)).slice(-3).map((a) => [a.action, a.old_value, a.new_value])
      assert.deepEqual(log, [
        ['converted_to_outreach', 'inbound', 'outreach'],
        ['tags_added', null, 'outreach, q1-campaign'],
        ['note_added', null, 'Pitched the Q1 offer'],
      ])
    })

    it('outreach + inbound request: the reply is recorded and the contact stays outreach', async () => {
      const first = (await post(outreach())).body.data
      env.advance(3 * DAY_MS)
      const res = await post(
        inbound({
          username: 'prospect_user',
          last_response_at: '2026-01-18T09:00:00Z',
          last_message_content: 'Sounds great, tell me more',
          tags: ['replied'],
          note: undefined,
        }),
      )
      assert.equal(res.status, 200)
      assert.equal(res.body.message, 'Reply recorded')
      const data = res.body.data
      assert.equal(data.id, first.id)
      assert.equal(data.contact_type, 'outreach')
      assert.equal(data.outreach_reason, first.outreach_reason)
      assert.equal(data.last_response_at, '2026-01-18T09:00:00.000Z')
      assert.equal(data.last_message_content, 'Sounds great, tell me more')
      assert.equal(data.follow_up_needed, true)
      assert.equal(data.follow_up_count, 0)
      assert.equal(data.next_follow_up_at, new Date(env.now()).toISOString())
      assert.ok(data.tags.some((t: { name: string }) => t.name === 'replied'))
      assert.deepEqual(
        (await messages(first.id)).map((m) => [m.content, m.source]),
        [['Sounds great, tell me more', 'custom-api-import']],
      )
      assert.ok((await activity(first.id)).some((a) => a.action === 'reply_recorded' && a.new_value === '2026-01-18T09:00:00.000Z'))
    })

    it('an archived contact is not existing: a new contact (201), the old one keeps its history', async () => {
      const old = (await post(inbound())).body.data
      await env.store.db
        .updateTable('contacts')
        .set({ archived_at: new Date(env.now()).toISOString() })
        .where('id', '=', old.id)
        .execute()
      env.advance(1000)
      const res = await post(outreach({ username: 'john_doe' }))
      assert.equal(res.status, 201)
      assert.notEqual(res.body.data.id, old.id)
      assert.equal(res.body.data.contact_type, 'outreach')
      assert.equal(res.body.data.last_message_content, null)
      const rows = await contacts()
      assert.equal(rows.length, 2)
      assert.notEqual(rows.find((c) => c.id === old.id)!.archived_at, null)
      assert.equal((await messages(old.id)).length, 1)
    })

    it('cancelled organization: 200 success and nothing written, before any email lookup', async () => {
      await env.store.db.updateTable('organizations').set({ subscription_status: 'cancelled' }).where('id', '=', env.org.id).execute()
      const res = await post(inbound({ email: 'nobody@example.com' }))
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { status: 'success', message: CANCELLED_MESSAGE })
      assert.equal((await contacts()).length, 0)
      assert.equal((await env.store.db.selectFrom('tags').select('id').execute()).length, 0)
      assert.equal((await env.store.db.selectFrom('activity_log').select('id').execute()).length, 0)
    })

    it('twenty concurrent requests for one new username make exactly one contact', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => post(outreach({ username: 'racer' }))))
      const statuses = results.map((r) => r.status).sort()
      assert.deepEqual(statuses, [...Array(19).fill(200), 201].sort())
      assert.equal(new Set(results.map((r) => r.body.data.id)).size, 1)
      assert.equal((await contacts()).length, 1)
    })
  })

  describe('errors', () => {
    it('401 without a token, with a wrong token, and for another organization', async () => {
      const other = await env.createOrg('Other')
      for (const [options, body] of [
        [{ token: null }, inbound()],
        [{ token: 'dmt_wrong' }, inbound()],
        [{}, inbound({ organization_id: other.id })],
        [{ token: other.token }, inbound()],
      ] as const) {
        const res = await post(body, options)
        assert.equal(res.status, 401)
        assert.ok(isErrorShape(res.body))
      }
      assert.equal((await contacts()).length, 0)
    })

    it('405 with Allow for another method', async () => {
      const res = await env.call('GET', PATH)
      assert.equal(res.status, 405)
      assert.equal(res.headers.get('allow'), 'POST')
      assert.ok(isErrorShape(res.body))
    })

    it('400 for malformed JSON and for a body that is not an object', async () => {
      for (const body of ['{"username": ', '[1,2]', '"text"', '']) {
        const res = await post(body)
        assert.equal(res.status, 400, body)
        assert.ok(isErrorShape(res.body))
      }
    })

    itSqlite('503 with Retry-After while the database is locked, nothing written', async () => {
      const release = holdWriteLock(env)
      try {
        const res = await post(inbound())
        assert.equal(res.status, 503)
        assert.ok(isErrorShape(res.body))
        assert.ok(Number(res.headers.get('retry-after')) >= 1)
      } finally {
        await release()
      }
      assert.equal((await contacts()).length, 0)
    })
  })

  describe('rate limit', () => {
    it('the 61st request in a minute is a 429 with Retry-After and the RateLimit headers', async () => {
      for (let i = 0; i < 60; i++) {
        const res = await post(outreach({ username: `lead_${i}` }))
        assert.equal(res.status, 201)
        assert.equal(res.headers.get('ratelimit-policy'), '"org";q=60;w=60')
        assert.equal(res.headers.get('ratelimit'), `"org";r=${59 - i};t=1`)
      }
      const res = await post(outreach({ username: 'lead_60' }))
      assert.equal(res.status, 429)
      assert.ok(isErrorShape(res.body))
      assert.equal(res.body.error, 'Rate Limit Exceeded')
      assert.equal(res.headers.get('retry-after'), '1')
      assert.equal(res.headers.get('ratelimit-policy'), '"org";q=60;w=60')
      assert.equal(res.headers.get('ratelimit'), '"org";r=0;t=1')
      assert.equal((await contacts()).length, 60)
    })

    it('another organization is unaffected, and tokens come back with time', async () => {
      const other = await env.createOrg('Other')
      for (let i = 0; i < 60; i++) await post('{}')
      assert.equal((await post(outreach())).status, 429)

      const theirs = await post(outreach({ organization_id: other.id }), { token: other.token })
      assert.equal(theirs.status, 201)
      assert.equal(theirs.headers.get('ratelimit'), '"org";r=59;t=1')

      env.advance(1000)
      assert.equal((await post(outreach())).status, 201)
      assert.equal((await post(outreach({ username: 'x2' }))).status, 429)
      env.advance(5000)
      const statuses = []
      for (let i = 0; i < 6; i++) statuses.push((await post(outreach({ username: `later_${i}` }))).status)
      assert.deepEqual(statuses, [201, 201, 201, 201, 201, 429])
    })

    it('counts after authentication: 400s use tokens and carry the headers, 401s do neither', async () => {
      const bad = await post({ organization_id: env.org.id })
      assert.equal(bad.status, 400)
      assert.equal(bad.headers.get('ratelimit'), '"org";r=59;t=1')
      const unauthorized = await post(outreach(), { token: 'dmt_wrong' })
      assert.equal(unauthorized.status, 401)
      assert.equal(unauthorized.headers.get('ratelimit'), null)
      assert.equal((await post(outreach())).headers.get('ratelimit'), '"org";r=58;t=1')
    })

    it('a limit of 0 lifts it, without headers', async () => {
      await env.close()
      env = await setup({ rateLimitPerMinute: 0 })
      for (let i = 0; i < 70; i++) {
        const res = await post('{}')
        assert.equal(res.status, 400)
        assert.equal(res.headers.get('ratelimit'), null)
      }
    })

    it('honours a configured limit and burst', async () => {
      await env.close()
      env = await setup({ rateLimitPerMinute: 6, rateLimitBurst: 2 })
      assert.equal((await post('{}')).headers.get('ratelimit-policy'), '"org";q=6;w=60')
      assert.equal((await post('{}')).status, 400)
      const refused = await post('{}')
      assert.equal(refused.status, 429)
      assert.equal(refused.headers.get('retry-after'), '10')
    })
  })
})
