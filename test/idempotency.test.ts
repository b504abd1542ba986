import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { isoTime } from '../src/core/time.ts'
import { addEndpoint } from '../src/webhooks/service.ts'
import { addContact, rowCount, setup, type TestEnv } from './helpers.ts'

describe('Idempotency-Key on POST and PATCH', () => {
  let env: TestEnv
  afterEach(async () => {
    await env.close()
  })

  const create = (username: string, key?: string, extra: Record<string, unknown> = {}) =>
    env.call(
      'POST',
      '/api/v1/organization/create-contact',
      {
        organization_id: env.org.id,
        username,
        had_outreach: false,
        last_response_at: '2026-01-15T11:00:00Z',
        last_message_content: 'hi',
        ...extra,
      },
      key === undefined ? {} : { headers: { 'Idempotency-Key': key } },
    )
  const count = (table: 'contacts' | 'activity_log' | 'webhook_deliveries' | 'idempotency_keys') => rowCount(env, table)

  it('replays the stored answer for a repeat, with Idempotent-Replayed: true, and runs nothing again', async () => {
    env = await setup()
    await env.store.write((trx) => addEndpoint(trx, env.org.id, { url: 'http://127.0.0.1:9/x', allowPrivate: true }, isoTime(env.now())))
    const first = await create('johndoe', 'key-1')
    assert.equal(first.status, 201)
    assert.equal(first.headers.get('idempotent-replayed'), null)
    const counts = [await count('contacts'), await count('activity_log'), await count('webhook_deliveries')]
    env.advance(60_000)
    const again = await create('johndoe', 'key-1')
    assert.equal(again.status, 201)
    assert.equal(again.headers.get('idempotent-replayed'), 'true')
    assert.equal(again.text, first.text)
    assert.deepEqual([await count('contacts'), await count('activity_log'), await count('webhook_deliveries')], counts)
    // Without the key the same request runs, as it always did.
    const plain = await create('johndoe')
    assert.equal(plain.status, 200)
    assert.equal(plain.body.message, 'Contact already exists')
  })

  it('answers 422 to the same key on a different request, and scopes keys to the organization', async () => {
    env = await setup()
    assert.equal((await create('johndoe', 'k')).status, 201)
    const other = await create('janedoe', 'k')
    assert.equal(other.status, 422)
    assert.match(other.body.message, /already used for a different request/)
    const contact = await addContact(env, { username: 'x' })
    const patched = await env.call(
      'PATCH',
      '/api/v1/contact/contact-status',
      { organization_id: env.org.id, contact_id: contact.id, lead_status: 'won' },
      { headers: { 'Idempotency-Key': 'k' } },
    )
    assert.equal(patched.status, 422, 'another path is another request')
    const org2 = await env.createOrg('Other')
    const theirs = await env.call(
      'POST',
      '/api/v1/organization/create-contact',
      {
        organization_id: org2.id,
        username: 'johndoe',
        had_outreach: false,
        last_response_at: '2026-01-15T11:00:00Z',
        last_message_content: 'hi',
      },
      { token: org2.token, headers: { 'Idempotency-Key': 'k' } },
    )
    assert.equal(theirs.status, 201)
    assert.equal(theirs.headers.get('idempotent-replayed'), null)
  })

  it('makes exactly one contact from 100 concurrent repeats of one key', async () => {
    env = await setup({ rateLimitPerMinute: 0, rateLimitBurst: 0 })
    const answers = await Promise.all(Array.from({ length: 100 }, () => create('johndoe', 'same')))
    const kinds = answers.map((a) => (a.status === 409 ? '409' : a.headers.get('idempotent-replayed') ? 'replay' : String(a.status)))
    assert.equal(kinds.filter((k) => k === '201').length, 1, kinds.join(' '))
    assert.ok(
      kinds.every((k) => ['201', '409', 'replay'].includes(k)),
      kinds.join(' '),
    )
    assert.ok(answers.filter((a) => a.status === 409).every((a) => a.headers.get('retry-after') === '1'))
    assert.equal(await count('contacts'), 1)
    assert.equal(await count('activity_log'), 1)
  })

  it('keeps a key 24 hours', async () => {
    env = await setup()
    const contact = await addContact(env, { username: 'x' })
    const patch = () =>
      env.call(
        'PATCH',
        '/api/v1/contact/contact-status',
        { organization_id: env.org.id, contact_id: contact.id, lead_status: 'won' },
        { headers: { 'Idempotency-Key': 'daily' } },
      )
    await patch()
    env.advance(24 * 3600 * 1000 - 1)
    assert.equal((await patch()).headers.get('idempotent-replayed'), 'true')
    env.advance(2)
    const later = await patch()
    assert.equal(later.status, 200)
    assert.equal(later.headers.get('idempotent-replayed'), null)
    assert.equal(await count('idempotency_keys'), 1, 'the expired answer was replaced')
  })

  it('a replay spends no rate-limit token', async () => {
    env = await setup({ rateLimitPerMinute: 1, rateLimitBurst: 1 })
    assert.equal((await create('johndoe', 'r')).status, 201)
    const replay = await create('johndoe', 'r')
    assert.equal(replay.status, 201)
    assert.equal(replay.headers.get('idempotent-replayed'), 'true')
    assert.equal((await create('janedoe', 'r2')).status, 429)
  })

  it('stores no answer for a request that failed, so a corrected repeat runs', async () => {
    env = await setup()
    const bad = await create('johndoe', 'fix-me', { email: 'nobody@example.com' })
    assert.equal(bad.status, 404, bad.text)
    assert.equal(await count('idempotency_keys'), 0)
    assert.equal((await create('johndoe', 'fix-me')).status, 201)
  })

  it('refuses a key that is empty, too long or not printable ASCII', async () => {
    env = await setup()
    for (const key of ['x'.repeat(256), 'clé']) {
      const res = await create('johndoe', key)
      assert.equal(res.status, 400, key)
      assert.match(res.body.message, /Idempotency-Key must be 1 to 255 printable ASCII characters/)
    }
    assert.equal(await count('contacts'), 0)
  })
})
