import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { pageReports } from '../src/analytics/service.ts'
import { dayBounds, parseDay } from '../src/core/time-zone.ts'
import { updateFollowUpSettings } from '../src/follow-ups/settings.ts'
import { renameStage } from '../src/pipeline/service.ts'
import { addUser, removeMember } from '../src/users/service.ts'
import { cli, isErrorShape, setup, type TestEnv } from './helpers.ts'

// Setter analytics on hand-computed data (docs/analytics.md has the definitions). The organization
// is in New York (UTC-5 in January): its 14 January runs from 05:00 UTC on the 14th to 05:00 UTC on
// the 15th. The expected numbers below are worked out by hand from the story in `before`.

const RANGE = 'from=2026-01-14&to=2026-01-16'

describe('setter analytics', () => {
  let env: TestEnv
  const ids: Record<string, string> = {}
  const at = (time: string) => env.advance(Date.parse(time) - env.now())

  // The story's steps run in time order, whatever order they are written in (the clock only moves forward).
  const steps: { time: string; run: () => Promise<void> }[] = []
  const step = (time: string, run: () => Promise<void>) =>
    steps.push({
      time,
      run: async () => {
        at(time)
        await run()
      },
    })
  const createContact = (time: string, body: Record<string, unknown>, expect: (res: { status: number; body: any; text: string }) => void) =>
    step(time, async () => {
      const res = await env.call('POST', '/api/v1/organization/create-contact', {
        organization_id: env.org.id,
        activate_followups: false,
        ...body,
      })
      expect(res)
      ids[body.username as string] ??= res.body.data.id
    })
  const outreach = (
    time: string,
    username: string,
    fields: { email?: string; reason: string; reasonLabel?: string; messageLabel?: string; followUps?: boolean },
  ) =>
    createContact(
      time,
      {
        username,
        had_outreach: true,
        outreach_reason: fields.reason,
        outreach_text: 'Hey there',
        outreach_reason_label: fields.reasonLabel,
        outreach_message_label: fields.messageLabel,
        email: fields.email,
        activate_followups: fields.followUps ?? false,
      },
      (res) => assert.equal(res.status, 201, res.text),
    )
  const reply = (time: string, username: string, sentAt?: string) =>
    step(time, async () => {
      const res = await env.call('POST', '/api/v1/contact/default-reply', {
        organization_id: env.org.id,
        manychat_id: `mc_${username}`,
        username,
        message_content: 'Sounds good',
        message_date: sentAt,
      })
      assert.equal(res.status, 200, res.text)
      ids[username] ??= res.body.data.id
    })
  const status = (time: string, username: string, change: { pipeline_stage?: string; lead_status?: string }) =>
    step(time, async () => {
      const res = await env.call('PATCH', '/api/v1/contact/contact-status', {
        organization_id: env.org.id,
        contact_id: ids[username],
        ...change,
      })
      assert.equal(res.status, 200, res.text)
    })
  const followUp = (time: string, username: string, body: Record<string, unknown> = {}) =>
    step(time, async () => {
      const res = await env.call('POST', `/api/v1/contacts/${ids[username]}/follow-ups`, body)
      assert.equal(res.status, 200, res.text)
    })
  const archive = (time: string, username: string) =>
    step(time, async () => {
      assert.equal((await env.call('DELETE', `/api/v1/contacts/${ids[username]}`)).status, 200)
    })
  const get = async (path: string) => {
    const res = await env.call('GET', path)
    assert.equal(res.status, 200, res.text)
    return res.body.data
  }

  before(async () => {
    env = await setup()
    await env.store.write(async (trx) => {
      await updateFollowUpSettings(trx, env.org.id, { timezone: 'America/New_York', cadence: '1d,30d' })
      for (const [email, name] of [
        ['alice@example.com', 'Alice'],
        ['bob@example.com', 'Bob'],
        ['carol@example.com', 'Carol'],
      ]) {
        await addUser(trx, { email: email!, name, organizationId: env.org.id, role: 'member' }, '2026-01-01T00:00:00.000Z')
      }
    })
    const alice = 'alice@example.com'
    const bob = 'bob@example.com'

    // The cohort (follow-ups off, so only the follow-up contacts below make follow-ups).
    outreach('2026-01-14T04:59:00.000Z', 'early', { email: alice, reason: 'podcast' }) // 13 Jan in New York: outside
    reply('2026-01-14T06:00:00.000Z', 'early')
    outreach('2026-01-14T05:00:00.000Z', 'a_one', { email: alice, reason: 'podcast', messageLabel: 'A' }) // 14 Jan, 00:00
    reply('2026-01-14T07:00:00.000Z', 'a_one') // 2 h
    status('2026-01-14T08:00:00.000Z', 'a_one', { pipeline_stage: 'Meeting Booked' }) // booked via the stage
    outreach('2026-01-15T04:59:59.999Z', 'a_two', { email: alice, reason: 'podcast', messageLabel: 'B' }) // 14 Jan, 23:59:59.999
    reply('2026-01-15T06:00:00.000Z', 'a_two', '2026-01-15T04:00:00.000Z') // sent before the outreach: not a reply to it
    reply('2026-01-15T09:00:00.000Z', 'a_two', '2026-01-15T08:59:59.999Z') // 4 h
    status('2026-01-15T10:00:00.000Z', 'a_two', { lead_status: 'won' }) // booked via won
    outreach('2026-01-15T10:00:00.000Z', 'b_one', { email: bob, reason: 'referral', messageLabel: 'A' }) // 15 Jan
    status('2026-01-15T10:30:00.000Z', 'b_one', { lead_status: 'won' }) // won without a reply: not booked
    // Inbound on 15 Jan (bob's), converted to outreach at 12:00 UTC: in the 15 Jan cohort.
    createContact(
      '2026-01-15T11:00:00.000Z',
      { username: 'conv', had_outreach: false, last_message_content: 'Hi!', last_response_at: '2026-01-15T11:00:00.000Z', email: bob },
      (res) => assert.equal(res.status, 201, res.text),
    )
    createContact(
      '2026-01-15T12:00:00.000Z',
      { username: 'conv', had_outreach: true, outreach_reason: 'referral', outreach_text: 'Hey there' },
      (res) => assert.equal(res.body.message, 'Contact converted to outreach', res.text),
    )
    reply('2026-01-15T18:00:00.000Z', 'conv') // 6 h after the conversion
    step(
      '2026-01-15T18:30:00.000Z',
      async () => void (await env.store.write((trx) => renameStage(trx, env.org.id, 'Meeting Booked', 'Call Booked'))),
    )
    status('2026-01-15T19:00:00.000Z', 'conv', { pipeline_stage: 'Call Booked' }) // the booking stage, renamed
    outreach('2026-01-16T06:00:00.000Z', 'nobody_one', { reason: 'podcast' }) // unassigned, 16 Jan
    reply('2026-01-16T07:00:00.000Z', 'nobody_one') // 1 h
    outreach('2026-01-16T05:30:00.000Z', 'archived', { email: alice, reason: 'referral', messageLabel: 'B' })
    reply('2026-01-16T06:30:00.000Z', 'archived') // 1 h
    archive('2026-01-16T08:00:00.000Z', 'archived') // archived contacts still count
    outreach('2026-01-16T09:00:00.000Z', 'reassigned', { email: alice, reason: 'podcast', messageLabel: 'A' })
    step('2026-01-16T09:30:00.000Z', async () => {
      const patched = await env.call('PATCH', `/api/v1/contacts/${ids.reassigned}`, { assigned_email: bob })
      assert.equal(patched.status, 200, patched.text)
    })

    // Inbound from ManyChat: unassigned. Its reply opens a follow-up due at once (14 Jan), never done.
    reply('2026-01-14T12:00:00.000Z', 'dm_one')
    reply('2026-01-17T05:00:00.000Z', 'dm_late') // 17 Jan: outside

    // Follow-ups: outreach on 13 Jan at 10:00 in New York (outside the cohort), each due on 14 Jan at 10:00.
    for (const name of ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f9'])
      outreach('2026-01-13T15:00:00.000Z', name, { email: alice, reason: 'followup', followUps: true })
    outreach('2026-01-13T15:00:00.000Z', 'f8', { email: bob, reason: 'followup', followUps: true })
    followUp('2026-01-14T20:00:00.000Z', 'f1') // done on the due day: on time
    followUp('2026-01-15T04:30:00.000Z', 'f2') // 23:30 on the due day in New York (15 Jan in UTC): on time
    followUp('2026-01-15T05:00:00.000Z', 'f3') // 00:00 the day after: late
    followUp('2026-01-14T10:00:00.000Z', 'f4', { snooze_until: '2026-01-16T12:00:00.000Z' }) // snoozed before it was due: moves to 16 Jan
    followUp('2026-01-15T12:00:00.000Z', 'f5', { snooze_until: '2026-01-20T12:00:00.000Z' }) // snoozed after its day: missed
    // f6: never acted on (overdue).
    archive('2026-01-14T12:00:00.000Z', 'f7') // archived before its day ended: not due
    followUp('2026-01-13T20:00:00.000Z', 'f8') // done early: on time
    reply('2026-01-14T09:00:00.000Z', 'f9') // the reply replaces it with one due at once...
    followUp('2026-01-14T09:30:00.000Z', 'f9') // ...done on time; the next is due 15 Jan 04:30 New York, never done

    at('2026-01-13T00:00:00.000Z')
    for (const { run } of steps.sort((a, b) => a.time.localeCompare(b.time))) await run()
    at('2026-01-16T20:00:00.000Z') // 16 Jan, 15:00 in New York
  })
  after(async () => {
    await env.close()
  })

  const zero = {
    outreach_count: 0,
    replied_count: 0,
    reply_rate: null,
    booked_count: 0,
    booking_rate: null,
    follow_ups_due: 0,
    follow_ups_done_on_time: 0,
    follow_up_consistency: null,
    median_hours_to_first_reply: null,
    inbound_count: 0,
  }

  it('counts per setter, attributed to the current assignee, with an unassigned row', async () => {
    const data = await get(`/api/v1/analytics/setters?${RANGE}`)
    assert.equal(data.from, '2026-01-14')
    assert.equal(data.to, '2026-01-16')
    assert.equal(data.timezone, 'America/New_York')
    const rows = Object.fromEntries(data.setters.map((s: { email: string | null }) => [s.email ?? 'unassigned', s]))
    assert.deepEqual(Object.keys(rows), ['alice@example.com', 'bob@example.com', 'carol@example.com', 'unassigned'])
    const { user_id, email, name, ...alice } = rows['alice@example.com']
    assert.equal(name, 'Alice')
    assert.deepEqual(alice, {
      outreach_count: 3,
      replied_count: 3,
      reply_rate: 1,
      booked_count: 2,
      booking_rate: 0.6667,
      follow_ups_due: 8,
      follow_ups_done_on_time: 3,
      follow_up_consistency: 0.375,
      median_hours_to_first_reply: 2,
      inbound_count: 0,
    })
    const { user_id: _b, email: _be, name: _bn, ...bob } = rows['bob@example.com']
    assert.deepEqual(bob, {
      outreach_count: 3,
      replied_count: 1,
      reply_rate: 0.3333,
      booked_count: 1,
      booking_rate: 1,
      follow_ups_due: 1,
      follow_ups_done_on_time: 1,
      follow_up_consistency: 1,
      median_hours_to_first_reply: 6,
      inbound_count: 1,
    })
    const { user_id: _c, email: _ce, name: _cn, ...carol } = rows['carol@example.com']
    assert.deepEqual(carol, zero)
    assert.deepEqual(rows.unassigned, {
      user_id: null,
      email: null,
      name: null,
      outreach_count: 1,
      replied_count: 1,
      reply_rate: 1,
      booked_count: 0,
      booking_rate: 0,
      follow_ups_due: 1,
      follow_ups_done_on_time: 0,
      follow_up_consistency: 0,
      median_hours_to_first_reply: 1,
      inbound_count: 1,
    })
    assert.deepEqual(data.totals, {
      outreach_count: 7,
      replied_count: 5,
      reply_rate: 0.7143,
      booked_count: 3,
      booking_rate: 0.6,
      follow_ups_due: 10,
      follow_ups_done_on_time: 4,
      follow_up_consistency: 0.4,
      median_hours_to_first_reply: 2,
      inbound_count: 2,
    })
    assert.ok(user_id)
  })

  it('counts per calendar day in the organization’s time zone', async () => {
    const data = await get(`/api/v1/analytics/daily?${RANGE}`)
    assert.deepEqual(data.days, [
      {
        day: '2026-01-14',
        outreach_count: 2,
        replied_count: 2,
        reply_rate: 1,
        booked_count: 2,
        booking_rate: 1,
        follow_ups_due: 8,
        follow_ups_done_on_time: 4,
        follow_up_consistency: 0.5,
        median_hours_to_first_reply: 3,
        inbound_count: 1,
      },
      {
        day: '2026-01-15',
        outreach_count: 2,
        replied_count: 1,
        reply_rate: 0.5,
        booked_count: 1,
        booking_rate: 1,
        follow_ups_due: 1,
        follow_ups_done_on_time: 0,
        follow_up_consistency: 0,
        median_hours_to_first_reply: 6,
        inbound_count: 1,
      },
      {
        day: '2026-01-16',
        outreach_count: 3,
        replied_count: 2,
        reply_rate: 0.6667,
        booked_count: 0,
        booking_rate: 0,
        follow_ups_due: 1,
        follow_ups_done_on_time: 0,
        follow_up_consistency: 0,
        median_hours_to_first_reply: 1,
        inbound_count: 0,
      },
    ])
  })

  it('filters the days to one setter', async () => {
    const data = await get(`/api/v1/analytics/daily?${RANGE}&assigned_email=BOB@example.com`)
    assert.deepEqual(
      data.days.map((d: { day: string; outreach_count: number; replied_count: number; follow_ups_due: number; inbound_count: number }) => [
        d.day,
        d.outreach_count,
        d.replied_count,
        d.follow_ups_due,
        d.inbound_count,
      ]),
      [
        ['2026-01-14', 0, 0, 1, 0],
        ['2026-01-15', 2, 1, 0, 1],
        ['2026-01-16', 1, 0, 0, 0],
      ],
    )
  })

  it('counts per outreach reason and per message label, contacts without one in the null row', async () => {
    const byReason = await get(`/api/v1/analytics/outreach?${RANGE}&by=reason`)
    assert.equal(byReason.by, 'reason')
    const pick = (r: Record<string, unknown>) => [
      r.outreach_count,
      r.replied_count,
      r.booked_count,
      r.median_hours_to_first_reply,
      r.follow_ups_due,
      r.follow_ups_done_on_time,
      r.inbound_count,
    ]
    assert.deepEqual(
      byReason.rows.map((r: Record<string, unknown>) => [r.outreach_reason, ...pick(r)]),
      [
        ['followup', 0, 0, 0, null, 9, 4, 0],
        ['podcast', 4, 3, 2, 2, 0, 0, 0],
        ['referral', 3, 2, 1, 3.5, 0, 0, 1], // the converted contact's inbound count goes with its current fields
        [null, 0, 0, 0, null, 1, 0, 1],
      ],
    )
    const byLabel = await get(`/api/v1/analytics/outreach?${RANGE}&by=message_label`)
    assert.deepEqual(
      byLabel.rows.map((r: Record<string, unknown>) => [r.outreach_message_label, ...pick(r)]),
      [
        ['A', 3, 1, 1, 2, 0, 0, 0],
        ['B', 2, 2, 1, 2.5, 0, 0, 0],
        [null, 2, 2, 1, 3.5, 10, 4, 2],
      ],
    )
    assert.equal(byLabel.rows[0].reply_rate, 0.3333)
  })

  it('agrees across the three endpoints: totals = sum of rows = sum of days', async () => {
    const setters = await get(`/api/v1/analytics/setters?${RANGE}`)
    const daily = await get(`/api/v1/analytics/daily?${RANGE}`)
    const outreachRows = await get(`/api/v1/analytics/outreach?${RANGE}&by=reason_label`)
    assert.deepEqual(daily.totals, setters.totals)
    assert.deepEqual(outreachRows.totals, setters.totals)
    for (const field of ['outreach_count', 'replied_count', 'booked_count', 'follow_ups_due', 'follow_ups_done_on_time', 'inbound_count']) {
      const sum = (rows: Record<string, number>[]) => rows.reduce((s, r) => s + r[field]!, 0)
      assert.equal(sum(setters.setters), setters.totals[field], field)
      assert.equal(sum(daily.days), setters.totals[field], field)
      assert.equal(sum(outreachRows.rows), setters.totals[field], field)
    }
  })

  it('gives the web page, from one pass, the same three reports as the endpoints', async () => {
    const org = await env.store.db.selectFrom('organizations').selectAll().where('id', '=', env.org.id).executeTakeFirstOrThrow()
    for (const by of ['message_label', 'reason'] as const) {
      const page = await pageReports(env.store.db, org, { from: '2026-01-13', to: '2026-01-16', by }, env.now())
      assert.deepEqual(page.setters, await get('/api/v1/analytics/setters?from=2026-01-13&to=2026-01-16'))
      assert.deepEqual(page.daily, await get('/api/v1/analytics/daily?from=2026-01-13&to=2026-01-16'))
      assert.deepEqual(page.outreach, await get(`/api/v1/analytics/outreach?from=2026-01-13&to=2026-01-16&by=${by}`))
    }
  })

  it('answers an empty range with zeros and null rates, one row per day', async () => {
    const data = await get('/api/v1/analytics/daily?from=2025-03-01&to=2025-03-03')
    assert.deepEqual(
      data.days.map((d: { day: string }) => d.day),
      ['2025-03-01', '2025-03-02', '2025-03-03'],
    )
    for (const d of data.days) assert.deepEqual({ ...d, day: undefined }, { ...zero, day: undefined })
    assert.deepEqual(data.totals, zero)
  })

  it('defaults to the last 30 days up to today in the organization’s time zone', async () => {
    at('2026-01-17T04:00:00.000Z') // still 16 Jan in New York
    const data = await get('/api/v1/analytics/daily')
    assert.equal(data.to, '2026-01-16')
    assert.equal(data.from, '2025-12-18')
    assert.equal(data.days.length, 30)
  })

  it('refuses a bad range with a 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['from=2026-01-16&to=2026-01-14', 'to'],
      ['from=2025-01-01&to=2026-01-02', 'from'], // 367 days
      ['from=2026-02-30', 'from'],
      ['to=2026-1-5', 'to'],
      ['since=2026-01-01', 'since'],
    ]
    for (const [query, field] of cases) {
      for (const path of ['setters', 'daily.csv']) {
        const res = await env.call('GET', `/api/v1/analytics/${path}?${query}`)
        assert.equal(res.status, 400, `${path}?${query}: ${res.text}`)
        assert.ok(isErrorShape(res.body))
        assert.ok(
          res.body.details.some((d: { field: string }) => d.field === field),
          `${query}: ${res.text}`,
        )
      }
    }
    assert.equal((await env.call('GET', '/api/v1/analytics/outreach?by=tag')).status, 400)
    const stranger = await env.call('GET', '/api/v1/analytics/daily?assigned_email=nobody@example.com')
    assert.equal(stranger.status, 400)
    assert.equal(stranger.body.details[0].field, 'assigned_email')
    assert.equal((await env.call('GET', '/api/v1/analytics/daily?from=2025-01-01&to=2026-01-01')).status, 200) // 366 days
    assert.equal((await env.call('GET', '/api/v1/analytics/setters', undefined, { token: null })).status, 401)
  })

  it('gives the same numbers as CSV, with a total row and formula-safe cells', async () => {
    const res = await env.call('GET', `/api/v1/analytics/setters.csv?${RANGE}`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type')!, /^text\/csv/)
    assert.match(res.headers.get('content-disposition')!, /attachment; filename="analytics-setters-2026-01-1\d\.csv"/)
    const lines = res.text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n')
    assert.equal(
      lines[0],
      '"row","user_id","email","name","outreach_count","replied_count","reply_rate","booked_count","booking_rate","follow_ups_due","follow_ups_done_on_time","follow_up_consistency","median_hours_to_first_reply","inbound_count"',
    )
    assert.equal(lines.length, 1 + 4 + 1)
    assert.match(lines[1]!, /^"setter","[^"]+","alice@example.com","Alice","3","3","1","2","0.6667","8","3","0.375","2","0"$/)
    assert.equal(lines[4], '"unassigned","","","","1","1","1","0","0","1","0","0","1","1"')
    assert.equal(lines[5], '"total","","","","7","5","0.7143","3","0.6","10","4","0.4","2","2"')

    const daily = await env.call('GET', `/api/v1/analytics/daily.csv?${RANGE}&assigned_email=bob@example.com`)
    assert.equal(daily.text.replace(/^\uFEFF/, '').split('\r\n')[2], '"day","2026-01-15","2","1","0.5","1","1","0","0","","6","1"')

    // A reason that a spreadsheet would run as a formula is neutralised.
    at('2026-01-17T04:30:00.000Z') // still 16 Jan in New York
    await env.call('POST', '/api/v1/organization/create-contact', {
      organization_id: env.org.id,
      username: 'formula',
      had_outreach: true,
      outreach_reason: '=HYPERLINK("x")',
      outreach_text: 'hi',
      activate_followups: false,
    })
    const csv = await env.call('GET', `/api/v1/analytics/outreach.csv?${RANGE}&by=reason`)
    assert.ok(csv.text.includes('"value","\'=HYPERLINK(""x"")","1","0",'), csv.text)
  })
})

