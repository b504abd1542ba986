// Tokens as an attacker with the database file, the logs, or a loop of guesses would meet them:
// the plaintext is nowhere on disk or in the log after real traffic, a revoked token stops working
// with the next request, last use is recorded without a write per request, and guessing is throttled.

import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { ENDPOINTS } from '../scripts/reliability/endpoints.ts'
import { parseTrustProxy } from '../src/core/trust-proxy.ts'
import { hashToken } from '../src/tokens/service.ts'
import { cli, isErrorShape, itSqlite, setup, type TestEnv, type TestOrg } from './helpers.ts'

/** What no file and no log line may contain: the token, and its secret part on its own. */
function secretsOf(token: string): string[] {
  // The first 10 characters ("dmt_" and 6 more) are stored on purpose, to tell tokens apart.
  return [token, token.slice(10)]
}

function assertNowhere(env: TestEnv, tokens: string[], when: string) {
  const files = [env.dbPath, `${env.dbPath}-wal`].filter((f) => existsSync(f))
  assert.ok(files.length >= 1)
  for (const token of tokens) {
    for (const secret of secretsOf(token)) {
      for (const file of files) assert.ok(!readFileSync(file).includes(secret), `${when}: a token is in ${file}`)
      assert.ok(!JSON.stringify(env.logs).includes(secret), `${when}: a token is in the log`)
    }
  }
}

describe('tokens', () => {
  let env: TestEnv
  let second: TestOrg & { tokenId: string }

  const reply = (token: string, n: number) =>
    env.call(
      'POST',
      ENDPOINTS['default-reply'].path,
      { organization_id: env.org.id, manychat_id: `mc_${n}`, username: `lead_${n}`, message_content: `message ${n}` },
      { token },
    )

  beforeEach(async () => {
    env = await setup()
    const created = await cli(env.dbPath, 'token', 'create', env.org.id, '--label', 'zapier', '--json')
    assert.equal(created.code, 0, created.err)
    const { id, token } = JSON.parse(created.out)
    second = { id: env.org.id, token, tokenId: id }
  })
  afterEach(async () => {
    await env.close()
  })

  itSqlite('leaves no plaintext token in the database file, the WAL or the log after real traffic', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await reply(i % 2 ? env.org.token : second.token, i)).status, 200)
    // Failed attempts with near-misses and a token sent where a body field belongs.
    assert.equal((await reply(`${second.token}x`, 99)).status, 401)
    await env.call('POST', ENDPOINTS['update-tags'].path, {
      organization_id: env.org.id,
      username: second.token,
      mode: 'set',
      tag_names: [],
    })
    assertNowhere(env, [env.org.token, second.token], 'with the WAL in use')
    await env.app.close() // flushes last_used_at
    env.store.sqlite.exec('pragma wal_checkpoint(truncate)')
    assertNowhere(env, [env.org.token, second.token], 'after a checkpoint')
    // What is stored instead: the SHA-256 of each token, which does not authenticate.
    const hashes = await env.store.db.selectFrom('api_tokens').select('token_hash').execute()
    assert.deepEqual(hashes.map((h) => h.token_hash).sort(), [hashToken(env.org.token), hashToken(second.token)].sort())
    assert.equal((await reply(hashToken(second.token), 100)).status, 401)
  })

  it('a token revoked from the command line fails with the very next request', async () => {
    assert.equal((await reply(second.token, 1)).status, 200)
    const revoked = await cli(env.dbPath, 'token', 'revoke', second.tokenId)
    assert.equal(revoked.code, 0, revoked.err)
    const res = await reply(second.token, 2)
    assert.equal(res.status, 401)
    assert.ok(isErrorShape(res.body))
    assert.equal((await reply(env.org.token, 3)).status, 200, 'the organization’s other token still works')
  })

  it('records last use in memory and writes it in one batch, not on every request', async () => {
    for (let i = 0; i < 10; i++) {
      assert.equal((await reply(second.token, i)).status, 200)
      env.advance(1000)
    }
    const lastUsed = () =>
      env.store.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', second.tokenId).executeTakeFirstOrThrow()
    assert.equal((await lastUsed()).last_used_at, null, 'no write yet')
    await env.app.close()
    assert.equal((await lastUsed()).last_used_at, new Date(env.now() - 1000).toISOString(), 'the last request’s time')
  })

  it('throttles bad tokens from an address after 20 failed attempts a minute (the default), not another address', async () => {
    // Behind one trusted proxy hop, so X-Forwarded-For names the client.
    const proxied = await setup({ trustProxy: parseTrustProxy('1') })
    try {
      const guess = (i: number, address = '198.51.100.7') =>
        proxied.call('POST', ENDPOINTS['default-reply'].path, {}, { token: `dmt_guess_${i}`, headers: { 'x-forwarded-for': address } })
      for (let i = 0; i < 20; i++) assert.equal((await guess(i)).status, 401, `attempt ${i + 1}`)
      const throttled = await guess(20)
      assert.equal(throttled.status, 429)
      assert.ok(isErrorShape(throttled.body))
      assert.equal(throttled.headers.get('retry-after'), '60')
      // The right token is still checked and let in: it gets as far as validating the (empty) body.
      const right = await proxied.call('POST', ENDPOINTS['default-reply'].path, {}, { headers: { 'x-forwarded-for': '198.51.100.7' } })
      assert.equal(right.status, 400)
      assert.equal((await guess(21, '203.0.113.50')).status, 401)
      proxied.advance(60_000)
      assert.equal((await guess(22)).status, 401)
    } finally {
      await proxied.close()
    }
  })

  it('lets the limit be lifted (--auth-failure-limit off)', async () => {
    const open = await setup({ authFailuresPerMinute: 0 })
    try {
      for (let i = 0; i < 30; i++) {
        const res = await open.call('POST', ENDPOINTS['default-reply'].path, {}, { token: `dmt_guess_${i}` })
        assert.equal(res.status, 401)
      }
    } finally {
      await open.close()
    }
  })
})
