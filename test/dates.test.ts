// Every date a request carries goes through one parser (issue 13, point 7): instants outside the
// years 0000-9999 once the offset is applied are a 400 naming the field (they cannot be written
// back as RFC 3339), and years 0000-0099 are themselves, not 1900-1999.

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { isErrorShape, setup, type TestEnv } from './helpers.ts'

const TOO_LATE = '9999-12-31T23:59:59-23:59' // 10000-01-01T23:58:59Z
const TOO_EARLY = '0000-01-01T00:00:00+01:00' // -000001-12-31T23:00:00Z

describe('dates in requests', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  const defaultReply = (messageDate: string) =>
    env.call('POST', '/api/v1/contact/default-reply', {
      manychat_id: '1',
      username: 'john_doe',
      organization_id: env.org.id,
      message_content: 'hi',
      message_date: messageDate,
    })
  const createInbound = (lastResponseAt: string, username = 'john_doe') =>
    env.call('POST', '/api/v1/organization/create-contact', {
      organization_id: env.org.id,
      username,
      had_outreach: false,
      last_response_at: lastResponseAt,
      last_message_content: 'hi',
    })
  const snooze = async (until: string) => {
    const created = await createInbound('2026-01-15T11:00:00Z', 'sleepy')
    assert.equal(created.status, 201, created.text)
    return env.call('POST', `/api/v1/contacts/${created.body.data.id}/follow-ups`, { snooze_until: until })
  }
  const inQuery = (path: string) => (date: string) => env.call('GET', `${path}?updated_since=${encodeURIComponent(date)}`)

  const inputs: [string, string, (date: string) => Promise<{ status: number; body: any; text: string }>][] = [
    ['default-reply message_date', 'message_date', defaultReply],
    ['create-contact last_response_at', 'last_response_at', createInbound],
    ['follow-up snooze_until', 'snooze_until', snooze],
    ['contact list updated_since', 'updated_since', inQuery('/api/v1/contacts')],
    ['CSV export updated_since', 'updated_since', inQuery('/api/v1/contacts/export.csv')],
  ]
  for (const [name, field, send] of inputs) {
    for (const date of [TOO_LATE, TOO_EARLY, '+010000-01-01T00:00:00Z']) {
      it(`refuses ${name} ${date} with a 400 naming the field`, async () => {
        const res = await send(date)
        assert.equal(res.status, 400, res.text)
        assert.ok(isErrorShape(res.body))
        assert.deepEqual(
          res.body.details.map((d: { field: string }) => d.field),
          [field],
        )
        assert.match(res.body.message, new RegExp(`^${field} must`))
      })
    }
  }

  it('says the year is out of range, not that the text is malformed', async () => {
    const res = await defaultReply(TOO_LATE)
    assert.equal(res.body.message, 'message_date must fall between the years 0000 and 9999 once its offset is applied')
  })

  it('accepts the last instant of 9999 and the first of 0000', async () => {
    assert.equal((await snooze('9999-12-31T23:59:59.999Z')).body.data.next_follow_up_at, '9999-12-31T23:59:59.999Z')
    assert.equal((await createInbound('0000-01-01T00:00:00-00:30', 'early')).body.data.last_response_at, '0000-01-01T00:30:00.000Z')
  })

  for (const [given, stored] of [
    ['0000-02-29T12:00:00Z', '0000-02-29T12:00:00.000Z'], // year 0 is a leap year; 1900 is not
    ['0050-06-01', '0050-06-01T00:00:00.000Z'],
    ['0099-12-31T23:30:00-01:00', '0100-01-01T00:30:00.000Z'],
  ] as const) {
    it(`takes year ${given.slice(0, 4)} as itself: ${given}`, async () => {
      const res = await createInbound(given)
      assert.equal(res.status, 201, res.text)
      assert.equal(res.body.data.last_response_at, stored)
    })
  }
})
