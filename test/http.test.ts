import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { isErrorShape, setup, type TestEnv } from './helpers.ts'

describe('HTTP skeleton', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('answers /healthz and /version without a token', async () => {
    const health = await env.call('GET', '/healthz', undefined, { token: null })
    assert.equal(health.status, 200)
    assert.deepEqual(health.body, { status: 'ok' })
    const version = await env.call('GET', '/version', undefined, { token: null })
    assert.equal(version.status, 200)
    assert.match(version.body.version, /^\d+\.\d+\.\d+/)
  })

  it('answers an unknown path with 404 in the error shape', async () => {
    const res = await env.call('GET', '/api/v1/nothing-here')
    assert.equal(res.status, 404)
    assert.ok(isErrorShape(res.body))
    assert.equal(res.body.error, 'Not Found')
  })

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const res = await env.call('POST', '/healthz', {})
    assert.equal(res.status, 405)
    assert.equal(res.headers.get('allow'), 'GET, HEAD')
    assert.ok(isErrorShape(res.body))
  })

  it('lists only the methods of a static path, not of a pattern that also matches it', async () => {
    const res = await env.call('POST', '/api/v1/contacts/export.csv', {})
    assert.equal(res.status, 405)
    assert.equal(res.headers.get('allow'), 'GET, HEAD')
  })

  it('echoes a well-formed X-Request-Id and makes one otherwise', async () => {
    const given = await env.call('GET', '/healthz', undefined, { headers: { 'x-request-id': 'abc-123' } })
    assert.equal(given.headers.get('x-request-id'), 'abc-123')
    const made = await env.call('GET', '/healthz', undefined, { headers: { 'x-request-id': 'bad id with spaces' } })
    assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
  })

  it('logs one line per request without the token', async () => {
    await env.call('GET', '/api/v1/nothing-here', undefined, { headers: { 'x-request-id': 'r-1' } })
    const lines = env.logs.filter((l) => l.msg === 'request')
    assert.equal(lines.length, 1)
    assert.equal(lines[0]!.status, 404)
    assert.equal(lines[0]!.request_id, 'r-1')
    assert.ok(!JSON.stringify(env.logs).includes(env.org.token))
  })
})