describe('assigning a contact (PATCH /contacts/{id})', () => {
  let env: TestEnv
  before(async () => {
    env = await setup()
    await env.store.write(async (trx) => {
      await addUser(trx, { email: 'alice@example.com', organizationId: env.org.id, role: 'member' }, '2026-01-01T00:00:00.000Z')
      await addUser(trx, { email: 'outsider@example.com', role: 'member' }, '2026-01-01T00:00:00.000Z')
      await addUser(trx, { email: 'bob@example.com', organizationId: env.org.id, role: 'member' }, '2026-01-01T00:00:00.000Z')
    })
  })
  after(async () => {
    await env.close()
  })

  it('sets the assignee from create-contact’s email, changes and clears it, and logs each change', async () => {
    const created = await env.call('POST', '/api/v1/organization/create-contact', {
      organization_id: env.org.id,
      username: 'lead_one',
      had_outreach: true,
      outreach_reason: 'x',
      outreach_text: 'y',
      email: 'alice@example.com',
    })
    const id = created.body.data.id
    const alice = created.body.data.created_by_user_id
    assert.equal(created.body.data.assigned_user_id, alice)

    const cleared = await env.call('PATCH', `/api/v1/contacts/${id}`, { assigned_email: null })
    assert.equal(cleared.status, 200, cleared.text)
    assert.equal(cleared.body.data.assigned_user_id, null)
    const again = await env.call('PATCH', `/api/v1/contacts/${id}`, { assigned_email: null }) // no change, not logged
    assert.equal(again.status, 200)
    const set = await env.call('PATCH', `/api/v1/contacts/${id}`, { assigned_email: 'ALICE@example.com' })
    assert.equal(set.body.data.assigned_user_id, alice)

    const detail = await env.call('GET', `/api/v1/contacts/${id}`)
    const assigned = detail.body.data.activity.items.filter((a: { action: string }) => a.action === 'assigned')
    assert.deepEqual(
      assigned.map((a: { old_value: string | null; new_value: string | null }) => [a.old_value, a.new_value]),
      [
        [null, 'alice@example.com'],
        ['alice@example.com', null],
      ],
    )
  })

  it('moves the contact’s numbers, past follow-ups included, to the new setter', async () => {
    const created = await env.call('POST', '/api/v1/organization/create-contact', {
      organization_id: env.org.id,
      username: 'moving',
      had_outreach: true,
      outreach_reason: 'x',
      outreach_text: 'y',
      email: 'alice@example.com',
    })
    env.advance(24 * 3_600_000) // the first follow-up is due now
    assert.equal((await env.call('POST', `/api/v1/contacts/${created.body.data.id}/follow-ups`, {})).status, 200)
    const row = async (email: string) => {
      const data = (await env.call('GET', '/api/v1/analytics/setters')).body.data
      const r = data.setters.find((s: { email: string }) => s.email === email)
      return [r.outreach_count, r.follow_ups_due, r.follow_ups_done_on_time]
    }
    const before = await row('alice@example.com')
    await env.call('PATCH', `/api/v1/contacts/${created.body.data.id}`, { assigned_email: 'bob@example.com' })
    assert.deepEqual(await row('bob@example.com'), [1, 1, 1]) // the next one is due in 2 days, after the range
    assert.deepEqual(await row('alice@example.com'), [before[0]! - 1, before[1]! - 1, before[2]! - 1])
  })

  it('keeps a removed member’s contacts in a row of their own, after the members, until reassigned', async () => {
    const org = await env.createOrg('Formers')
    await env.store.write(async (trx) => {
      await addUser(trx, { email: 'zed@example.com', organizationId: org.id, role: 'member' }, '2026-01-01T00:00:00.000Z')
      await addUser(trx, { email: 'amy@example.com', organizationId: org.id, role: 'member' }, '2026-01-01T00:00:00.000Z')
    })
    const options = { token: org.token }
    for (const [username, email] of [
      ['by_zed', 'zed@example.com'],
      ['by_amy', 'amy@example.com'],
      ['by_amy_too', 'amy@example.com'],
      ['by_nobody', undefined],
    ]) {
      const res = await env.call(
        'POST',
        '/api/v1/organization/create-contact',
        { organization_id: org.id, username, had_outreach: true, outreach_reason: 'x', outreach_text: 'y', email },
        options,
      )
      assert.equal(res.status, 201, res.text)
    }
    const amy = await env.store.db.selectFrom('users').select('id').where('email', '=', 'amy@example.com').executeTakeFirstOrThrow()
    await env.store.write((trx) => removeMember(trx, 'owner', org.id, amy.id))
    const res = await env.call('GET', '/api/v1/analytics/setters', undefined, options)
    assert.equal(res.status, 200, res.text)
    const data = res.body.data
    assert.deepEqual(
      data.setters.map((s: { email: string | null; outreach_count: number }) => [s.email, s.outreach_count]),
      [
        ['zed@example.com', 1],
        ['amy@example.com', 2],
        [null, 1],
      ],
    )
    assert.equal(data.totals.outreach_count, 4)
  })

  it('refuses a non-member (403), an unknown user or contact (404) and other fields (400)', async () => {
    const created = await env.call('POST', '/api/v1/organization/create-contact', {
      organization_id: env.org.id,
      username: 'lead_two',
      had_outreach: true,
      outreach_reason: 'x',
      outreach_text: 'y',
    })
    const id = created.body.data.id
    assert.equal((await env.call('PATCH', `/api/v1/contacts/${id}`, { assigned_email: 'outsider@example.com' })).status, 403)
    assert.equal((await env.call('PATCH', `/api/v1/contacts/${id}`, { assigned_email: 'ghost@example.com' })).status, 404)
    assert.equal((await env.call('PATCH', '/api/v1/contacts/0190b6a0-0000-7000-8000-000000000000', { assigned_email: null })).status, 404)
    const extra = await env.call('PATCH', `/api/v1/contacts/${id}`, { assigned_email: null, username: 'renamed' })
    assert.equal(extra.status, 400)
    assert.ok(isErrorShape(extra.body))
    assert.equal((await env.call('PATCH', `/api/v1/contacts/${id}`, {})).status, 400)
    assert.equal((await env.call('PATCH', `/api/v1/contacts/${id}`, { assigned_email: 'not an email' })).status, 400)
  })
})

