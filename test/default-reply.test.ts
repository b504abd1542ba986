import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { NewContactInput } from '../src/contacts/lifecycle.ts'
import { updateContact } from '../src/contacts/repo.ts'
import type { ContactUpdate } from '../src/db/schema.ts'
import { CANCELLED_MESSAGE } from '../src/organizations/access.ts'
import { setSubscriptionStatus } from '../src/organizations/service.ts'
import { addContact, failInserts, holdWriteLock, isErrorShape, itSqlite, setup, T0, type TestEnv } from './helpers.ts'

const PATH = '/api/v1/contact/default-reply'
const BIG_IG_ID = '17841400000000000123' // > 2^53: a plain JSON.parse would round it
const RUNTIME = process.versions.bun ? 'bun' : 'node'
/** The fields of the reference's success response. */
const REFERENCE_FIELDS = [
  'manychat_id',
  'username',
  'organization_id',
  'created_at',
  'last_response_at',
  'last_message_content',
  'contact_type',
  'outreach_reason',
  'outreach_message',
]

describe('POST /api/v1/contact/default-reply', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  const at = (ms = env.now()) => new Date(ms).toISOString()

  /** A ManyChat body with the reference's variables filled in; a field set to undefined is left out. */
  const body = (fields: Record<string, unknown> = {}) => ({
    manychat_id: '123456',
    username: 'john_doe',
    organization_id: env.org.id,
    message_content: 'Sure, send me more details about pricing.',
    ...fields,
  })

  const reply = (fields: Record<string, unknown> = {}, options?: { token?: string | null; headers?: Record<string, string> }) =>
    env.call('POST', PATH, body(fields), options)

  /** A contact made directly (as create-contact or an import would), then changed by `patch`. */
  async function seed(input: Partial<NewContactInput> & { username: string }, patch: ContactUpdate = {}) {
    const contact = await addContact(env, input)
    return Object.keys(patch).length ? env.store.write((trx) => updateContact(trx, contact.id, patch, at())) : contact
  }

  const contacts = () =>
    env.store.db
      .selectFrom('contacts')
      .selectAll()
      .where('organization_id', '=', env.org.id)
      .orderBy('created_at')
      .orderBy('username')
      .execute()
  const history = (contactId: string) =>
    env.store.db
      .selectFrom('messages')
      .select(['content', 'sent_at', 'source', 'direction'])
      .where('contact_id', '=', contactId)
      .orderBy('id')
      .execute()
  const activity = () =>
    env.store.db.selectFrom('activity_log').select(['contact_id', 'action', 'old_value', 'new_value', 'via']).orderBy('id').execute()
  const organization = (id = env.org.id) =>
    env.store.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

  /** Every row a request could touch (tokens aside: their last-use time is kept apart). */
  async function snapshot() {
    const tables = ['organizations', 'contacts', 'messages', 'activity_log', 'tags', 'contact_tags', 'notes', 'pipeline_stages'] as const
    return Promise.all(tables.map((t) => env.store.db.selectFrom(t).selectAll().execute()))
  }

  describe('the reference', () => {
    it("answers the reference's request body with every field of the reference's response", async () => {
      await seed({ username: 'john_doe', type: 'outreach', outreach: { reason: 'New Follower', text: 'Hey, thanks for following!' } })
      env.advance(30 * 60_000)
      // The reference's body with its ManyChat variables filled in.
      const res = await env.call('POST', PATH, {
        manychat_id: '123456',
        username: 'john_doe',
        organization_id: env.org.id,
        message_content: 'Sure, send me more details about pricing.',
        page_name: 'acme_page',
      })
      assert.equal(res.status, 200)
      assert.equal(res.body.status, 'success')
      assert.equal(res.body.message, 'Contact processed successfully')
      const data = res.body.data
      assert.deepEqual(Object.fromEntries(REFERENCE_FIELDS.map((field) => [field, data[field]])), {
        manychat_id: '123456',
        username: 'john_doe',
        organization_id: env.org.id,
        created_at: at(env.now() - 30 * 60_000),
        last_response_at: at(),
        last_message_content: 'Sure, send me more details about pricing.',
        contact_type: 'outreach',
        outreach_reason: 'New Follower',
        outreach_message: 'Hey, thanks for following!',
      })
      const [contact] = await contacts()
      assert.equal(data.id, contact!.id)
      assert.equal(data.ig_id, null)
      assert.deepEqual(data.tags, [])
      assert.equal(data.follow_up_needed, true)
      assert.equal(data.lead_status, 'open')
      assert.equal(data.pipeline_stage, 'Outreach Sent')
    })
  })

  describe('new subscriber', () => {
    it('creates an inbound contact in the entry stage with the reply in its history', async () => {
      const res = await reply({ ig_id: '555' })
      assert.equal(res.status, 200)
      assert.equal(res.body.message, 'Contact processed successfully')
      const data = res.body.data
      assert.equal(data.contact_type, 'inbound')
      assert.equal(data.lead_status, 'open')
      assert.equal(data.pipeline_stage, 'In Conversation')
      assert.equal(data.follow_up_needed, true)
      assert.equal(data.ig_id, '555')
      assert.equal(data.last_response_at, at())
      const [contact, ...others] = await contacts()
      assert.equal(others.length, 0)
      assert.equal(contact!.contact_ingestion_type, 'manychat')
      assert.equal(contact!.manychat_id, '123456')
      assert.equal(contact!.next_follow_up_at, at())
      assert.deepEqual(await history(contact!.id), [
        { content: 'Sure, send me more details about pricing.', sent_at: at(), source: 'manychat', direction: 'inbound' },
      ])
      assert.deepEqual(await activity(), [
        { contact_id: contact!.id, action: 'contact_created', old_value: null, new_value: 'john_doe', via: 'api' },
      ])
    })

    it('creates one contact with both messages when the same subscriber replies twice at once', async () => {
      const [first, second] = await Promise.all([reply({ message_content: 'one' }), reply({ message_content: 'two' })])
      assert.equal(first.status, 200)
      assert.equal(second.status, 200)
      assert.equal(first.body.data.id, second.body.data.id)
      const all = await contacts()
      assert.equal(all.length, 1)
      assert.deepEqual((await history(all[0]!.id)).map((m) => m.content).sort(), ['one', 'two'])
    })

    it('does not match an archived contact', async () => {
      const archived = await seed({ username: 'john_doe', manychatId: '123456' }, { archived_at: at() })
      const res = await reply()
      assert.equal(res.status, 200)
      assert.notEqual(res.body.data.id, archived.id)
      assert.deepEqual(await history(archived.id), [])
    })
  })

  describe('existing contact', () => {
    it('records the reply, updates the last message and resets follow-up tracking', async () => {
      const contact = await seed(
        { username: 'john_doe', manychatId: '123456', reply: { content: 'first', sentAt: at(), source: 'manychat' } },
        { follow_up_needed: 0, follow_up_count: 2, last_follow_up_at: at(), next_follow_up_at: null },
      )
      env.advance(3_600_000)
      const res = await reply({ message_content: 'second' })
      assert.equal(res.status, 200)
      assert.equal(res.body.data.id, contact.id)
      assert.equal(res.body.data.last_message_content, 'second')
      assert.equal(res.body.data.last_response_at, at())
      assert.equal(res.body.data.follow_up_needed, true)
      const [stored] = await contacts()
      assert.deepEqual([stored!.follow_up_count, stored!.last_follow_up_at, stored!.next_follow_up_at], [0, null, at()])
      assert.deepEqual(
        (await history(contact.id)).map((m) => m.content),
        ['first', 'second'],
      )
      assert.deepEqual(await activity(), [], 'a reply is kept in the history, not the activity log')
    })

    it('keeps an older message in the history without moving last_response_at back', async () => {
      const contact = await seed({
        username: 'john_doe',
        manychatId: '123456',
        reply: { content: 'newest', sentAt: at(), source: 'manychat' },
      })
      const res = await reply({ message_content: 'late delivery', message_date: '2025-01-12T10:30:00Z' })
      assert.equal(res.status, 200)
      assert.equal(res.body.data.last_message_content, 'newest')
      assert.equal(res.body.data.last_response_at, at())
      assert.deepEqual(
        (await history(contact.id)).map((m) => [m.content, m.sent_at]),
        [
          ['newest', at()],
          ['late delivery', '2025-01-12T10:30:00.000Z'],
        ],
      )
    })

    it('matches by username when the manychat_id is new, filling in manychat_id and ig_id', async () => {
      const contact = await seed({ username: 'john_doe' })
      const res = await reply({ manychat_id: 777, ig_id: 888 })
      assert.equal(res.status, 200)
      assert.equal(res.body.data.id, contact.id)
      assert.equal(res.body.data.manychat_id, '777')
      assert.equal(res.body.data.ig_id, '888')
      assert.deepEqual(
        (await activity()).map((a) => [a.action, a.old_value, a.new_value]),
        [
          ['manychat_id_changed', null, '777'],
          ['ig_id_changed', null, '888'],
        ],
      )
    })

    it('keeps a stored manychat_id and ig_id: they are only filled in when missing', async () => {
      const contact = await seed({ username: 'john_doe', manychatId: '999', igId: '111' })
      const res = await reply({ manychat_id: '123456', ig_id: '222' })
      assert.equal(res.status, 200)
      assert.equal(res.body.data.id, contact.id)
      assert.equal(res.body.data.manychat_id, '999')
      assert.equal(res.body.data.ig_id, '111')
    })

    it('follows a username change when the new name is free', async () => {
      const contact = await seed({ username: 'old_name', manychatId: '123456' })
      const res = await reply({ username: '@New_Name' })
      assert.equal(res.status, 200)
      assert.equal(res.body.data.id, contact.id)
      assert.equal(res.body.data.username, 'new_name')
      assert.deepEqual(await activity(), [
        { contact_id: contact.id, action: 'username_changed', old_value: 'old_name', new_value: 'new_name', via: 'api' },
      ])
    })

    it('keeps the old username when the new one belongs to another contact', async () => {
      const subscriber = await seed({ username: 'old_name', manychatId: '123456' })
      const other = await seed({ username: 'taken' })
      const res = await reply({ username: 'taken', message_content: 'hi' })
      assert.equal(res.status, 200)
      assert.equal(res.body.data.id, subscriber.id)
      assert.equal(res.body.data.username, 'old_name')
      assert.deepEqual(await history(other.id), [])
      assert.deepEqual(
        (await history(subscriber.id)).map((m) => m.content),
        ['hi'],
      )
    })

    it('stays outreach, and leaves follow-up tracking alone when follow-ups are off', async () => {
      const contact = await seed({ username: 'john_doe', type: 'outreach', outreach: { reason: 'r', text: 't' }, followupsActive: false })
      const res = await reply()
      assert.equal(res.status, 200)
      assert.equal(res.body.data.id, contact.id)
      assert.equal(res.body.data.contact_type, 'outreach')
      assert.equal(res.body.data.follow_up_needed, false)
      assert.equal(res.body.data.last_message_content, 'Sure, send me more details about pricing.')
    })
  })

  describe('skipped outreach', () => {
    const unfilled: [string, unknown][] = [
      ['null', null],
      ['missing', undefined],
      ['empty', ''],
      ['whitespace', ' \n\t '],
      ['the unfilled placeholder', '{{last_input_text}}'],
      ["the reference's ##{{last_input_text}}", '##{{last_input_text}}'],
      ['the placeholder with spacing and capitals', ' ## {{ Last_Input_Text }} '],
      ['another unfilled variable', '{{custom_reply}}'],
    ]
    for (const [name, content] of unfilled) {
      it(`writes nothing and answers 200 for message_content ${name}`, async () => {
        const before = await snapshot()
        const res = await reply({ message_content: content, page_name: 'a_new_page', ig_id: 42 })
        assert.equal(res.status, 200)
        assert.equal(res.body.status, 'success')
        assert.match(res.body.message, /skipped/)
        assert.deepEqual(res.body.data, {
          id: null,
          manychat_id: '123456',
          username: 'john_doe',
          organization_id: env.org.id,
          ig_id: '42',
          created_at: null,
          last_response_at: null,
          last_message_content: null,
          contact_type: 'outreach',
          outreach_reason: null,
          outreach_message: null,
          tags: [],
          follow_up_needed: false,
          lead_status: null,
          pipeline_stage: null,
        })
        assert.deepEqual(await snapshot(), before)
      })
    }

    it("returns the existing contact's current data and writes nothing", async () => {
      const contact = await seed({ username: 'john_doe', type: 'outreach', outreach: { reason: 'New Follower', text: 'Hey!' } })
      const before = await snapshot()
      const res = await reply({ message_content: '##{{last_input_text}}' })
      assert.equal(res.status, 200)
      assert.match(res.body.message, /skipped/)
      assert.equal(res.body.data.id, contact.id)
      assert.equal(res.body.data.contact_type, 'outreach')
      assert.equal(res.body.data.outreach_reason, 'New Follower')
      assert.equal(res.body.data.outreach_message, 'Hey!')
      assert.deepEqual(await snapshot(), before)
    })

    it('records text that merely mentions the placeholder', async () => {
      const res = await reply({ message_content: 'what is {{last_input_text}}?' })
      assert.equal(res.body.message, 'Contact processed successfully')
      assert.equal(res.body.data.last_message_content, 'what is {{last_input_text}}?')
    })
  })

  describe('organization', () => {
    it('resolves the organization from page_name alone', async () => {
      const res = await reply({ organization_id: undefined, page_name: 'acme_page' })
      assert.equal(res.status, 200)
      assert.equal(res.body.data.organization_id, env.org.id)
    })

    it('treats a blank organization_id as missing', async () => {
      const res = await reply({ organization_id: '', page_name: 'acme_page' })
      assert.equal(res.status, 200)
      assert.equal(res.body.data.organization_id, env.org.id)
    })

    it('stores a changed page_name on the organization and logs it', async () => {
      const res = await reply({ page_name: '  Acme Renamed ' })
      assert.equal(res.status, 200)
      assert.equal((await organization()).page_name, 'Acme Renamed')
      assert.deepEqual(
        (await activity()).filter((a) => a.action === 'page_name_changed'),
        [{ contact_id: null, action: 'page_name_changed', old_value: 'acme_page', new_value: 'Acme Renamed', via: 'api' }],
      )
      const again = await reply({ organization_id: undefined, page_name: 'Acme Renamed' })
      assert.equal(again.status, 200)
    })

    it("answers 400 naming page_name when it is another organization's, writing nothing", async () => {
      await env.createOrg('Other', 'other_page')
      const before = await snapshot()
      const res = await reply({ page_name: 'other_page' })
      assert.equal(res.status, 400)
      assert.ok(isErrorShape(res.body))
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['page_name'],
      )
      assert.deepEqual(await snapshot(), before)
    })

    it('answers 200 and writes nothing for a cancelled organization', async () => {
      await env.store.write((trx) => setSubscriptionStatus(trx, env.org.id, 'cancelled'))
      const before = await snapshot()
      const res = await reply({ page_name: 'a_new_page' })
      assert.equal(res.status, 200)
      assert.equal(res.body.status, 'success')
      assert.equal(res.body.message, CANCELLED_MESSAGE)
      assert.equal(res.body.data.username, 'john_doe')
      assert.deepEqual(await snapshot(), before)
    })

    const unauthorized: [string, (other: { id: string }) => Record<string, unknown>][] = [
      ["another organization's organization_id", (other) => ({ organization_id: other.id })],
      ['an organization_id that does not exist', () => ({ organization_id: '00000000-0000-4000-8000-000000000000' })],
      ["another organization's page_name alone", () => ({ organization_id: undefined, page_name: 'other_page' })],
      ['a page_name no organization has', () => ({ organization_id: undefined, page_name: 'nobody_page' })],
    ]
    for (const [name, fields] of unauthorized) {
      it(`answers 401 for ${name}, revealing nothing and writing nothing`, async () => {
        const other = await env.createOrg('Other', 'other_page')
        const before = await snapshot()
        const res = await reply(fields(other))
        assert.equal(res.status, 401)
        assert.ok(isErrorShape(res.body))
        // The other organization's id appears only if the request itself sent it.
        if (!JSON.stringify(fields(other)).includes(other.id)) assert.ok(!res.text.includes(other.id))
        assert.deepEqual(await snapshot(), before)
      })
    }
  })

  describe('fields', () => {
    // Accepted values and what the contact ends up with.
    const accepted: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['manychat_id as a number', { manychat_id: 123456 }, { manychat_id: '123456' }],
      ['manychat_id with spaces', { manychat_id: ' 42 ' }, { manychat_id: '42' }],
      ['username with @, spaces and capitals', { username: '  @John_Doe ' }, { username: 'john_doe' }],
      ['username of 30 characters', { username: 'a'.repeat(30) }, { username: 'a'.repeat(30) }],
      ["username outside Instagram's alphabet", { username: 'José Ñ' }, { username: 'josé ñ' }],
      ['message_content of 10,000 characters', { message_content: 'x'.repeat(10_000) }, { last_message_content: 'x'.repeat(10_000) }],
      ['message_date in UTC', { message_date: '2099-01-12T10:30:00Z' }, { last_response_at: '2099-01-12T10:30:00.000Z' }],
      ['message_date with an offset', { message_date: '2099-01-12T12:30:00+02:00' }, { last_response_at: '2099-01-12T10:30:00.000Z' }],
      ['message_date left blank (now)', { message_date: '' }, { last_response_at: new Date(T0).toISOString() }],
      ['ig_id as a number', { ig_id: 12345 }, { ig_id: '12345' }],
      ['ig_id as a digit string', { ig_id: BIG_IG_ID }, { ig_id: BIG_IG_ID }],
      ['ig_id from manychat_data', { manychat_data: { ig_id: 777, first_name: 'John' } }, { ig_id: '777' }],
      ['top-level ig_id over manychat_data', { ig_id: '1', manychat_data: { ig_id: '2' } }, { ig_id: '1' }],
      ['unknown extra fields', { first_name: 'John', custom_fields: { a: 1 }, tags: 'x' }, { username: 'john_doe' }],
    ]
    for (const [name, fields, expected] of accepted) {
      it(`accepts ${name}`, async () => {
        const res = await reply(fields)
        assert.equal(res.status, 200, res.text)
        for (const [key, value] of Object.entries(expected)) assert.equal(res.body.data[key], value, key)
        assert.equal(res.body.data.organization_id, env.org.id)
      })
    }

    it('accepts an organization_id in capitals', async () => {
      const res = await reply({ organization_id: env.org.id.toUpperCase() })
      assert.equal(res.status, 200)
      assert.equal(res.body.data.organization_id, env.org.id)
    })

    // Rejected values: 400 naming exactly the offending field.
    const rejected: [string, Record<string, unknown>, string][] = [
      ['manychat_id missing', { manychat_id: undefined }, 'manychat_id'],
      ['manychat_id empty', { manychat_id: '' }, 'manychat_id'],
      ['manychat_id a fraction', { manychat_id: 1.5 }, 'manychat_id'],
      ['manychat_id negative', { manychat_id: -1 }, 'manychat_id'],
      ['manychat_id a boolean', { manychat_id: true }, 'manychat_id'],
      ['manychat_id an unfilled variable', { manychat_id: '##{{subscriber_id}}' }, 'manychat_id'],
      ['username missing', { username: undefined }, 'username'],
      ['username empty after normalization', { username: ' @ ' }, 'username'],
      ['username of 31 characters', { username: 'a'.repeat(31) }, 'username'],
      ['username a number', { username: 42 }, 'username'],
      ['username an unfilled variable', { username: '{{instagram_username}}' }, 'username'],
      ['organization_id and page_name both missing', { organization_id: undefined }, 'organization_id'],
      ['organization_id not a UUID', { organization_id: 'your-org-id' }, 'organization_id'],
      ['organization_id a number', { organization_id: 42 }, 'organization_id'],
      ['message_content a number', { message_content: 42 }, 'message_content'],
      ['message_content an object', { message_content: { text: 'hi' } }, 'message_content'],
      ['message_content over 10,000 characters', { message_content: 'x'.repeat(10_001) }, 'message_content'],
      ['message_date not a date', { message_date: 'yesterday' }, 'message_date'],
      ['message_date a day that does not exist', { message_date: '2025-02-30T10:00:00Z' }, 'message_date'],
      ['message_date a number', { message_date: 1736676000000 }, 'message_date'],
      ['page_name a number', { page_name: 42 }, 'page_name'],
      ['page_name over 500 characters', { page_name: 'p'.repeat(501) }, 'page_name'],
      ['ig_id with letters', { ig_id: '12a' }, 'ig_id'],
      ['ig_id negative', { ig_id: -5 }, 'ig_id'],
      ['ig_id a fraction', { ig_id: 1.5 }, 'ig_id'],
      ['ig_id a boolean', { ig_id: true }, 'ig_id'],
      ['manychat_data not an object', { manychat_data: 'ig' }, 'manychat_data'],
      ['manychat_data.ig_id with letters', { manychat_data: { ig_id: 'abc' } }, 'manychat_data.ig_id'],
    ]
    for (const [name, fields, field] of rejected) {
      it(`answers 400 naming ${field} for ${name}`, async () => {
        const res = await reply(fields)
        assert.equal(res.status, 400, res.text)
        assert.ok(isErrorShape(res.body))
        assert.deepEqual(
          res.body.details.map((d: { field: string }) => d.field),
          [field],
        )
        assert.match(res.body.message, new RegExp(`^${field.replace('.', '\\.')} `))
        assert.deepEqual(await contacts(), [])
      })
    }

    it('names every missing required field at once', async () => {
      const res = await env.call('POST', PATH, { message_content: 'hi' })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.details.map((d: { field: string }) => d.field).sort(), ['manychat_id', 'organization_id', 'username'])
    })
  })

  describe('ManyChat-shaped bodies', () => {
    it(`keeps an ig_id beyond 2^53 sent as a bare JSON number digit for digit (${RUNTIME})`, async () => {
      const raw = `{"manychat_id": 98765432109876543210, "username": "big", "organization_id": "${env.org.id}", "message_content": "hi", "ig_id": ${BIG_IG_ID}}`
      const res = await env.call('POST', PATH, raw)
      assert.equal(res.status, 200, res.text)
      assert.match(res.text, new RegExp(`"ig_id":"${BIG_IG_ID}"`))
      assert.equal(res.body.data.ig_id, BIG_IG_ID)
      assert.equal(res.body.data.manychat_id, '98765432109876543210')
      const [stored] = await contacts()
      assert.equal(stored!.ig_id, BIG_IG_ID)
    })

    it(`keeps a big manychat_data.ig_id exact too (${RUNTIME})`, async () => {
      const raw = `{"manychat_id": 1, "username": "big", "organization_id": "${env.org.id}", "message_content": "hi", "manychat_data": {"ig_id": ${BIG_IG_ID}, "id": 1}}`
      const res = await env.call('POST', PATH, raw)
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.data.ig_id, BIG_IG_ID)
    })

    it('reads JSON whatever the Content-Type says', async () => {
      const res = await env.call('POST', PATH, JSON.stringify(body()), { headers: { 'content-type': 'text/plain' } })
      assert.equal(res.status, 200)
    })

    it('treats optional variables ManyChat left empty or unfilled as not given', async () => {
      const res = await reply({ ig_id: '##{{ig_id}}', message_date: ' ', manychat_data: null, page_name: '{{page_name}}' })
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.data.ig_id, null)
      assert.equal((await organization()).page_name, 'acme_page')
    })
  })

  describe('replies with quotes, backslashes, line breaks and emoji (docs/manychat.md)', () => {
    const TRICKY = 'He said "hi" \\o/ C:\\new\nsecond line\r\n\ttabbed 😀👍🏽 ﷽'
    // ManyChat's Full Contact Data as ManyChat serializes it: its own JSON, so the text is escaped.
    const fullContactData = (lastInput: unknown) =>
      `{"id": 13245647000000001, "key": "user:13245647000000001", "page_id": 234564657000000000, "status": "active", ` +
      `"first_name": "John", "ig_username": "john_doe", "ig_id": ${BIG_IG_ID}, "last_input_text": ${JSON.stringify(lastInput)}, ` +
      `"custom_fields": {"score": 0.75, "vip": true}}`
    /** The body of the guide's template once ManyChat has filled it in. */
    const guideBody = (lastInput: unknown, extra = '') =>
      `{"manychat_id": "13245647000000001", "username": "john_doe", "organization_id": "${env.org.id}", ${extra}"manychat_data": ${fullContactData(lastInput)}}`

    it('records the reply from the Full Contact Data exactly as it was typed', async () => {
      const res = await env.call('POST', PATH, guideBody(TRICKY))
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.data.last_message_content, TRICKY)
      assert.equal(res.body.data.ig_id, BIG_IG_ID)
      const [stored] = await contacts()
      assert.equal(stored!.last_message_content, TRICKY)
      assert.deepEqual(
        (await history(stored!.id)).map((m) => m.content),
        [TRICKY],
      )
    })

    it('keeps such a reply intact when a client escapes it into message_content itself', async () => {
      const res = await reply({ message_content: TRICKY })
      assert.equal(res.status, 200, res.text)
      const [stored] = await contacts()
      assert.deepEqual(
        (await history(stored!.id)).map((m) => m.content),
        [TRICKY],
      )
    })

    it('prefers a filled message_content, and skips when neither holds a reply', async () => {
      assert.equal(
        (await env.call('POST', PATH, guideBody('from data', '"message_content": "typed", '))).body.data.last_message_content,
        'typed',
      )
      assert.equal(
        (await env.call('POST', PATH, guideBody('from data', '"message_content": "{{last_input_text}}", '))).body.data.last_message_content,
        'from data',
      )
      const before = await snapshot()
      for (const empty of [null, '', '  ', '##{{last_input_text}}']) {
        const res = await env.call('POST', PATH, guideBody(empty).replace('"john_doe"', '"jane"'))
        assert.equal(res.status, 200, res.text)
        assert.match(res.body.message, /skipped/)
      }
      assert.deepEqual(await snapshot(), before)
    })

    it('refuses a reply pasted into the body unescaped, naming the problem, and writes nothing', async () => {
      // What `"message_content": "{{last_input_text}}"` becomes when ManyChat pastes the text as is.
      const before = await snapshot()
      for (const pasted of ['He said "hi"', 'first line\nsecond line']) {
        const raw = `{"manychat_id": "1", "username": "john_doe", "organization_id": "${env.org.id}", "message_content": "${pasted}"}`
        const res = await env.call('POST', PATH, raw)
        assert.equal(res.status, 400)
        assert.match(res.body.message, /Malformed JSON/)
      }
      assert.deepEqual(await snapshot(), before)
    })

    it('refuses a last_input_text that is not text, naming it', async () => {
      const res = await env.call('POST', PATH, guideBody(42))
      assert.equal(res.status, 400)
      assert.match(res.body.message, /manychat_data\.last_input_text must be a string/)
    })
  })

  describe('errors', () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      it(`answers ${method} with 405 and Allow: POST, before checking the token`, async () => {
        const res = await env.call(method, PATH, undefined, { token: null })
        assert.equal(res.status, 405)
        assert.equal(res.headers.get('allow'), 'POST')
        assert.ok(isErrorShape(res.body))
      })
    }

    for (const [name, token] of [
      ['a missing token', null],
      ['an unknown token', 'dmt_nope'],
    ] as const) {
      it(`answers 401 for ${name}`, async () => {
        const res = await reply({}, { token })
        assert.equal(res.status, 401)
        assert.ok(isErrorShape(res.body))
        assert.deepEqual(await contacts(), [])
      })
    }

    for (const [name, raw] of [
      ['malformed JSON', '{"manychat_id": '],
      ['an array', '[]'],
      ['an empty body', ''],
    ]) {
      it(`answers 400 for ${name}`, async () => {
        const res = await env.call('POST', PATH, raw)
        assert.equal(res.status, 400)
        assert.ok(isErrorShape(res.body))
      })
    }

    it('answers 500 without internals and leaves nothing half-written', async () => {
      await failInserts(env, 'messages', 'secret internal detail')
      const res = await reply()
      assert.equal(res.status, 500)
      assert.ok(isErrorShape(res.body))
      assert.doesNotMatch(res.text, /secret internal detail|messages|sqlite/i)
      assert.deepEqual(await contacts(), [], 'the contact insert was rolled back with the failed message')
    })

    itSqlite('answers 503 with Retry-After while the database is locked, then works again', async () => {
      const release = holdWriteLock(env)
      try {
        const res = await reply()
        assert.equal(res.status, 503)
        assert.ok(isErrorShape(res.body))
        assert.ok(Number(res.headers.get('retry-after')) > 0)
      } finally {
        await release()
      }
      assert.equal((await reply()).status, 200)
    })
  })
})
