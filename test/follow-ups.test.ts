import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { recordReply } from '../src/contacts/lifecycle.ts'
import { COUNT_LIMIT } from '../src/contacts/page.ts'
import { updateContact } from '../src/contacts/repo.ts'
import { isoTime } from '../src/core/time.ts'
import { todayBounds } from '../src/core/time-zone.ts'
import type { Contact } from '../src/db/schema.ts'
import { parseCadenceText, updateFollowUpSettings } from '../src/follow-ups/settings.ts'
import { setSubscriptionStatus } from '../src/organizations/service.ts'
import { addUser } from '../src/users/service.ts'
import { addContact, cli, isErrorShape, setup, type TestEnv } from './helpers.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const iso = (ms: number) => new Date(ms).toISOString()

type Group = 'overdue' | 'today' | 'upcoming'

async function reply(env: TestEnv, contact: Contact, content = 'hi'): Promise<Contact> {
  const now = iso(env.now())
  return env.store.write((trx) => recordReply(trx, contact, { content, sentAt: now, source: 'test' }, now))
}

async function dueAt(env: TestEnv, username: string, at: string): Promise<Contact> {
  const contact = await reply(env, await addContact(env, { username }))
  return env.store.write((trx) => updateContact(trx, contact.id, { next_follow_up_at: at }, iso(env.now())))
}

async function settings(env: TestEnv, change: { timezone?: string; cadence?: string }) {
  return env.store.write((trx) => updateFollowUpSettings(trx, env.org.id, change))
}

/** The board as a user reads it: usernames per group. */
async function board(env: TestEnv, token?: string): Promise<Record<Group, string[]>> {
  const res = await env.call('GET', '/api/v1/follow-ups', undefined, token ? { token } : {})
  assert.equal(res.status, 200, res.text)
  const names = (group: Group) => res.body.data[group].items.map((c: { username: string }) => c.username)
  return { overdue: names('overdue'), today: names('today'), upcoming: names('upcoming') }
}

function done(env: TestEnv, id: string, body: Record<string, unknown> = {}, token?: string) {
  return env.call('POST', `/api/v1/contacts/${id}/follow-ups`, body, token ? { token } : {})
}

