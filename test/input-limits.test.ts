// Every string field's documented maximum (docs/reliability.md): a value at the maximum is
// accepted, one character (or digit, or item) more is a 400 that names the field. Then the body
// limit for chunked bodies, and a body that never finishes.

import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { runtime } from '#runtime'
import { ENDPOINTS, type EndpointName, toJsonText } from '../scripts/reliability/endpoints.ts'
import { isoTime } from '../src/core/time.ts'
import { addStage } from '../src/pipeline/service.ts'
import { addUser } from '../src/users/service.ts'
import { isErrorShape, onPostgres, setup, type TestEnv } from './helpers.ts'

/** A valid email address of exactly `n` characters: a 64-character local part, then labels of at most 50. */
function emailOf(n: number): string {
  const labels: string[] = []
  let left = n - '@'.length - 64 - '.com'.length
  while (left > 0) {
    let length = Math.min(50, left)
    if (left - length - 1 === 0) length-- // never leave room for only an empty label
    labels.push('d'.repeat(length))
    left -= length + 1
  }
  return `${'a'.repeat(64)}@${labels.join('.')}.com`
}

const LONGEST_EMAIL = emailOf(254)
const LONGEST_STAGE = 'S'.repeat(50)
/** The contact every lookup finds: its username and manychat_id are as long as they may be. */
const LONGEST_USERNAME = 'u'.repeat(30)
const LONGEST_MANYCHAT_ID = 'm'.repeat(100)

const digits = (n: number) => '7'.repeat(n)
const names = (count: number) => Array.from({ length: count }, (_, i) => `tag_${i}`)

interface Limit {
  endpoint: EndpointName
  /** The field as the 400's details name it (dotted for nested fields). */
  field: string
  max: number
  /** A valid value of size n (characters, digits or items). */
  value: (n: number) => unknown
  /** The rest of a valid body; defaults to the endpoint's BASE. */
  base?: (orgId: string, contactId: string) => Record<string, unknown>
}

const BASE: Record<EndpointName, (orgId: string, contactId: string) => Record<string, unknown>> = {
  'default-reply': (orgId) => ({
    organization_id: orgId,
    manychat_id: LONGEST_MANYCHAT_ID,
    username: LONGEST_USERNAME,
    message_content: 'hi',
  }),
  'create-contact': (orgId) => ({
    organization_id: orgId,
    username: 'new_lead',
    had_outreach: false,
    last_response_at: '2026-01-10T10:00:00Z',
    last_message_content: 'hi',
  }),
  'update-tags': (orgId, contactId) => ({ organization_id: orgId, contact_id: contactId, mode: 'add', tag_names: ['limit'] }),
  'contact-status': (orgId, contactId) => ({ organization_id: orgId, contact_id: contactId, lead_status: 'won' }),
}

const outreach = (orgId: string) => ({
  organization_id: orgId,
  username: 'new_lead',
  had_outreach: true,
  outreach_reason: 'r',
  outreach_text: 't',
})
const byUsername = (orgId: string) => ({ organization_id: orgId, mode: 'add', tag_names: ['limit'] })
const byManychatId = (orgId: string) => ({ organization_id: orgId, lead_status: 'won' })

// The table in docs/reliability.md, as tests. Format-bound fields (UUIDs, ISO dates, enums) are
// covered by the endpoints' own tests; here is every field whose length is the limit.
const LIMITS: Limit[] = [
  { endpoint: 'default-reply', field: 'manychat_id', max: 100, value: (n) => 'm'.repeat(n) },
  { endpoint: 'default-reply', field: 'manychat_id', max: 100, value: (n) => BigInt(digits(n)) },
  { endpoint: 'default-reply', field: 'username', max: 30, value: (n) => ` @${'u'.repeat(n)} ` },
  { endpoint: 'default-reply', field: 'message_content', max: 10_000, value: (n) => '😀'.repeat(n / 2) + 'x'.repeat(n % 2) },
  { endpoint: 'default-reply', field: 'page_name', max: 500, value: (n) => 'p'.repeat(n) },
  { endpoint: 'default-reply', field: 'ig_id', max: 30, value: digits },
  { endpoint: 'default-reply', field: 'ig_id', max: 30, value: (n) => BigInt(digits(n)) },
  {
    endpoint: 'default-reply',
    field: 'manychat_data.ig_id',
    max: 30,
    value: digits,
    base: (orgId) => ({ ...BASE['default-reply'](orgId, ''), manychat_data: {} }),
  },
  { endpoint: 'create-contact', field: 'username', max: 30, value: (n) => 'n'.repeat(n) },
  { endpoint: 'create-contact', field: 'last_message_content', max: 10_000, value: (n) => '"'.repeat(n) },
  { endpoint: 'create-contact', field: 'outreach_reason', max: 500, value: (n) => 'r'.repeat(n), base: outreach },
  { endpoint: 'create-contact', field: 'outreach_text', max: 10_000, value: (n) => 't'.repeat(n), base: outreach },
  { endpoint: 'create-contact', field: 'outreach_reason_label', max: 500, value: (n) => 'l'.repeat(n), base: outreach },
  { endpoint: 'create-contact', field: 'outreach_message_label', max: 500, value: (n) => 'l'.repeat(n), base: outreach },
  { endpoint: 'create-contact', field: 'email', max: 254, value: emailOf },
  { endpoint: 'create-contact', field: 'manychat_id', max: 100, value: (n) => 'c'.repeat(n) },
  { endpoint: 'create-contact', field: 'ig_id', max: 30, value: digits },
  { endpoint: 'create-contact', field: 'note', max: 1000, value: (n) => 'n'.repeat(n) },
  { endpoint: 'create-contact', field: 'tags', max: 100, value: names },
  { endpoint: 'create-contact', field: 'tags.0', max: 50, value: (n) => ['t'.repeat(n)] },
  { endpoint: 'create-contact', field: 'tag_color', max: 500, value: (n) => 'c'.repeat(n) },
  { endpoint: 'update-tags', field: 'username', max: 30, value: (n) => 'u'.repeat(n), base: byUsername },
  { endpoint: 'update-tags', field: 'tag_names', max: 100, value: names },
  { endpoint: 'update-tags', field: 'tag_names.0', max: 50, value: (n) => ['t'.repeat(n)] },
  { endpoint: 'update-tags', field: 'tag_color', max: 500, value: (n) => ' '.repeat(n) },
  { endpoint: 'update-tags', field: 'email', max: 254, value: emailOf },
  { endpoint: 'contact-status', field: 'manychat_id', max: 100, value: (n) => 'm'.repeat(n), base: byManychatId },
  { endpoint: 'contact-status', field: 'pipeline_stage', max: 50, value: (n) => 'S'.repeat(n) },
  { endpoint: 'contact-status', field: 'email', max: 254, value: emailOf },
]

