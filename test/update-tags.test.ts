import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { createContact } from '../src/contacts/lifecycle.ts'
import { updateContact } from '../src/contacts/repo.ts'
import { isoTime } from '../src/core/time.ts'
import { openStore } from '../src/db/open.ts'
import { CANCELLED_MESSAGE } from '../src/organizations/access.ts'
import { getOrganization, setSubscriptionStatus } from '../src/organizations/service.ts'
import { attachTags, ensureTags } from '../src/tags/repo.ts'
import { addUser } from '../src/users/service.ts'
import { isErrorShape, itSqlite, setup, type TestEnv } from './helpers.ts'

const PATH = '/api/v1/contact/update-tags-external'
const RED = '#dc2626'
const GRAY = '#374151'

describe('POST /contact/update-tags-external', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  const at = () => new Date(env.now()).toISOString()

  /** A new inbound contact, made directly (create-contact is another endpoint). */
  function makeContact(username: string, orgId = env.org.id) {
    return env.store.write(async (trx) =>
      createContact(trx, await getOrganization(trx, orgId), { username, type: 'inbound', ingestionType: 'test' }, at()),
    )
  }

  /** Puts tags on a contact without going through the endpoint (so no activity is logged). */
  function seedTags(contactId: string, names: string[], color = GRAY, orgId = env.org.id) {
    return env.store.write(async (trx) => attachTags(trx, contactId, await ensureTags(trx, orgId, names, color, at()), at()))
  }

  const tagsOf = (res: { body: any }) => res.body.data.tags.map((t: { name: string }) => t.name)

  function update(fields: Record<string, unknown>, options?: { token?: string | null }) {
    return env.call('POST', PATH, { organization_id: env.org.id, ...fields }, options)
  }

  function activity() {
    return env.store.db
      .selectFrom('activity_log')
      .select(['contact_id', 'action', 'old_value', 'new_value', 'via', 'user_id'])
      .orderBy('id')
      .execute()
  }

  function orgTags(orgId = env.org.id) {
    return env.store.db.selectFrom('tags').select(['name', 'color']).where('organization_id', '=', orgId).orderBy('id').execute()
  }

  it("accepts the reference's Python example body as written", async () => {
    const contact = await makeContact('janedoe')
    const res = await update({ username: 'janedoe', mode: 'add', tag_names: ['priority', 'hot-lead'], tag_color: 'red' })
    assert.equal(res.status, 200)
    assert.equal(res.body.status, 'success')
    assert.equal(res.body.message, 'Tags added successfully')
    assert.equal(res.body.data.contact_id, contact.id)
    assert.equal(res.body.data.username, 'janedoe')
    assert.deepEqual(
      res.body.data.tags.map((t: { name: string; color: string }) => [t.name, t.color]),
      [
        ['hot-lead', RED],
        ['priority', RED],
      ],
    )
    for (const tag of res.body.data.tags) assert.ok(Number.isInteger(tag.id))
  })

  describe('add', () => {
    it('creates missing tags, skips applied ones, and logs only what it added', async () => {
      const contact = await makeContact('lead')
      await seedTags(contact.id, ['VIP'], '#0d9488')
      const res = await update({ contact_id: contact.id, mode: 'add', tag_names: ['vip', 'hot-lead', 'Hot-Lead '], tag_color: 'blue' })
      assert.equal(res.status, 200)
      // The existing tag keeps its first spelling and colour; the duplicate in the request counts once.
      assert.deepEqual(
        res.body.data.tags.map((t: any) => [t.name, t.color]),
        [
          ['hot-lead', '#2563eb'],
          ['VIP', '#0d9488'],
        ],
      )
      assert.deepEqual(await orgTags(), [
        { name: 'VIP', color: '#0d9488' },
        { name: 'hot-lead', color: '#2563eb' },
      ])
      assert.deepEqual(await activity(), [
        { contact_id: contact.id, action: 'tags_added', old_value: null, new_value: 'hot-lead', via: 'api', user_id: null },
      ])
    })

    it('changes nothing and logs nothing when every tag is already applied', async () => {
      const contact = await makeContact('lead')
      await seedTags(contact.id, ['vip'])
      env.advance(60_000)
      const res = await update({ username: 'lead', mode: 'add', tag_names: ['VIP'] })
      assert.equal(res.status, 200)
      assert.deepEqual(tagsOf(res), ['vip'])
      assert.deepEqual(await activity(), [])
      const stored = await env.store.db.selectFrom('contacts').select('updated_at').where('id', '=', contact.id).executeTakeFirstOrThrow()
      assert.equal(stored.updated_at, contact.updated_at)
    })

    it('stamps updated_at when it changes the tags', async () => {
      const contact = await makeContact('lead')
      env.advance(60_000)
      await update({ username: 'lead', mode: 'add', tag_names: ['new'] })
      const stored = await env.store.db.selectFrom('contacts').select('updated_at').where('id', '=', contact.id).executeTakeFirstOrThrow()
      assert.equal(stored.updated_at, at())
    })
  })

  describe('set', () => {
    it('replaces all tags, auto-creating missing ones, and logs both sides', async () => {
      const contact = await makeContact('lead')
      await seedTags(contact.id, ['old-a', 'Keep', 'old-b'])
      const res = await update({ username: 'lead', mode: 'set', tag_names: ['keep', 'fresh'], tag_color: '#16A34A' })
      assert.equal(res.status, 200)
      assert.equal(res.body.message, 'Tags set successfully')
      assert.deepEqual(
        res.body.data.tags.map((t: any) => [t.name, t.color]),
        [
          ['fresh', '#16a34a'],
          ['Keep', GRAY],
        ],
      )
      assert.deepEqual(
        (await activity()).map((a) => [a.action, a.old_value, a.new_value]),
        [
          ['tags_added', null, 'fresh'],
          ['tags_removed', 'old-a, old-b', null],
        ],
      )
      // Removed tags leave the contact, not the organization.
      assert.deepEqual(
        (await orgTags()).map((t) => t.name),
        ['old-a', 'Keep', 'old-b', 'fresh'],
      )
    })

    it('clears every tag with an empty list', async () => {
      const contact = await makeContact('lead')
      await seedTags(contact.id, ['a', 'b'])
      const res = await update({ contact_id: contact.id, mode: 'set', tag_names: [] })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body.data.tags, [])
      assert.deepEqual(
        (await activity()).map((a) => [a.action, a.old_value]),
        [['tags_removed', 'a, b']],
      )
    })

    it('logs nothing when the tags are already exactly those', async () => {
      const contact = await makeContact('lead')
      await seedTags(contact.id, ['a', 'b'])
      const res = await update({ contact_id: contact.id, mode: 'set', tag_names: ['B', 'A'] })
      assert.equal(res.status, 200)
      assert.deepEqual(tagsOf(res), ['a', 'b'])
      assert.deepEqual(await activity(), [])
    })
  })

  describe('remove', () => {
    it('removes the named tags case-insensitively; a tag the contact lacks is a no-op', async () => {
      const contact = await makeContact('lead')
      const other = await makeContact('other')
      await seedTags(contact.id, ['Hot-Lead', 'vip'])
      await seedTags(other.id, ['cold'])
      const res = await update({ username: 'lead', mode: 'remove', tag_names: ['HOT-LEAD', 'cold'] })
      assert.equal(res.status, 200)
      assert.equal(res.body.message, 'Tags removed successfully')
      assert.deepEqual(tagsOf(res), ['vip'])
      assert.deepEqual(
        (await activity()).map((a) => [a.contact_id, a.action, a.old_value, a.new_value]),
        [[contact.id, 'tags_removed', 'Hot-Lead', null]],
      )
    })

    it('logs nothing when none of the tags were on the contact', async () => {
      const contact = await makeContact('lead')
      await seedTags(contact.id, ['vip'])
      await env.store.write((trx) => ensureTags(trx, env.org.id, ['cold'], GRAY, at()))
      const res = await update({ username: 'lead', mode: 'remove', tag_names: ['cold'] })
      assert.equal(res.status, 200)
      assert.deepEqual(tagsOf(res), ['vip'])
      assert.deepEqual(await activity(), [])
    })

    it('names every unknown tag in a 400 and changes nothing', async () => {
      const contact = await makeContact('lead')
      await seedTags(contact.id, ['vip', 'hot'])
      // A tag of another organization is unknown here too.
      const other = await env.createOrg('Other')
      await env.store.write((trx) => ensureTags(trx, other.id, ['elsewhere'], GRAY, at()))
      const res = await update({ username: 'lead', mode: 'remove', tag_names: ['vip', 'ghost', 'elsewhere'] })
      assert.equal(res.status, 400)
      assert.ok(isErrorShape(res.body))
      assert.match(res.body.message, /tag_names/)
      assert.match(res.body.message, /"ghost"/)
      assert.match(res.body.message, /"elsewhere"/)
      assert.doesNotMatch(res.body.message, /"vip"/)
      const after = await update({ username: 'lead', mode: 'add', tag_names: ['hot'] })
      assert.deepEqual(tagsOf(after), ['hot', 'vip'])
      assert.deepEqual(await activity(), [])
    })
  })

  describe('tag_color', () => {
    const cases: [string, unknown, string][] = [
      ['a reference colour name in any case', 'Purple', '#9333ea'],
      ['#RRGGBB hex, lowercased', '#A1B2C3', '#a1b2c3'],
      ['#RGB hex, expanded', '#AbC', '#aabbcc'],
      ['an unknown name falls back to gray', 'chartreuse', GRAY],
      ['malformed hex falls back to gray', '#12345', GRAY],
      ['absent means gray', undefined, GRAY],
      ['null means gray', null, GRAY],
    ]
    for (const [name, color, expected] of cases) {
      it(name, async () => {
        await makeContact('lead')
        const res = await update({ username: 'lead', mode: 'set', tag_names: ['t'], tag_color: color })
        assert.equal(res.status, 200)
        assert.equal(res.body.data.tags[0].color, expected)
      })
    }

    it('never recolours an existing tag', async () => {
      const contact = await makeContact('lead')
      await seedTags(contact.id, ['vip'], RED)
      await makeContact('second')
      const res = await update({ username: 'second', mode: 'add', tag_names: ['VIP'], tag_color: 'green' })
      assert.deepEqual(res.body.data.tags, [{ id: res.body.data.tags[0].id, name: 'vip', color: RED }])
    })
  })

  describe('finding the contact', () => {
    it('by contact_id, by username in any case and with @, or both when they agree', async () => {
      const contact = await makeContact('jane.doe')
      for (const who of [
        { contact_id: contact.id.toUpperCase() },
        { username: '  @Jane.Doe ' },
        { contact_id: contact.id, username: 'JANE.DOE' },
      ]) {
        const res = await update({ ...who, mode: 'add', tag_names: ['x'] })
        assert.equal(res.status, 200, JSON.stringify(who))
        assert.equal(res.body.data.contact_id, contact.id)
        assert.equal(res.body.data.username, 'jane.doe')
      }
    })

    it('rejects contact_id and username that name different contacts, naming both', async () => {
      const jane = await makeContact('jane')
      await makeContact('john')
      const res = await update({ contact_id: jane.id, username: 'john', mode: 'add', tag_names: ['x'] })
      assert.equal(res.status, 400)
      assert.match(res.body.message, /contact_id/)
      assert.match(res.body.message, /username/)
      assert.deepEqual(
        res.body.details.map((d: { field: string }) => d.field),
        ['contact_id', 'username'],
      )
      assert.deepEqual(await orgTags(), [])
    })

    it("answers 404 for another organization's contact, an unknown or an archived one", async () => {
      const other = await env.createOrg('Other')
      const foreign = await makeContact('foreign', other.id)
      const archived = await makeContact('gone')
      await env.store.write((trx) => updateContact(trx, archived.id, { archived_at: at() }, at()))
      const known = await makeContact('known')
      const cases = [
        { contact_id: foreign.id },
        { username: 'foreign' },
        { username: 'nobody' },
        { contact_id: '00000000-0000-4000-8000-000000000000' },
        { username: 'gone' },
        { contact_id: known.id, username: 'nobody' },
      ]
      for (const who of cases) {
        const res = await update({ ...who, mode: 'add', tag_names: ['x'] })
        assert.equal(res.status, 404, JSON.stringify(who))
        assert.ok(isErrorShape(res.body))
        assert.match(res.body.message, /contact/i)
      }
      assert.deepEqual(await orgTags(), [])
    })

    it("says which identifier found nobody, in the reference's words (as contact-status does)", async () => {
      const res = await update({ username: 'nobody', mode: 'add', tag_names: ['x'] })
      assert.equal(res.status, 404)
      assert.equal(res.body.message, 'Contact not found with username nobody')
    })
  })

  describe('email', () => {
    it('records the user behind the change in the activity log', async () => {
      await makeContact('lead')
      const user = await env.store.write((trx) =>
        addUser(trx, { email: 'sam@agency.test', organizationId: env.org.id, role: 'member' }, isoTime(env.now())),
      )
      const res = await update({ username: 'lead', mode: 'add', tag_names: ['x'], email: 'SAM@agency.test' })
      assert.equal(res.status, 200)
      assert.deepEqual(
        (await activity()).map((a) => a.user_id),
        [user.id],
      )
    })

    it('answers 404 for an unknown user and 403 for a non-member, writing nothing', async () => {
      await makeContact('lead')
      await env.store.write((trx) => addUser(trx, { email: 'outsider@agency.test', role: 'member' }, isoTime(env.now())))
      for (const [email, status] of [
        ['nobody@agency.test', 404],
        ['outsider@agency.test', 403],
      ] as const) {
        const res = await update({ username: 'lead', mode: 'add', tag_names: ['x'], email })
        assert.equal(res.status, status, email)
        assert.ok(isErrorShape(res.body))
      }
      assert.deepEqual(await orgTags(), [])
    })
  })

  describe('bad input', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['neither contact_id nor username', { mode: 'add', tag_names: ['x'] }, /contact_id.*username/],
      ['null contact_id and username', { contact_id: null, username: null, mode: 'add', tag_names: ['x'] }, /contact_id.*username/],
      ['a malformed contact_id', { contact_id: '123', mode: 'add', tag_names: ['x'] }, /contact_id must be a UUID/],
      ['an empty username', { username: ' @ ', mode: 'add', tag_names: ['x'] }, /username must not be empty/],
      ['a missing mode', { username: 'lead', tag_names: ['x'] }, /mode is required/],
      ['an unknown mode', { username: 'lead', mode: 'replace', tag_names: ['x'] }, /mode must be one of set, add, remove/],
      ['missing tag_names', { username: 'lead', mode: 'set' }, /tag_names is required/],
      ['tag_names not an array', { username: 'lead', mode: 'add', tag_names: 'hot' }, /tag_names must be an array/],
      ['a tag name that is not a string', { username: 'lead', mode: 'add', tag_names: [5] }, /tag_names\.0 must be a string/],
      ['a blank tag name', { username: 'lead', mode: 'add', tag_names: ['ok', '  '] }, /tag_names\.1 must not be empty/],
      [
        'a tag name over 50 characters',
        { username: 'lead', mode: 'add', tag_names: ['x'.repeat(51)] },
        /tag_names\.0 must be at most 50 characters/,
      ],
      ['add with no tags', { username: 'lead', mode: 'add', tag_names: [] }, /tag_names must not be empty/],
      ['remove with no tags', { username: 'lead', mode: 'remove', tag_names: [] }, /tag_names must not be empty/],
      ['a malformed email', { username: 'lead', mode: 'add', tag_names: ['x'], email: 'not-an-email' }, /email must be a valid email/],
      [
        'a malformed organization_id',
        { organization_id: 'your-org-id', username: 'lead', mode: 'add', tag_names: ['x'] },
        /organization_id must be a UUID/,
      ],
      ['a tag_color that is not a string', { username: 'lead', mode: 'add', tag_names: ['x'], tag_color: 7 }, /tag_color must be a string/],
    ]
    for (const [name, body, message] of cases) {
      it(`answers 400 for ${name}`, async () => {
        await makeContact('lead')
        const res = await update(body)
        assert.equal(res.status, 400)
        assert.ok(isErrorShape(res.body))
        assert.match(res.body.message, message)
        assert.deepEqual(await orgTags(), [])
      })
    }

    it('names every bad field in one 400', async () => {
      const res = await update({ mode: 'toggle', tag_names: 'x' })
      assert.equal(res.status, 400)
      assert.deepEqual(res.body.details.map((d: { field: string }) => d.field).sort(), ['contact_id', 'mode', 'tag_names'])
    })

    it('answers 400 for a body that is not a JSON object', async () => {
      for (const body of ['{"mode":', '["add"]', '']) {
        const res = await env.call('POST', PATH, body)
        assert.equal(res.status, 400, body)
        assert.ok(isErrorShape(res.body))
      }
    })
  })

  describe('access', () => {
    it('answers 401 without a token, with an unknown one, or for another organization', async () => {
      await makeContact('lead')
      const other = await env.createOrg('Other')
      const body = { username: 'lead', mode: 'add', tag_names: ['x'] }
      for (const res of [
        await update(body, { token: null }),
        await update(body, { token: 'dmt_nope' }),
        await update(body, { token: other.token }),
        await env.call('POST', PATH, { ...body, organization_id: other.id }),
      ]) {
        assert.equal(res.status, 401)
        assert.ok(isErrorShape(res.body))
      }
      assert.deepEqual(await orgTags(), [])
    })

    it('answers 405 with Allow for another method', async () => {
      const res = await env.call('GET', PATH)
      assert.equal(res.status, 405)
      assert.equal(res.headers.get('allow'), 'POST')
      assert.ok(isErrorShape(res.body))
    })

    it('answers a cancelled organization with success and writes nothing', async () => {
      const contact = await makeContact('lead')
      await env.store.write((trx) => setSubscriptionStatus(trx, env.org.id, 'cancelled'))
      const res = await update({ contact_id: contact.id, mode: 'add', tag_names: ['x'] })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { status: 'success', message: CANCELLED_MESSAGE })
      assert.deepEqual(await orgTags(), [])
      assert.deepEqual(await activity(), [])
    })
  })

  describe('failures', () => {
    it('answers 500 without internals and leaves nothing half-written', async () => {
      await makeContact('lead')
      // Breaking the activity log makes the last write of the transaction fail.
      await env.store.db.schema.dropTable('activity_log').execute()
      const res = await update({ username: 'lead', mode: 'add', tag_names: ['x'] })
      assert.equal(res.status, 500)
      assert.ok(isErrorShape(res.body))
      assert.doesNotMatch(res.text, /activity_log|sqlite/i)
      assert.deepEqual(await orgTags(), [])
    })

    itSqlite('answers 503 with Retry-After while another process holds the write lock', async () => {
      await makeContact('lead')
      const path = String(env.store.sqlite.value("select file from pragma_database_list where name = 'main'"))
      env.store.sqlite.exec('pragma busy_timeout = 0')
      const other = openStore(path, { busyTimeoutMs: 0 })
      other.sqlite.exec('begin immediate')
      try {
        const res = await update({ username: 'lead', mode: 'add', tag_names: ['x'] })
        assert.equal(res.status, 503)
        assert.ok(isErrorShape(res.body))
        assert.ok(res.headers.get('retry-after'))
      } finally {
        other.sqlite.exec('rollback')
        await other.close()
      }
    })
  })
})
