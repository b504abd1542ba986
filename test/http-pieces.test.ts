// The cross-cutting HTTP pieces every endpoint uses, mounted on a small app of their own:
// auth, the JSON body reader, validation and the error renderer.

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { Hono } from 'hono'
import * as v from 'valibot'
import { AppError } from '../src/core/errors.ts'
import { email, igId, isoDate, looseUsername, manychatId, tagColor, uuid } from '../src/core/fields.ts'
import { isoTime } from '../src/core/time.ts'
import { parseTrustProxy } from '../src/core/trust-proxy.ts'
import { parseInput } from '../src/core/validate.ts'
import type { Store } from '../src/db/open.ts'
import { orgAuth } from '../src/http/auth.ts'
import { readJsonObject } from '../src/http/body.ts'
import { clientAddressOf } from '../src/http/client-address.ts'
import type { AppEnv } from '../src/http/context.ts'
import { errorRenderer, errorStatus } from '../src/http/render-error.ts'
import { revokeToken } from '../src/tokens/service.ts'
import { TokenUsage } from '../src/tokens/usage.ts'
import { isErrorShape, setup, T0, type TestEnv } from './helpers.ts'

const schema = v.object({
  organization_id: uuid,
  username: looseUsername,
  manychat_id: v.optional(manychatId),
  ig_id: v.optional(igId),
  email: v.optional(email),
  when: v.optional(isoDate),
  color: v.optional(tagColor),
})