describe('follow-up board', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('groups by the organization’s calendar day, across midnight in a non-UTC time zone', async () => {
    // The clock is 2026-01-15 12:00 UTC, 21:00 in Tokyo: Tokyo's "today" is 14 Jan 15:00 to 15 Jan 15:00 UTC.
    await settings(env, { timezone: 'Asia/Tokyo' })
    await dueAt(env, 'yesterday_late', '2026-01-14T14:59:59.999Z')
    await dueAt(env, 'today_early', '2026-01-14T15:00:00.000Z') // overdue by UTC's calendar, today by Tokyo's
    await dueAt(env, 'today_late', '2026-01-15T14:59:59.999Z')
    await dueAt(env, 'tomorrow', '2026-01-15T15:00:00.000Z') // today by UTC's calendar, tomorrow in Tokyo
    assert.deepEqual(await board(env), { overdue: ['yesterday_late'], today: ['today_early', 'today_late'], upcoming: ['tomorrow'] })

    env.advance(3 * HOUR - 1) // 23:59:59.999 in Tokyo
    assert.deepEqual(await board(env), { overdue: ['yesterday_late'], today: ['today_early', 'today_late'], upcoming: ['tomorrow'] })

    env.advance(1) // midnight in Tokyo
    assert.deepEqual(await board(env), { overdue: ['yesterday_late', 'today_early', 'today_late'], today: ['tomorrow'], upcoming: [] })
  })

  it('reports the time zone, the day it used, counts, and cursors that continue each group', async () => {
    await settings(env, { timezone: 'america/new_york' })
    for (let i = 0; i < 3; i++) await dueAt(env, `due_${i}`, iso(env.now() - i * MINUTE))
    const res = await env.call('GET', '/api/v1/follow-ups?limit=2')
    const data = res.body.data
    assert.equal(data.timezone, 'America/New_York')
    assert.deepEqual(data.cadence_days, [1, 2, 4, 7])
    assert.equal(data.day_start, '2026-01-15T05:00:00.000Z')
    assert.equal(data.day_end, '2026-01-16T05:00:00.000Z')
    assert.equal(data.today.count, 3)
    assert.deepEqual(
      data.today.items.map((c: { username: string }) => c.username),
      ['due_2', 'due_1'],
    )
    assert.equal(data.overdue.count, 0)
    const rest = await env.call('GET', `/api/v1/contacts?follow_up=today&cursor=${data.today.next_cursor}`)
    assert.deepEqual(
      rest.body.data.map((c: { username: string }) => c.username),
      ['due_0'],
    )
  })

  it('counts up to 10000, then says the count is not exact', async () => {
    const lead = await reply(env, await addContact(env, { username: 'template' }))
    // Copies of one due contact, made in SQL: creating ten thousand through the API would be slow.
    await env.store.write((trx) =>
      sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${COUNT_LIMIT})
          insert into contacts (id, organization_id, username, had_outreach, follow_up_needed, followups_active, follow_up_count,
            next_follow_up_at, lead_status_id, pipeline_stage_id, contact_ingestion_type, created_at, updated_at)
          select 'copy-' || i, organization_id, 'copy_' || i, 0, 1, 1, 0, next_follow_up_at, 1, pipeline_stage_id, 'test', created_at, updated_at
          from n, contacts where contacts.id = ${lead.id}`.execute(trx),
    )
    const res = await env.call('GET', '/api/v1/follow-ups?limit=1')
    assert.equal(res.body.data.today.count, COUNT_LIMIT)
    assert.equal(res.body.data.today.count_exact, false)
    assert.equal(res.body.data.overdue.count_exact, true)
  })

  it('follows a DST change: the day that skips an hour is 23 hours long', () => {
    assert.deepEqual(todayBounds('America/New_York', Date.parse('2026-03-08T12:00:00Z')), {
      start: '2026-03-08T05:00:00.000Z',
      end: '2026-03-09T04:00:00.000Z',
    })
  })

  it('keeps contacts with follow-ups off, archived contacts and other organizations’ contacts off the board', async () => {
    await reply(env, await addContact(env, { username: 'quiet', followupsActive: false }))
    const gone = await reply(env, await addContact(env, { username: 'gone' }))
    assert.equal((await env.call('DELETE', `/api/v1/contacts/${gone.id}`)).status, 200)
    const other = await env.createOrg('Other')
    await reply(env, await addContact(env, { username: 'theirs' }, other.id))
    await reply(env, await addContact(env, { username: 'ours' }))
    assert.deepEqual(await board(env), { overdue: [], today: ['ours'], upcoming: [] })
    assert.deepEqual(await board(env, other.token), { overdue: [], today: ['theirs'], upcoming: [] })
  })
})

describe('follow-up actions and the cadence', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('runs the cadence end to end: reply, answer, three follow-ups, off the board, a reply resets', async () => {
    await settings(env, { cadence: '1d,2d,4d' })
    const lead = await reply(env, await addContact(env, { username: 'lead' }))
    assert.deepEqual(await board(env), { overdue: [], today: ['lead'], upcoming: [] })

    // The answer to the reply waits the first interval, each follow-up the next one.
    for (const [step, days] of [
      [1, 1],
      [2, 2],
      [3, 4],
    ] as const) {
      const res = await done(env, lead.id)
      assert.equal(res.status, 200, res.text)
      assert.equal(res.body.data.follow_up_count, step)
      assert.equal(res.body.data.next_follow_up_at, iso(env.now() + days * DAY))
      assert.deepEqual(await board(env), { overdue: [], today: [], upcoming: ['lead'] })
      env.advance(days * DAY)
      assert.deepEqual((await board(env)).today, ['lead'])
    }
    const last = await done(env, lead.id)
    assert.equal(last.body.data.follow_up_needed, false)
    assert.equal(last.body.data.follow_up_count, 4)
    assert.equal(last.body.data.next_follow_up_at, null)
    assert.match(last.body.message, /cadence is complete/)
    assert.deepEqual(await board(env), { overdue: [], today: [], upcoming: [] })

    const again = await done(env, lead.id)
    assert.equal(again.status, 400)
    assert.match(again.body.message, /not waiting for a follow-up/)

    const current = await env.store.db.selectFrom('contacts').selectAll().where('id', '=', lead.id).executeTakeFirstOrThrow()
    const reset = await reply(env, current, 'back again')
    assert.equal(reset.follow_up_count, 0)
    assert.equal(reset.last_follow_up_at, null)
    assert.deepEqual(await board(env), { overdue: [], today: ['lead'], upcoming: [] })

    const detail = await env.call('GET', `/api/v1/contacts/${lead.id}`)
    const actions = detail.body.data.activity.items.map((a: { action: string }) => a.action)
    assert.deepEqual(actions, ['follow_up_done', 'follow_up_done', 'follow_up_done', 'follow_up_done'])
  })

  it('schedules an outreach contact one interval after the outreach, then the next intervals', async () => {
    const lead = await addContact(env, { username: 'cold', type: 'outreach', outreach: { reason: 'r', text: 't' } })
    assert.equal(lead.next_follow_up_at, iso(env.now() + DAY))
    const intervals: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await done(env, lead.id)
      const next = res.body.data.next_follow_up_at
      intervals.push(next === null ? 0 : (Date.parse(next) - env.now()) / DAY)
    }
    assert.deepEqual(intervals, [2, 4, 7, 0])
  })

  it('snoozes a follow-up to a later time', async () => {
    const lead = await reply(env, await addContact(env, { username: 'sleepy' }))
    const until = iso(env.now() + 3 * DAY)
    const res = await done(env, lead.id, { snooze_until: until })
    assert.equal(res.status, 200)
    assert.equal(res.body.message, 'Follow-up snoozed')
    assert.equal(res.body.data.next_follow_up_at, until)
    assert.equal(res.body.data.follow_up_count, 0)
    assert.deepEqual(await board(env), { overdue: [], today: [], upcoming: ['sleepy'] })
  })

  it('keeps a note and who did it, and logs both', async () => {
    await env.store.write((trx) =>
      addUser(trx, { email: 'setter@example.com', organizationId: env.org.id, role: 'member' }, isoTime(env.now())),
    )
    const lead = await reply(env, await addContact(env, { username: 'noted' }))
    const res = await done(env, lead.id, { note: '  Sent the price list  ', email: 'Setter@example.com' })
    assert.equal(res.status, 200, res.text)
    const detail = (await env.call('GET', `/api/v1/contacts/${lead.id}`)).body.data
    assert.equal(detail.notes[0].body, 'Sent the price list')
    const [noteEntry, doneEntry] = detail.activity.items
    assert.equal(noteEntry.action, 'note_added')
    assert.equal(doneEntry.action, 'follow_up_done')
    assert.equal(doneEntry.via, 'api')
    assert.equal(doneEntry.user_email, 'setter@example.com')
  })

  it('refuses what it cannot do, naming the field', async () => {
    await env.store.write((trx) => addUser(trx, { email: 'stranger@example.com', role: 'member' }, isoTime(env.now())))
    const lead = await reply(env, await addContact(env, { username: 'target' }))
    const quiet = await addContact(env, { username: 'quiet', followupsActive: false })
    const cases: [string, string, unknown, number, RegExp][] = [
      ['snooze in the past', lead.id, { snooze_until: iso(env.now() - 1) }, 400, /^snooze_until must be in the future/],
      ['snooze not a date', lead.id, { snooze_until: 'tomorrow' }, 400, /^snooze_until must be a valid ISO 8601/],
      ['note too long', lead.id, { note: 'x'.repeat(1001) }, 400, /^note must be at most 1000 characters/],
      ['bad email', lead.id, { email: 'nope' }, 400, /^email must be a valid email address/],
      ['unknown user', lead.id, { email: 'ghost@example.com' }, 404, /No user/],
      ['not a member', lead.id, { email: 'stranger@example.com' }, 403, /not a member/],
      ['follow-ups off', quiet.id, {}, 400, /not waiting for a follow-up/],
      ['not a UUID', 'abc', {}, 400, /^id must be a UUID/],
      ['unknown contact', '00000000-0000-4000-8000-000000000000', {}, 404, /No active contact/],
      ['not a JSON object', lead.id, '[1]', 400, /JSON object/],
    ]
    for (const [name, id, body, status, message] of cases) {
      const res = await done(env, id, body as Record<string, unknown>)
      assert.equal(res.status, status, `${name}: ${res.text}`)
      assert.ok(isErrorShape(res.body), name)
      assert.match(res.body.message, message, name)
    }
    const unchanged = await env.store.db.selectFrom('contacts').selectAll().where('id', '=', lead.id).executeTakeFirstOrThrow()
    assert.equal(unchanged.follow_up_count, 0)
    assert.equal(unchanged.next_follow_up_at, lead.next_follow_up_at)
  })

  it('treats another organization’s contact as unknown', async () => {
    const lead = await reply(env, await addContact(env, { username: 'ours' }))
    const other = await env.createOrg('Other')
    const res = await done(env, lead.id, {}, other.token)
    assert.equal(res.status, 404)
  })

  it('answers success and changes nothing for a cancelled organization', async () => {
    const lead = await reply(env, await addContact(env, { username: 'paused' }))
    await env.store.write((trx) => setSubscriptionStatus(trx, env.org.id, 'cancelled'))
    const res = await done(env, lead.id)
    assert.equal(res.status, 200)
    assert.equal(res.body.status, 'success')
    assert.match(res.body.message, /cancelled/)
    const after = await env.store.db.selectFrom('contacts').selectAll().where('id', '=', lead.id).executeTakeFirstOrThrow()
    assert.equal(after.follow_up_count, 0)
  })
})

describe('follow-up settings', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('parses cadences and refuses bad ones', () => {
    assert.deepEqual(parseCadenceText('1d,2d,4d,7d'), [1, 2, 4, 7])
    assert.deepEqual(parseCadenceText(' 3 , 10D '), [3, 10])
    for (const bad of ['', '0d', '1d,,2d', '1.5d', '1w', '366d', Array(21).fill('1d').join(',')]) {
      assert.throws(() => parseCadenceText(bad), /cadence/, bad)
    }
  })

  it('shows and changes the settings from the CLI', async () => {
    const shown = await cli(env.dbPath, 'org', 'settings', env.org.id, '--json')
    assert.equal(shown.code, 0, shown.err)
    assert.deepEqual(JSON.parse(shown.out), { timezone: 'UTC', cadence_days: [1, 2, 4, 7] })

    const changed = await cli(env.dbPath, 'org', 'settings', env.org.id, '--timezone', 'europe/berlin', '--cadence', '2d,3d')
    assert.equal(changed.code, 0, changed.err)
    assert.match(changed.out, /timezone: Europe\/Berlin/)
    assert.match(changed.out, /cadence: {2}2d,3d/)

    for (const args of [
      ['--timezone', 'Mars/Olympus'],
      ['--timezone', '+05:00'],
      ['--cadence', '1d,0d'],
    ]) {
      const bad = await cli(env.dbPath, 'org', 'settings', env.org.id, ...args)
      assert.equal(bad.code, 1, args.join(' '))
      assert.match(bad.err, /timezone|cadence/)
    }
    const missing = await cli(env.dbPath, 'org', 'settings', '00000000-0000-4000-8000-000000000000')
    assert.equal(missing.code, 1)

    // The new cadence applies to the next follow-up.
    const lead = await reply(env, await addContact(env, { username: 'lead' }))
    const res = await done(env, lead.id)
    assert.equal(res.body.data.next_follow_up_at, iso(env.now() + 2 * DAY))
  })
})