/** Puts `value` at a dotted path, creating objects on the way. */
function withField(body: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = field.split('.')
  if (rest.length === 0 || /^\d+$/.test(rest[0]!)) return { ...body, [head!]: value } // "tags.0": the value is the whole array
  return { ...body, [head!]: withField((body[head!] as Record<string, unknown>) ?? {}, rest.join('.'), value) }
}

describe('input limits', () => {
  let env: TestEnv
  let contactId: string
  beforeEach(async () => {
    env = await setup({ rateLimitPerMinute: 0 })
    const res = await env.call('POST', ENDPOINTS['default-reply'].path, BASE['default-reply'](env.org.id, ''))
    assert.equal(res.status, 200, res.text)
    contactId = res.body.data.id
    await env.store.write(async (trx) => {
      await addUser(trx, { email: LONGEST_EMAIL, organizationId: env.org.id, role: 'member' }, isoTime(env.now()))
      await addStage(trx, env.org.id, LONGEST_STAGE, undefined, new Date(env.now()).toISOString())
    })
  })
  afterEach(async () => {
    await env.close()
  })

  it('the helpers build values of the size they claim', () => {
    assert.equal(LONGEST_EMAIL.length, 254)
    assert.equal(emailOf(255).length, 255)
    assert.match(emailOf(255), /^a{64}@d+(\.d+)*\.com$/)
  })

  for (const limit of LIMITS) {
    const kind = typeof limit.value(1) === 'bigint' ? ' (as a JSON number)' : ''
    it(`${limit.endpoint}: ${limit.field}${kind} takes ${limit.max}, refuses ${limit.max + 1}`, async () => {
      const { method, path } = ENDPOINTS[limit.endpoint]
      const base = (limit.base ?? BASE[limit.endpoint])(env.org.id, contactId)
      const send = (n: number) => env.call(method, path, toJsonText(withField(base, limit.field, limit.value(n))))

      const atMax = await send(limit.max)
      assert.ok(atMax.status === 200 || atMax.status === 201, `${atMax.status} ${atMax.text.slice(0, 300)}`)

      const over = await send(limit.max + 1)
      assert.equal(over.status, 400, over.text.slice(0, 300))
      assert.ok(isErrorShape(over.body))
      assert.ok(
        over.body.details.some((d: { field: string }) => d.field === limit.field),
        over.text.slice(0, 300),
      )
      assert.match(over.body.message, new RegExp(`^${limit.field.replace('.', '\\.')} `))
    })
  }

  // A run of 16 digits sends the body through the exact-integer parser; the limit is the same.
  for (const [parser, pad] of [
    ['JSON.parse', '"x"'],
    ['the exact-integer parser', '"1234567890123456"'],
  ]) {
    it(`JSON nests at most 512 levels deep, through ${parser}`, async () => {
      const send = (levels: number) => {
        const extra = `${'['.repeat(levels - 1)}${pad}${']'.repeat(levels - 1)}` // the body itself is level 1
        return env.call(
          'POST',
          ENDPOINTS['default-reply'].path,
          `{"organization_id":"${env.org.id}","manychat_id":"mc","username":"u","message_content":"hi","extra":${extra}}`,
        )
      }
      assert.equal((await send(512)).status, 200)
      const deeper = await send(513)
      assert.equal(deeper.status, 400)
      assert.match(deeper.body.message, /nested too deeply/)
    })
  }

  it('names with NUL characters are refused: SQLite would compare them only up to the NUL', async () => {
    const res = await env.call('POST', ENDPOINTS['update-tags'].path, {
      organization_id: env.org.id,
      contact_id: contactId,
      mode: 'add',
      tag_names: ['a\u0000b', 'a\u0000c'],
    })
    assert.equal(res.status, 400)
    assert.match(res.body.message, /^tag_names\.0 must not contain NUL/)
    const stage = await env.call('PATCH', ENDPOINTS['contact-status'].path, {
      organization_id: env.org.id,
      contact_id: contactId,
      pipeline_stage: 'Closed\u0000anything',
    })
    assert.equal(stage.status, 400)
    assert.equal(stage.body.details[0].field, 'pipeline_stage')
  })

  it('text with NUL characters elsewhere is stored as sent (on PostgreSQL, whose text has no NUL: a 400, nothing stored)', async () => {
    const content = 'before\u0000after'
    const res = await env.call('POST', ENDPOINTS['default-reply'].path, {
      ...BASE['default-reply'](env.org.id, ''),
      message_content: content,
    })
    if (onPostgres) {
      assert.equal(res.status, 400, res.text)
      assert.ok(isErrorShape(res.body))
      assert.match(res.body.message, /NUL/)
      const rows = await env.store.db.selectFrom('messages').select('content').where('contact_id', '=', contactId).execute()
      assert.ok(!rows.some((r) => r.content.startsWith('before')))
      return
    }
    assert.equal(res.status, 200)
    assert.equal(res.body.data.last_message_content, content)
    const row = await env.store.db
      .selectFrom('messages')
      .select('content')
      .where('contact_id', '=', contactId)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    assert.equal(row.content, content)
  })

  it('a lone surrogate (\\ud800 without its pair) is stored as U+FFFD, the same on every runtime', async () => {
    const body = `{"organization_id":"${env.org.id}","manychat_id":"${LONGEST_MANYCHAT_ID}","username":"${LONGEST_USERNAME}","message_content":"x\\ud800y \\ud83d\\ude00"}`
    const res = await env.call('POST', ENDPOINTS['default-reply'].path, body)
    assert.equal(res.status, 200)
    assert.equal(res.body.data.last_message_content, 'x\ufffdy 😀')
    const row = await env.store.db
      .selectFrom('contacts')
      .select('last_message_content')
      .where('id', '=', contactId)
      .executeTakeFirstOrThrow()
    assert.equal(row.last_message_content, 'x\ufffdy 😀')
  })

  it('a chunked body without Content-Length is cut off at the body limit with a 413', async () => {
    const limit = 4096
    const small = await setup({ bodyLimitBytes: limit })
    try {
      const chunk = new TextEncoder().encode(`{"organization_id":"${small.org.id}","pad":"`.padEnd(1000, 'x'))
      let sent = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          // Endless: only the server's limit ends it.
          sent += chunk.byteLength
          controller.enqueue(chunk)
          if (sent > 100 * limit) controller.close()
        },
      })
      const res = await small.app.request(ENDPOINTS['default-reply'].path, {
        method: 'POST',
        headers: { 'x-org-auth-token': small.org.token },
        body,
        duplex: 'half',
      } as RequestInit)
      assert.equal(res.status, 413)
      assert.ok(isErrorShape(await res.json()))
      assert.ok(sent < 10 * limit, `read ${sent} bytes before refusing`)
    } finally {
      await small.close()
    }
  })

  it('a body the client never finishes is a 400 in the log, not a 500, and writes nothing', async () => {
    const server = await runtime.listen(env.app.fetch, { hostname: '127.0.0.1', port: 0 })
    try {
      const socket = connect(server.port, '127.0.0.1')
      await once(socket, 'connect')
      const body = JSON.stringify({ ...BASE['default-reply'](env.org.id, ''), manychat_id: 'never', username: 'never_finished' })
      env.logs.length = 0
      socket.write(
        `POST ${ENDPOINTS['default-reply'].path} HTTP/1.1\r\nHost: x\r\nx-org-auth-token: ${env.org.token}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
      )
      await new Promise((r) => setTimeout(r, 100)) // the server is now waiting for the rest
      socket.destroy()
      let line: Record<string, unknown> | undefined
      for (let i = 0; i < 500 && !line; i++) {
        await new Promise((r) => setTimeout(r, 10))
        line = env.logs.find((l) => l.msg === 'request')
      }
      assert.ok(line, 'the request was logged')
      assert.equal(line.status, 400)
      assert.ok(!env.logs.some((l) => l.level === 'error'), JSON.stringify(env.logs))
      const stored = await env.store.db.selectFrom('contacts').select('id').where('username', '=', 'never_finished').execute()
      assert.equal(stored.length, 0)
    } finally {
      await server.stop()
    }
  })
})
