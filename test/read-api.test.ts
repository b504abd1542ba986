import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { CompiledQuery } from 'kysely'
import { resolveFilter } from '../src/contacts/filter.ts'
import { recordReply } from '../src/contacts/lifecycle.ts'
import { pageQuery, rareStart, type Start } from '../src/contacts/page.ts'
import { updateContact } from '../src/contacts/repo.ts'
import { isoTime } from '../src/core/time.ts'
import { openStore } from '../src/db/open.ts'
import type { Contact } from '../src/db/schema.ts'
import { attachTags, ensureTags } from '../src/tags/repo.ts'
import { addUser } from '../src/users/service.ts'
import { addContact, isErrorShape, itSqlite, setup, type TestEnv } from './helpers.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR

const iso = (ms: number) => new Date(ms).toISOString()

async function reply(env: TestEnv, contact: Contact, content = 'hi'): Promise<Contact> {
  const now = iso(env.now())
  return env.store.write((trx) => recordReply(trx, contact, { content, sentAt: now, source: 'test' }, now))
}

async function tag(env: TestEnv, contact: Contact, ...names: string[]) {
  const now = iso(env.now())
  await env.store.write(async (trx) =>
    attachTags(trx, contact.id, await ensureTags(trx, contact.organization_id, names, '#374151', now), now),
  )
}

async function patch(env: TestEnv, contact: Contact, change: Parameters<typeof updateContact>[2]) {
  return env.store.write((trx) => updateContact(trx, contact.id, change, iso(env.now())))
}