describe('the booking stage setting', () => {
  let env: TestEnv
  before(async () => {
    env = await setup()
  })
  after(async () => {
    await env.close()
  })

  it('counts contacts entering the stage named by `dmtracker stage set-booking` as booked, and no longer the old one', async () => {
    const booked = async () => (await env.call('GET', '/api/v1/analytics/setters')).body.data.totals.booked_count
    const replied = async (username: string) => {
      const res = await env.call('POST', '/api/v1/organization/create-contact', {
        organization_id: env.org.id,
        username,
        had_outreach: true,
        outreach_reason: 'x',
        outreach_text: 'y',
      })
      env.advance(60_000)
      await env.call('POST', '/api/v1/contact/default-reply', {
        organization_id: env.org.id,
        manychat_id: `mc_${username}`,
        username,
        message_content: 'hi',
      })
      return res.body.data.id as string
    }
    const move = (id: string, stage: string) =>
      env.call('PATCH', '/api/v1/contact/contact-status', { organization_id: env.org.id, contact_id: id, pipeline_stage: stage })

    const first = await replied('first')
    assert.equal((await move(first, 'Interested')).status, 200)
    assert.equal(await booked(), 0)
    const set = await cli(env.dbPath, 'stage', 'set-booking', env.org.id, 'interested')
    assert.equal(set.code, 0, set.err)
    assert.match(set.out, /"Interested" now count as booked/)
    const second = await replied('second')
    await move(second, 'Interested')
    const third = await replied('third')
    await move(third, 'Meeting Booked') // the default booking stage no longer books
    assert.equal(await booked(), 1)
    assert.equal((await cli(env.dbPath, 'stage', 'set-booking', env.org.id, 'Nope')).code, 1)
  })
})

describe('report days', () => {
  it('run from local midnight to local midnight, 23 or 25 hours long when the clocks change', () => {
    assert.deepEqual(dayBounds('America/New_York', parseDay('2026-03-07')!, 3), [
      '2026-03-07T05:00:00.000Z',
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
      '2026-03-10T04:00:00.000Z',
    ])
    assert.deepEqual(dayBounds('Europe/Berlin', parseDay('2026-10-24')!, 3), [
      '2026-10-23T22:00:00.000Z',
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
      '2026-10-26T23:00:00.000Z',
    ])
    // A day a zone skipped (Samoa, 30 December 2011) is empty.
    const apia = dayBounds('Pacific/Apia', parseDay('2011-12-29')!, 2)
    assert.equal(apia[1], apia[2])
  })
})
