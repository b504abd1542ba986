// Three server processes on one PostgreSQL database, requests spread across them, as behind a
// load balancer: the create-contact limit holds in total, and 200 concurrent replies of one new
// subscriber make one contact. Runs on the Postgres run only (`npm run test:pg`).

import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ensureStopped, type ServerProcess, startServer } from '../scripts/reliability/server-process.ts'
import { openStore } from '../src/db/open.ts'
import { cli, freshDatabase, onPostgres, type TestDatabase } from './helpers.ts'

const ROOT = resolve(import.meta.dirname, '..')
const INSTANCES = 3
/** One token a minute after a burst of 6: within the test's time, exactly 6 are accepted, whatever the machine's speed. */
const LIMIT = ['--rate-limit', '1', '--rate-burst', '6']

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
      for (let i = 0; i < INSTANCES; i++) servers.push(startServer(launcher, db.location, ['--quiet', ...LIMIT]))
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

  const post = (i: number, path: string, body: unknown) =>
    fetch(`${urls[i % INSTANCES]}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
      body: JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as any }))

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
})