/** Every username of every page of a list, following next_cursor. */
async function walk(env: TestEnv, path: string, between?: (page: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = []
  let cursor: string | null = null
  for (let page = 0; page < 100; page++) {
    const res = await env.call('GET', cursor ? `${path}&cursor=${cursor}` : path)
    assert.equal(res.status, 200, res.text)
    seen.push(...res.body.data.map((c: { username: string }) => c.username))
    cursor = res.body.next_cursor
    if (!cursor) return seen
    await between?.(page)
  }
  throw new Error('pagination did not end')
}

describe('GET /api/v1/contacts', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('lists the organization’s active contacts newest first, as full contact objects', async () => {
    await addContact(env, { username: 'older' })
    env.advance(1000)
    await addContact(env, { username: 'newer', type: 'outreach', outreach: { reason: 'r', text: 't' } })
    const res = await env.call('GET', '/api/v1/contacts')
    assert.equal(res.status, 200)
    assert.equal(res.body.status, 'success')
    assert.deepEqual(
      res.body.data.map((c: { username: string }) => c.username),
      ['newer', 'older'],
    )
    assert.equal(res.body.next_cursor, null)
    const newer = res.body.data[0]
    assert.equal(newer.contact_type, 'outreach')
    assert.equal(newer.pipeline_stage, 'Outreach Sent')
    assert.equal(newer.lead_status, 'open')
    assert.deepEqual(newer.tags, [])
  })

  it('pages without gaps or duplicates while contacts are being updated', async () => {
    const contacts: Contact[] = []
    for (let i = 0; i < 25; i++) {
      contacts.push(await addContact(env, { username: `lead_${String(i).padStart(2, '0')}` }))
      env.advance(1000)
    }
    // Between pages, touch contacts already listed and contacts still to come.
    const seen = await walk(env, '/api/v1/contacts?limit=7', async (page) => {
      env.advance(1000)
      await reply(env, contacts[24 - page]!)
      await reply(env, contacts[page]!)
      await tag(env, contacts[12]!, `t${page}`)
    })
    const expected = contacts.map((c) => c.username).reverse()
    assert.deepEqual(seen, expected)
  })

  it('ends with next_cursor null exactly on the last page', async () => {
    for (let i = 0; i < 4; i++) await addContact(env, { username: `u${i}` })
    const first = await env.call('GET', '/api/v1/contacts?limit=2')
    assert.equal(first.body.data.length, 2)
    assert.ok(first.body.next_cursor)
    const second = await env.call('GET', `/api/v1/contacts?limit=2&cursor=${first.body.next_cursor}`)
    assert.equal(second.body.data.length, 2)
    assert.equal(second.body.next_cursor, null)
  })

  describe('filters', () => {
    const now = () => env.now()
    beforeEach(async () => {
      // A fixture where each filter picks a different set, made a second apart (newest listed first).
      // The clock is about 12:00 UTC, in the default time zone.
      const add = async (...args: Parameters<typeof addContact>) => {
        env.advance(1000)
        return addContact(...args)
      }
      const anna = await add(env, { username: 'anna' }) // inbound, no reply recorded: not on the board
      const ben = await add(env, { username: 'ben', type: 'outreach', outreach: { reason: 'r', text: 't' } }) // due in a day
      const carl = await reply(env, await add(env, { username: 'carl' })) // due now: today
      const dora = await reply(env, await add(env, { username: 'dora' }))
      await patch(env, dora, { next_follow_up_at: iso(now() - DAY), lead_status_id: 2 }) // overdue, won
      await reply(env, await add(env, { username: 'anton', followupsActive: false })) // follow-ups off: never on the board
      await tag(env, anna, 'hot', 'vip')
      await tag(env, ben, 'hot')
      await tag(env, carl, 'VIP')
      env.advance(HOUR)
      await patch(env, ben, { pipeline_stage_id: (await stageId(env, 'Interested'))! })
    })

    const cases: [string, string, string[]][] = [
      ['no filter', '', ['anton', 'dora', 'carl', 'ben', 'anna']],
      ['follow_up=overdue', 'follow_up=overdue', ['dora']],
      ['follow_up=today', 'follow_up=today', ['carl']],
      ['follow_up=upcoming', 'follow_up=upcoming', ['ben']],
      ['follow_up=any (board order: most pressing first)', 'follow_up=any', ['dora', 'carl', 'ben']],
      ['stage, any case', 'stage=interested', ['ben']],
      ['stage In Conversation', 'stage=In%20Conversation', ['anton', 'dora', 'carl', 'anna']],
      ['lead_status', 'lead_status=WON', ['dora']],
      ['lead_status open', 'lead_status=open', ['anton', 'carl', 'ben', 'anna']],
      ['one tag', 'tag=hot', ['ben', 'anna']],
      ['tags any case, all of them', 'tag=hot&tag=vip', ['anna']],
      ['tag matched case-insensitively', 'tag=vip', ['carl', 'anna']],
      ['type=outreach', 'type=outreach', ['ben']],
      ['type=inbound', 'type=inbound', ['anton', 'dora', 'carl', 'anna']],
      ['q is a username prefix, normalized, listed A to Z', 'q=%40AN', ['anna', 'anton']],
      ['q matching nobody', 'q=zed', []],
      ['updated_since', `updated_since=${iso(Date.parse('2026-01-15T12:30:00Z'))}`, ['ben']],
      ['updated_since lists the oldest change first', `updated_since=${iso(Date.parse('2026-01-15T12:00:05Z'))}`, ['anton', 'ben']],
      ['filters combine', 'type=inbound&tag=vip&follow_up=today', ['carl']],
    ]
    for (const [name, query, expected] of cases) {
      it(name, async () => {
        const res = await env.call('GET', `/api/v1/contacts?${query}`)
        assert.equal(res.status, 200, res.text)
        assert.deepEqual(
          res.body.data.map((c: { username: string }) => c.username),
          expected,
        )
      })
    }
  })

  it('gives the same pages for a tag whether it starts from the tag’s contacts or walks the index', async () => {
    for (let i = 0; i < 7; i++) {
      env.advance(1000)
      const contact = await addContact(env, { username: `c${i}` })
      if (i % 2 === 0) await tag(env, contact, 'even')
    }
    const org = await env.store.db.selectFrom('organizations').selectAll().where('id', '=', env.org.id).executeTakeFirstOrThrow()
    const filter = await resolveFilter(env.store.db, org, { tag: ['even'] }, env.now())
    assert.deepEqual(await rareStart(env.store.db, org.id, filter), { tag: filter.tagIds![0] }, 'a tag on four contacts is rare')
    const pages = async (fromTag?: Start) => {
      const names: string[][] = []
      let after: string[] | undefined
      do {
        const rows = await pageQuery(env.store.db, org.id, filter, after, 2, fromTag).execute()
        names.push(rows.slice(0, 2).map((r) => r.username))
        after = rows.length > 2 ? [rows[1]!.created_at, rows[1]!.id] : undefined
      } while (after)
      return names
    }
    assert.deepEqual(await pages({ tag: filter.tagIds![0]! }), [
      ['c6', 'c4'],
      ['c2', 'c0'],
    ])
    assert.deepEqual(await pages(undefined), [
      ['c6', 'c4'],
      ['c2', 'c0'],
    ])
  })

  it('refuses bad parameters with a 400 naming the parameter', async () => {
    await addContact(env, { username: 'someone' })
    const dueCursor = await dueListCursor(env)
    const cases: [string, string][] = [
      ['follow_up=soon', 'follow_up'],
      ['stage=Nowhere', 'stage'],
      ['stage=', 'stage'],
      ['lead_status=maybe', 'lead_status'],
      ['tag=never-made', 'tag'],
      ['type=cold', 'type'],
      ['updated_since=yesterday', 'updated_since'],
      ['updated_since=2026-02-30', 'updated_since'],
      ['cursor=not-a-cursor!', 'cursor'],
      ['cursor=eyJhIjoxfQ', 'cursor'],
      [`cursor=${dueCursor}`, 'cursor'], // a board cursor on the newest-first list
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=5&limit=6', 'limit'],
      ['stauts=won', 'stauts'],
    ]
    for (const [query, field] of cases) {
      const res = await env.call('GET', `/api/v1/contacts?${query}`)
      assert.equal(res.status, 400, `${query}: ${res.text}`)
      assert.ok(isErrorShape(res.body))
      assert.ok(res.body.message.startsWith(`${field} `), `${query}: ${res.body.message}`)
      assert.equal(res.body.details[0].field, field)
    }
  })

  it('accepts limit up to 200', async () => {
    const res = await env.call('GET', '/api/v1/contacts?limit=200')
    assert.equal(res.status, 200)
  })

  it('takes stage names by the one rule for stage names (no NUL), like contact-status does', async () => {
    const res = await env.call('GET', '/api/v1/contacts?stage=Clos%00ed')
    assert.equal(res.status, 400)
    assert.match(res.body.message, /^stage must not contain NUL/)
  })

  it('names unknown tags the way update-tags does', async () => {
    await addContact(env, { username: 'someone' })
    const res = await env.call('GET', '/api/v1/contacts?tag=ghost&tag=spook')
    assert.equal(res.status, 400)
    assert.equal(res.body.message, 'tag names tags this organization does not have: "ghost", "spook"')
    const update = await env.call('POST', '/api/v1/contact/update-tags-external', {
      organization_id: env.org.id,
      username: 'someone',
      mode: 'remove',
      tag_names: ['ghost'],
    })
    assert.equal(update.body.message, 'tag_names names tags this organization does not have: "ghost"')
  })

  it('lists the stages in the 400 for an unknown stage', async () => {
    const res = await env.call('GET', '/api/v1/contacts?stage=Nowhere')
    assert.match(res.body.message, /Outreach Sent, In Conversation, Interested, Meeting Booked, Closed, Lost/)
  })

  it('needs a token', async () => {
    const res = await env.call('GET', '/api/v1/contacts', undefined, { token: null })
    assert.equal(res.status, 401)
  })

  itSqlite('serves the board and the default list from an index (EXPLAIN QUERY PLAN)', async () => {
    const org = await env.store.db.selectFrom('organizations').selectAll().where('id', '=', env.org.id).executeTakeFirstOrThrow()
    // Its own connection, closed without a checkpoint: under Bun a cached EXPLAIN statement keeps
    // the WAL from being checkpointed until it is finalized, which closing the connection does.
    const explain = openStore(env.dbPath)
    try {
      const plan = async (input: Parameters<typeof resolveFilter>[2], after?: string[], fromTag?: Start) => {
        const filter = await resolveFilter(env.store.db, org, input, env.now())
        const query = pageQuery(env.store.db, org.id, filter, after, 50, fromTag).compile()
        const rows = await explain.db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
        )
        return rows.rows.map((r) => r.detail).join(' | ')
      }
      const position = ['2026-01-15T12:00:00.000Z', '00000000-0000-4000-8000-000000000000']
      for (const [name, input, after] of [
        ['default list', {}, position],
        ['board group', { follow_up: 'overdue' }, position],
        ['whole board', { follow_up: 'any' }, position],
        ['stage filter', { stage: 'Closed' }, position],
        ['lead status filter', { lead_status: 2 }, position], // won, as the query schema gives it
        ['username search', { q: 'an' }, ['anna']],
        ['changes since', { updated_since: '2026-01-01T00:00:00.000Z' }, position],
      ] as const) {
        for (const start of [undefined, [...after]]) {
          const label = `${name}${start ? ', next page' : ''}`
          const detail = await plan(input, start)
          assert.match(detail, /^SEARCH contacts USING INDEX contacts_org_\w+ \(organization_id=\?/, `${label}: ${detail}`)
          assert.doesNotMatch(detail, /TEMP B-TREE/, `${label} sorts instead of walking the index: ${detail}`)
        }
      }
      // A rare tag: the tag's few contacts first, then a small sort.
      await tag(env, await addContact(env, { username: 'tagged' }), 'rare')
      const rare = await plan({ tag: ['rare'] }, undefined, {
        tag: (await env.store.db.selectFrom('tags').select('id').where('name', '=', 'rare').executeTakeFirstOrThrow()).id,
      })
      assert.match(
        rare,
        /^SEARCH start USING (COVERING )?INDEX contact_tags_tag \(tag_id=\?\) \| SEARCH contacts USING INDEX sqlite_autoindex_contacts_1 \(id=\?\)/,
        rare,
      )
      // A username search on the board: the few matching usernames first, then a small sort by due time.
      const named = await plan({ follow_up: 'overdue', q: 'tag' }, undefined, { usernamePrefix: 'tag' })
      assert.match(
        named,
        /^SEARCH start USING (COVERING )?INDEX contacts_org_username \(organization_id=\? AND username>\? AND username<\?\) \| SEARCH contacts USING INDEX sqlite_autoindex_contacts_1 \(id=\?\)/,
        named,
      )
      // A pipeline column under a tag: a walk of the tag's contacts in that stage, newest first
      // (tagged_contacts), then each card's row; under a username search: a range of the stage's usernames.
      const rareId = (await env.store.db.selectFrom('tags').select('id').where('name', '=', 'rare').executeTakeFirstOrThrow()).id
      const closed = (await resolveFilter(env.store.db, org, { stage: 'Closed' }, env.now())).stageId!
      for (const after of [undefined, [...position]]) {
        const column = await plan({ tag: ['rare'], stage: 'Closed' }, after, { taggedIn: { tag: rareId, stage: closed } })
        assert.match(
          column,
          /^SEARCH start USING PRIMARY KEY \(tag_id=\? AND stage_id=\?.*\| SEARCH contacts USING INDEX sqlite_autoindex_contacts_1 \(id=\?\)/,
          column,
        )
        assert.doesNotMatch(column, /TEMP B-TREE/, column)
      }
      for (const after of [undefined, ['anna']]) {
        const column = await plan({ q: 'an', stage: 'Closed' }, after, { namedIn: { usernamePrefix: 'an', stage: closed } })
        assert.match(
          column,
          /^SEARCH start USING COVERING INDEX contacts_org_stage_username \(organization_id=\? AND pipeline_stage_id=\? AND username>\? AND username<\?\) \| SEARCH contacts USING INDEX sqlite_autoindex_contacts_1 \(id=\?\)/,
          column,
        )
        assert.doesNotMatch(column, /TEMP B-TREE/, column)
      }
    } finally {
      await explain.db.destroy()
    }
  })

  it('gives the same board pages for a username search whether it starts from the usernames or walks the due index', async () => {
    for (let i = 0; i < 7; i++) {
      env.advance(1000)
      const contact = await addContact(env, { username: i % 2 === 0 ? `sam${i}` : `alex${i}` })
      await reply(env, contact)
    }
    env.advance(3 * 86_400_000) // all overdue now
    const org = await env.store.db.selectFrom('organizations').selectAll().where('id', '=', env.org.id).executeTakeFirstOrThrow()
    const filter = await resolveFilter(env.store.db, org, { follow_up: 'overdue', q: 'sam' }, env.now())
    assert.deepEqual(await rareStart(env.store.db, org.id, filter), { usernamePrefix: 'sam' }, 'four matching usernames are rare')
    const pages = async (start?: Start) => {
      const names: string[][] = []
      let after: string[] | undefined
      do {
        const rows = await pageQuery(env.store.db, org.id, filter, after, 3, start).execute()
        names.push(rows.slice(0, 3).map((r) => r.username))
        after = rows.length > 3 ? [rows[2]!.next_follow_up_at!, rows[2]!.id] : undefined
      } while (after)
      return names
    }
    const expected = [['sam0', 'sam2', 'sam4'], ['sam6']]
    assert.deepEqual(await pages({ usernamePrefix: 'sam' }), expected)
    assert.deepEqual(await pages(undefined), expected)
    const res = await env.call('GET', '/api/v1/contacts?follow_up=overdue&q=sam&limit=3')
    assert.deepEqual(
      res.body.data.map((c: { username: string }) => c.username),
      expected[0],
    )
    // A search in username order walks the username index itself: nothing to start from.
    const byName = await resolveFilter(env.store.db, org, { q: 'sam' }, env.now())
    assert.equal(await rareStart(env.store.db, org.id, byName), undefined)
  })
})

async function stageId(env: TestEnv, name: string): Promise<number | undefined> {
  const row = await env.store.db
    .selectFrom('pipeline_stages')
    .select('id')
    .where('organization_id', '=', env.org.id)
    .where('name', '=', name)
    .executeTakeFirst()
  return row?.id
}

/** A cursor of the board's order, from a follow_up list with more than one page. */
async function dueListCursor(env: TestEnv): Promise<string> {
  for (const name of ['due_a', 'due_b']) await reply(env, await addContact(env, { username: name }))
  const res = await env.call('GET', '/api/v1/contacts?follow_up=any&limit=1')
  assert.ok(res.body.next_cursor)
  return res.body.next_cursor
}

describe('GET /api/v1/contacts/{id}', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('returns the contact with tags, notes, history newest first (paginated) and activity', async () => {
    let lead = await addContact(env, { username: 'talker' })
    for (const text of ['first', 'second', 'third']) {
      env.advance(1000)
      lead = await reply(env, lead, text)
    }
    await tag(env, lead, 'hot')
    await env.call('POST', `/api/v1/contacts/${lead.id}/follow-ups`, { note: 'called back' })
    const res = await env.call('GET', `/api/v1/contacts/${lead.id}?limit=2`)
    assert.equal(res.status, 200, res.text)
    const data = res.body.data
    assert.equal(data.id, lead.id)
    assert.equal(data.username, 'talker')
    assert.equal(data.last_message_content, 'third')
    assert.equal(data.archived_at, null)
    assert.equal(data.activate_followups, true)
    assert.deepEqual(
      data.tags.map((t: { name: string }) => t.name),
      ['hot'],
    )
    assert.deepEqual(
      data.notes.map((n: { body: string }) => n.body),
      ['called back'],
    )
    assert.deepEqual(
      data.messages.items.map((m: { content: string }) => m.content),
      ['third', 'second'],
    )
    assert.deepEqual(
      data.activity.items.map((a: { action: string }) => a.action),
      ['note_added', 'follow_up_done'],
    )
    assert.equal(data.activity.next_cursor, null)

    const older = await env.call('GET', `/api/v1/contacts/${lead.id}?limit=2&messages_cursor=${data.messages.next_cursor}`)
    assert.deepEqual(
      older.body.data.messages.items.map((m: { content: string }) => m.content),
      ['first'],
    )
    assert.equal(older.body.data.messages.next_cursor, null)
  })

  it('answers 400 for a malformed id or cursor, 404 for an unknown id or another organization’s contact', async () => {
    const lead = await addContact(env, { username: 'mine' })
    const other = await env.createOrg('Other')
    const listCursor = await (async () => {
      await addContact(env, { username: 'second' })
      return (await env.call('GET', '/api/v1/contacts?limit=1')).body.next_cursor
    })()
    const cases: [string, number, string | undefined, string | undefined][] = [
      ['/api/v1/contacts/not-a-uuid', 400, 'id', undefined],
      ['/api/v1/contacts/00000000-0000-4000-8000-000000000000', 404, undefined, undefined],
      [`/api/v1/contacts/${lead.id}`, 404, undefined, other.token],
      [`/api/v1/contacts/${lead.id}?messages_cursor=xyz!`, 400, 'messages_cursor', undefined],
      [`/api/v1/contacts/${lead.id}?activity_cursor=${listCursor}`, 400, 'activity_cursor', undefined],
      [`/api/v1/contacts/${lead.id}?limit=500`, 400, 'limit', undefined],
    ]
    for (const [path, status, field, token] of cases) {
      const res = await env.call('GET', path, undefined, token ? { token } : {})
      assert.equal(res.status, status, `${path}: ${res.text}`)
      assert.ok(isErrorShape(res.body))
      if (field) assert.equal(res.body.details[0].field, field, path)
    }
  })
})

