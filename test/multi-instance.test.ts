// Three server processes on one PostgreSQL database, requests spread across them, as behind a
// load balancer: the create-contact limit holds in total, 200 concurrent replies of one new
// subscriber make one contact, 100 concurrent repeats of one Idempotency-Key make one change, the
// webhook outbox is sent once per attempt, and a board's live stream on one instance hears of a
// reply recorded by another. Runs on the Postgres run only (`npm run test:pg`).

import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ensureStopped, type ServerProcess, startServer } from '../scripts/reliability/server-process.ts'
import { runCli } from '../src/cli/run.ts'
import { openStore } from '../src/db/open.ts'
import { cli, freshDatabase, onPostgres, type TestDatabase } from './helpers.ts'
import { startReceiver } from './webhook-receiver.ts'

const ROOT = resolve(import.meta.dirname, '..')
const INSTANCES = 3
/** One token a minute after a burst of 6: within the test's time, exactly 6 are accepted, whatever the machine's speed. */
const LIMIT = ['--rate-limit', '1', '--rate-burst', '6']
/** Two quick retries, so a failing receiver sees every attempt within the test. */
const RETRIES = ['--webhook-retries', '300ms,300ms']

const describePostgres = onPostgres ? describe : describe.skip

describePostgres('several instances on one PostgreSQL database', () => {
  let db: TestDatabase
  let dir: string
  let org: { id: string; token: string }
  const servers: ServerProcess[] = []
  const urls: string[] = []

  before(
    async () => {
      db = await freshDatabase()
      const created = await cli(db.location, 'org', 'create', '--name', 'Multi', '--page-name', 'multi_page', '--json')
      assert.equal(created.code, 0, created.err)
      org = JSON.parse(created.out)
      // The server from source, as `npm run dmtracker` runs it, behind the interface startServer expects of a binary.
      dir = mkdtempSync(join(tmpdir(), 'dmtracker-multi-'))
      const launcher = join(dir, 'dmtracker')
      const runtime = process.versions.bun ? `"${process.execPath}"` : `"${process.execPath}" --import tsx`
      writeFileSync(launcher, `#!/bin/sh\ncd "${ROOT}" && exec ${runtime} src/main.ts "$@"\n`)
      chmodSync(launcher, 0o700)
      for (let i = 0; i < INSTANCES; i++) servers.push(startServer(launcher, db.location, ['--quiet', ...LIMIT, ...RETRIES]))
      urls.push(...(await Promise.all(servers.map((s) => s.listening))))
    },
    { timeout: 120_000 },
  )

  after(
    async () => {
      for (const server of servers) server.kill('SIGTERM')
      await Promise.all(servers.map((s) => ensureStopped(s)))
      rmSync(dir, { recursive: true, force: true })
      await db.drop()
    },
    { timeout: 60_000 },
  )

  /** The servers' logged errors and warnings, for a failure's message. */
  const serverErrors = () =>
    servers
      .flatMap((s) => s.output().split('\n'))
      .filter((line) => /"level":"(error|warn)"/.test(line))
      .slice(0, 5)
      .join('\n')

  const post = (i: number, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${urls[i % INSTANCES]}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token, ...headers },
      body: JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, headers: res.headers, body: (await res.json()) as any }))

  /** Runs `work` on its own connection to the shared database. */
  const inDatabase = async <T>(work: (store: ReturnType<typeof openStore>) => Promise<T>): Promise<T> => {
    const store = openStore(db.location)
    try {
      return await work(store)
    } finally {
      await store.close()
    }
  }

  it('the create-contact limit holds across instances, not once per instance', { timeout: 120_000 }, async () => {
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        post(i, '/api/v1/organization/create-contact', {
          organization_id: org.id,
          username: `limited_${i}`,
          had_outreach: false,
          last_response_at: '2026-01-12T10:00:00.000Z',
          last_message_content: 'hi',
        }).then((r) => r.status),
      ),
    )
    assert.equal(statuses.filter((s) => s === 201).length, 6, `${JSON.stringify(statuses)}\n${serverErrors()}`)
    assert.equal(statuses.filter((s) => s === 429).length, 24)
  })

  it('200 concurrent replies of one new subscriber across instances make one contact with every message', {
    timeout: 300_000,
  }, async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post(i, '/api/v1/contact/default-reply', {
          organization_id: org.id,
          manychat_id: '777',
          username: 'newcomer',
          message_content: `reply ${i}`,
        }),
      ),
    )
    assert.deepEqual([...new Set(replies.map((r) => r.status))], [200], serverErrors())
    assert.equal(new Set(replies.map((r) => r.body.data.id)).size, 1)
    const store = openStore(db.location)
    try {
      const messages = await store.db.selectFrom('messages').select('content').where('contact_id', '=', replies[0]!.body.data.id).execute()
      assert.equal(messages.length, 200)
      assert.equal(new Set(messages.map((m) => m.content)).size, 200)
    } finally {
      await store.close()
    }
    const list = await fetch(`${urls[1]}/api/v1/contacts?limit=200`, { headers: { 'x-org-auth-token': org.token } })
    const newcomers = ((await list.json()) as { data: { username: string }[] }).data.filter((c) => c.username === 'newcomer')
    assert.equal(newcomers.length, 1)
  })

  it('100 concurrent repeats of one Idempotency-Key across instances make one change', { timeout: 120_000 }, async () => {
    const body = { organization_id: org.id, manychat_id: '888', username: 'once_only', message_content: 'just once' }
    const key = { 'idempotency-key': 'reply-888-1' }
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => post(i, '/api/v1/contact/default-reply', body, key)))
    const statuses = answers.map((a) => a.status)
    // The one that ran, replays of it once it had answered, 409 while it was still running.
    assert.ok(
      statuses.every((s) => s === 200 || s === 409),
      `${JSON.stringify(statuses)}\n${serverErrors()}`,
    )
    assert.equal(answers.filter((a) => a.status === 200 && !a.headers.has('idempotent-replayed')).length, 1)
    const [contact] = await inDatabase((store) =>
      store.db.selectFrom('contacts').select('id').where('username', '=', 'once_only').execute(),
    )
    assert.ok(contact)
    const messages = await inDatabase((store) =>
      store.db.selectFrom('messages').select('id').where('contact_id', '=', contact.id).execute(),
    )
    assert.equal(messages.length, 1)
    // Once it has answered, every instance replays it, and refuses the key for another request.
    for (let i = 0; i < INSTANCES; i++) {
      const again = await post(i, '/api/v1/contact/default-reply', body, key)
      assert.equal(again.status, 200)
      assert.equal(again.headers.get('idempotent-replayed'), 'true')
      assert.equal(again.body.data.id, contact.id)
      const other = await post(i, '/api/v1/contact/default-reply', { ...body, message_content: 'something else' }, key)
      assert.equal(other.status, 422)
    }
  })

  it('the webhook outbox is shared: every attempt of every event is made once, by one instance', { timeout: 120_000 }, async () => {
    const receiver = await startReceiver(500)
    try {
      const added = await cli(
        db.location,
        'webhook',
        'add',
        org.id,
        '--url',
        receiver.url,
        '--events',
        'contact.replied',
        '--allow-private',
      )
      assert.equal(added.code, 0, added.err)
      const EVENTS = 10
      const ATTEMPTS = 3 // the first and the two retries of RETRIES
      const replies = await Promise.all(
        Array.from({ length: EVENTS }, (_, i) =>
          post(i, '/api/v1/contact/default-reply', {
            organization_id: org.id,
            manychat_id: `hook-${i}`,
            username: `hook_${i}`,
            message_content: 'hello',
          }),
        ),
      )
      assert.deepEqual([...new Set(replies.map((r) => r.status))], [200])
      // Every delivery has made its last attempt once all are failed for good.
      const deadline = Date.now() + 60_000
      for (;;) {
        const waiting = await inDatabase((store) =>
          store.db.selectFrom('webhook_deliveries').select('id').where('status', '<>', 'failed').execute(),
        )
        if (waiting.length === 0) break
        assert.ok(Date.now() < deadline, `${waiting.length} deliveries still waiting; receiver got ${receiver.received.length}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const perEvent = new Map<string, number>()
      for (const r of receiver.received) {
        const id = String(r.headers['webhook-id'])
        perEvent.set(id, (perEvent.get(id) ?? 0) + 1)
      }
      assert.equal(perEvent.size, EVENTS)
      assert.deepEqual([...new Set(perEvent.values())], [ATTEMPTS], JSON.stringify([...perEvent]))
      const attempts = await inDatabase((store) => store.db.selectFrom('webhook_attempts').select('id').execute())
      assert.equal(attempts.length, EVENTS * ATTEMPTS)
    } finally {
      await receiver.close()
    }
  })

  it('a live board on one instance hears of a reply recorded by another (LISTEN/NOTIFY)', { timeout: 120_000 }, async () => {
    const email = 'live@multi.test'
    const password = 'correct horse battery'
    assert.equal((await cli(db.location, 'user', 'add', '--email', email, '--org', org.id, '--role', 'member')).code, 0)
    const set = await runCli(['user', 'set-password', '--email', email, '--password-stdin'], {
      out: () => {},
      err: () => {},
      env: { DMTRACKER_DB: db.location },
      stdin: async () => `${password}\n`,
    })
    assert.equal(set, 0)
    const [a, b] = [urls[0]!, urls[1]!]
    const login = await fetch(`${a}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ email, password }).toString(),
      redirect: 'manual',
    })
    assert.equal(login.status, 303, await login.text())
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const events = new AbortController()
    try {
      const stream = await fetch(`${a}/events`, { headers: { cookie, accept: 'text/event-stream' }, signal: events.signal })
      assert.equal(stream.status, 200)
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader()
      let text = ''
      const until = async (pattern: RegExp) => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read()
          assert.ok(!done, `the stream ended; it said: ${text}`)
          text += value
        }
      }
      await until(/event: ready/)
      const reply = await fetch(`${b}/api/v1/contact/default-reply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
        body: JSON.stringify({ organization_id: org.id, manychat_id: 'live-1', username: 'live_one', message_content: 'hi' }),
      })
      assert.equal(reply.status, 200)
      const { data } = (await reply.json()) as { data: { id: string } }
      await until(new RegExp(`"contact_id":"${data.id}"`))
    } finally {
      events.abort()
    }
  })
})