describe('HTTP pieces', () => {
  let env: TestEnv
  let app: Hono<AppEnv>
  let usage: TokenUsage
  let logged: Record<string, unknown>[]
  const send = async (body: string | undefined, headers: Record<string, string> = {}) => {
    const res = await app.request('/echo', { method: 'POST', headers: { 'x-org-auth-token': env.org.token, ...headers }, body })
    return { status: res.status, headers: res.headers, body: (await res.json()) as any }
  }

  beforeEach(async () => {
    env = await setup()
    usage = new TokenUsage(env.store)
    app = new Hono<AppEnv>()
    app.post(
      '/echo',
      orgAuth({
        db: env.store.db,
        usage,
        now: () => env.now(),
        failuresPerMinute: 3,
        clientAddress: clientAddressOf(parseTrustProxy('1')),
      }),
      async (c) => {
        const input = parseInput(schema, await readJsonObject(c, 1024))
        return c.json({ input, org: c.get('caller').organizationId })
      },
    )
    app.post('/boom', () => {
      throw new Error('SELECT secret FROM internals')
    })
    app.post('/busy', () => {
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    })
    logged = []
    app.onError(errorRenderer((entry) => logged.push(entry)))
  })
  afterEach(async () => {
    await usage.stop()
    await env.close()
  })

  it('authenticates a valid token and names its organization', async () => {
    const res = await send(JSON.stringify({ organization_id: env.org.id, username: ' @John_Doe ' }))
    assert.equal(res.status, 200)
    assert.equal(res.body.org, env.org.id)
    assert.equal(res.body.input.username, 'john_doe')
  })

  for (const [name, headers] of [
    ['a missing token', { 'x-org-auth-token': '' }],
    ['an unknown token', { 'x-org-auth-token': 'dmt_not-a-real-token' }],
  ] as const) {
    it(`answers ${name} with 401`, async () => {
      const res = await send('{}', headers)
      assert.equal(res.status, 401)
      assert.ok(isErrorShape(res.body))
      assert.match(res.body.message, /x-org-auth-token/)
    })
  }

  it('throttles bad tokens from an address after repeated failures, never a valid one', async () => {
    const wrong = { 'x-org-auth-token': 'dmt_guess' }
    const valid = JSON.stringify({ organization_id: env.org.id, username: 'x' })
    for (let i = 0; i < 3; i++) assert.equal((await send('{}', wrong)).status, 401)
    const throttled = await send('{}', wrong)
    assert.equal(throttled.status, 429)
    assert.equal(throttled.headers.get('retry-after'), '60')
    assert.ok(isErrorShape(throttled.body))
    assert.equal((await send('{}', { 'x-org-auth-token': '' })).status, 429, 'a missing token is a failure too')
    assert.equal((await send(valid)).status, 200, 'a valid token from the throttled address still works')
    const other = await send('{}', { ...wrong, 'x-forwarded-for': '203.0.113.9' })
    assert.equal(other.status, 401, 'another client address is not affected')
    env.advance(20_001) // one failure's worth of the minute
    assert.equal((await send('{}', wrong)).status, 401)
    assert.equal((await send('{}', wrong)).status, 429)
  })

  it('keeps last-use times whose write failed for the next flush', async () => {
    const row = await env.store.db.selectFrom('api_tokens').select('id').executeTakeFirstOrThrow()
    let failing = true
    const flaky = {
      write: (work: never) => (failing ? Promise.reject(new Error('database is locked')) : env.store.write(work)),
    } as unknown as Store
    const tracker = new TokenUsage(flaky)
    tracker.touch(row.id, T0)
    await assert.rejects(tracker.flush(), /locked/)
    failing = false
    await tracker.stop()
    const after = await env.store.db.selectFrom('api_tokens').select('last_used_at').executeTakeFirstOrThrow()
    assert.equal(after.last_used_at, new Date(T0).toISOString())
  })

  it('refuses a revoked token at once', async () => {
    const row = await env.store.db.selectFrom('api_tokens').select('id').where('organization_id', '=', env.org.id).executeTakeFirstOrThrow()
    await env.store.write((trx) => revokeToken(trx, row.id, isoTime()))
    assert.equal((await send('{}')).status, 401)
  })

  it('records when a token was last used without writing on every request', async () => {
    await send(JSON.stringify({ organization_id: env.org.id, username: 'x' }))
    const before = await env.store.db.selectFrom('api_tokens').select('last_used_at').executeTakeFirstOrThrow()
    assert.equal(before.last_used_at, null)
    await usage.flush()
    const after = await env.store.db.selectFrom('api_tokens').select('last_used_at').executeTakeFirstOrThrow()
    assert.equal(after.last_used_at, new Date(T0).toISOString())
  })

  for (const [name, body, pattern] of [
    ['malformed JSON', '{"organization_id": ', /Malformed JSON/],
    ['an empty body', '', /must be a JSON object/],
    ['a JSON array', '[1,2]', /must be a JSON object/],
    ['JSON null', 'null', /must be a JSON object/],
    ['a JSON string', '"hello"', /must be a JSON object/],
  ] as const) {
    it(`answers ${name} with 400`, async () => {
      const res = await send(body)
      assert.equal(res.status, 400)
      assert.ok(isErrorShape(res.body))
      assert.match(res.body.message, pattern)
    })
  }

  it('parses the body as JSON whatever the Content-Type says', async () => {
    const res = await send(JSON.stringify({ organization_id: env.org.id, username: 'x' }), { 'content-type': 'text/plain' })
    assert.equal(res.status, 200)
  })

  it('answers a body over the limit with 413, with or without Content-Length', async () => {
    const big = JSON.stringify({ organization_id: env.org.id, username: 'x', pad: 'y'.repeat(2000) })
    const declared = await send(big)
    assert.equal(declared.status, 413)
    assert.ok(isErrorShape(declared.body))
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(300)))
        controller.close()
      },
    })
    const res = await app.request('/echo', {
      method: 'POST',
      headers: { 'x-org-auth-token': env.org.token },
      body: chunks,
      duplex: 'half',
    } as RequestInit)
    assert.equal(res.status, 413)
  })

  it('names every invalid field in one 400', async () => {
    const res = await send(
      JSON.stringify({ organization_id: 'not-a-uuid', username: '', manychat_id: true, email: 'nope', when: '2025-02-30T00:00:00Z' }),
    )
    assert.equal(res.status, 400)
    assert.equal(res.body.error, 'Validation Error')
    const fields = res.body.details.map((d: { field: string }) => d.field).sort()
    assert.deepEqual(fields, ['email', 'manychat_id', 'organization_id', 'username', 'when'])
    for (const field of fields) assert.match(res.body.message, new RegExp(field))
  })

  it('says a missing field is required', async () => {
    const res = await send(JSON.stringify({ organization_id: env.org.id }))
    assert.equal(res.status, 400)
    assert.deepEqual(res.body.details, [{ field: 'username', message: 'is required' }])
    assert.equal(res.body.message, 'username is required')
  })

  it('keeps ids beyond 2^53 exact and turns numbers into strings', async () => {
    const res = await send(`{"organization_id":"${env.org.id}","username":"x","manychat_id":12345,"ig_id":17841400000000000123}`)
    assert.equal(res.status, 200)
    assert.equal(res.body.input.manychat_id, '12345')
    assert.equal(res.body.input.ig_id, '17841400000000000123')
  })

  it('normalizes dates and colours', async () => {
    const res = await send(
      JSON.stringify({ organization_id: env.org.id.toUpperCase(), username: 'x', when: '2025-01-12T12:30:00+02:00', color: 'RED' }),
    )
    assert.equal(res.status, 200)
    assert.equal(res.body.input.organization_id, env.org.id)
    assert.equal(res.body.input.when, '2025-01-12T10:30:00.000Z')
    assert.equal(res.body.input.color, '#dc2626')
  })

  it('hides internals of unexpected errors behind a 500 in the error shape', async () => {
    const res = await app.request('/boom', { method: 'POST' })
    assert.equal(res.status, 500)
    assert.equal(logged[0]?.level, 'error')
    assert.match(String(logged[0]?.error), /SELECT secret/, 'the log keeps what the answer hides')
    const text = await res.text()
    assert.ok(!text.includes('SELECT') && !text.includes('internals'))
    assert.ok(isErrorShape(JSON.parse(text)))
  })

  it('turns a busy database into 503 with Retry-After', async () => {
    const res = await app.request('/busy', { method: 'POST' })
    assert.equal(res.status, 503)
    assert.equal(res.headers.get('retry-after'), '1')
    // Logged as an expected condition with SQLite's code, not as an unhandled error with a stack.
    assert.deepEqual(
      logged.map((l) => [l.level, l.code, 'error' in l]),
      [['warn', 'SQLITE_BUSY', false]],
    )
  })

  it('renders every AppError kind with its status', () => {
    assert.equal(errorStatus(new AppError('forbidden', 'x').kind), 403)
    assert.equal(errorStatus(new AppError('rate_limited', 'x').kind), 429)
  })
})