describe('DELETE /api/v1/contacts/{id}', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('archives: the contact leaves lists, board and pipeline; its history stays readable', async () => {
    const lead = await reply(env, await addContact(env, { username: 'leaving' }))
    await addContact(env, { username: 'staying' })
    const res = await env.call('DELETE', `/api/v1/contacts/${lead.id}`)
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.body, {
      status: 'success',
      message: 'Contact archived',
      data: { id: lead.id, username: 'leaving', archived_at: iso(env.now()) },
    })

    const names = async (path: string) => (await env.call('GET', path)).body.data.map((c: { username: string }) => c.username)
    assert.deepEqual(await names('/api/v1/contacts'), ['staying'])
    assert.deepEqual(await names('/api/v1/contacts?follow_up=any'), [])
    const pipeline = (await env.call('GET', '/api/v1/pipeline')).body.data.stages
    assert.equal(pipeline.find((s: { name: string }) => s.name === 'In Conversation').count, 1)

    const detail = await env.call('GET', `/api/v1/contacts/${lead.id}`)
    assert.equal(detail.body.data.archived_at, iso(env.now()))
    assert.deepEqual(
      detail.body.data.messages.items.map((m: { content: string }) => m.content),
      ['hi'],
    )
    assert.equal(detail.body.data.activity.items[0].action, 'archived')

    assert.equal((await env.call('DELETE', `/api/v1/contacts/${lead.id}`)).status, 404)
    assert.equal((await env.call('POST', `/api/v1/contacts/${lead.id}/follow-ups`, {})).status, 404)
  })

  it('lets create-contact and default-reply start an archived username afresh', async () => {
    const old = await addContact(env, { username: 'returner', manychatId: 'mc-1' })
    await env.call('DELETE', `/api/v1/contacts/${old.id}`)
    const created = await env.call('POST', '/api/v1/organization/create-contact', {
      organization_id: env.org.id,
      username: 'returner',
      had_outreach: true,
      outreach_reason: 'again',
      outreach_text: 'hello again',
    })
    assert.equal(created.status, 201, created.text)
    assert.notEqual(created.body.data.id, old.id)
    await env.call('DELETE', `/api/v1/contacts/${created.body.data.id}`)
    const replied = await env.call('POST', '/api/v1/contact/default-reply', {
      organization_id: env.org.id,
      manychat_id: 'mc-1',
      username: 'returner',
      message_content: 'back',
    })
    assert.equal(replied.status, 200, replied.text)
    const list = (await env.call('GET', '/api/v1/contacts')).body.data
    assert.equal(list.length, 1)
    assert.ok(![old.id, created.body.data.id].includes(list[0].id))
  })

  it('logs who archived when given an email, and refuses bad input', async () => {
    await env.store.write((trx) =>
      addUser(trx, { email: 'boss@example.com', organizationId: env.org.id, role: 'owner' }, isoTime(env.now())),
    )
    const lead = await addContact(env, { username: 'bye' })
    const other = await env.createOrg('Other')
    assert.equal((await env.call('DELETE', `/api/v1/contacts/${lead.id}`, undefined, { token: other.token })).status, 404)
    assert.equal((await env.call('DELETE', '/api/v1/contacts/nope')).status, 400)
    assert.equal((await env.call('DELETE', `/api/v1/contacts/${lead.id}?email=bad`)).status, 400)
    assert.equal((await env.call('DELETE', `/api/v1/contacts/${lead.id}?email=ghost@example.com`)).status, 404)
    const res = await env.call('DELETE', `/api/v1/contacts/${lead.id}?email=boss@example.com`)
    assert.equal(res.status, 200)
    const detail = await env.call('GET', `/api/v1/contacts/${lead.id}`)
    assert.equal(detail.body.data.activity.items[0].user_email, 'boss@example.com')
  })
})

describe('GET /api/v1/pipeline', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('lists the stages in order with colour, counts and the newest contacts of each', async () => {
    for (const name of ['in_1', 'in_2', 'in_3']) {
      env.advance(1000)
      await addContact(env, { username: name })
    }
    await addContact(env, { username: 'out_1', type: 'outreach', outreach: { reason: 'r', text: 't' } })
    const res = await env.call('GET', '/api/v1/pipeline?limit=2')
    assert.equal(res.status, 200, res.text)
    const stages = res.body.data.stages
    assert.deepEqual(
      stages.map((s: { name: string }) => s.name),
      ['Outreach Sent', 'In Conversation', 'Interested', 'Meeting Booked', 'Closed', 'Lost'],
    )
    assert.deepEqual(
      stages.map((s: { count: number }) => s.count),
      [1, 3, 0, 0, 0, 0],
    )
    const [outreach, talking] = stages
    assert.equal(outreach.color, '#2563eb')
    assert.equal(outreach.active, true)
    assert.deepEqual(
      outreach.items.map((c: { username: string }) => c.username),
      ['out_1'],
    )
    assert.deepEqual(
      talking.items.map((c: { username: string }) => c.username),
      ['in_3', 'in_2'],
    )
    const rest = await env.call('GET', `/api/v1/contacts?stage=In%20Conversation&limit=2&cursor=${talking.next_cursor}`)
    assert.deepEqual(
      rest.body.data.map((c: { username: string }) => c.username),
      ['in_1'],
    )
  })

  it('shows another organization none of these contacts', async () => {
    await addContact(env, { username: 'ours' })
    const other = await env.createOrg('Other')
    const res = await env.call('GET', '/api/v1/pipeline', undefined, { token: other.token })
    assert.deepEqual(
      res.body.data.stages.map((s: { count: number }) => s.count),
      [0, 0, 0, 0, 0, 0],
    )
    const list = await env.call('GET', '/api/v1/contacts', undefined, { token: other.token })
    assert.deepEqual(list.body.data, [])
    const csv = await env.app.request('/api/v1/contacts/export.csv', { headers: { 'x-org-auth-token': other.token } })
    assert.equal((await csv.text()).trim().split('\r\n').length, 1, 'only the header row')
  })
})
