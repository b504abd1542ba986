// Webhooks survive a crash: the compiled binary acknowledges a change, is SIGKILLed before the
// event could be delivered (the receiver is down), and the restarted server delivers it,
// signed as the standardwebhooks library expects. Runs under Node (npm run test:e2e).

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Webhook } from 'standardwebhooks'
import { buildBinary, cliJson, ensureStopped, type ServerProcess, startServer } from '../../scripts/reliability/server-process.ts'
import { type Receiver, startReceiver } from '../webhook-receiver.ts'

describe('webhooks across a SIGKILL of the compiled binary', () => {
  let dir: string
  let binary: string
  let db: string
  let receiver: Receiver
  let server: ServerProcess | undefined

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-webhooks-e2e-'))
    binary = join(dir, 'dmtracker')
    db = join(dir, 'data.db')
    buildBinary(binary)
    receiver = await startReceiver(503)
  })
  after(async () => {
    await ensureStopped(server)
    await receiver.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('delivers an acknowledged change after the server was killed before delivering it', async () => {
    const org = cliJson<{ id: string; token: string }>(binary, ['org', 'create', '--name', 'Acme', '--db', db])
    const endpoint = cliJson<{ id: string; secret: string }>(binary, [
      'webhook',
      'add',
      org.id,
      '--url',
      receiver.url,
      '--allow-private',
      '--db',
      db,
    ])
    const serve = () => startServer(binary, db, ['--quiet', '--webhook-retries', Array(20).fill('200ms').join(',')])

    server = serve()
    const base = await server.listening
    const res = await fetch(`${base}/api/v1/organization/create-contact`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
      body: JSON.stringify({
        organization_id: org.id,
        username: 'johndoe',
        had_outreach: false,
        last_response_at: '2026-01-15T11:00:00Z',
        last_message_content: 'hi',
      }),
    })
    assert.equal(res.status, 201)
    const contactId = ((await res.json()) as { data: { id: string } }).data.id
    server.kill('SIGKILL') // the receiver is down: nothing can have been delivered
    await server.exited
    assert.equal(receiver.received.filter((r) => r.ok).length, 0)

    receiver.status = 204
    server = serve()
    await server.listening
    const got = await receiver.waitFor(2, 40_000)
    const events = got.map(
      (r) =>
        new Webhook(endpoint.secret).verify(r.body, r.headers as Record<string, string>) as {
          type: string
          data: { contact: { id: string } }
        },
    )
    assert.deepEqual(events.map((e) => e.type).sort(), ['contact.created', 'contact.replied'])
    assert.ok(events.every((e) => e.data.contact.id === contactId))
    // At least once, never invented: every request the receiver saw was one of these two messages.
    assert.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 2)
    server.kill('SIGTERM')
    assert.equal((await server.exited).code, 0)
  })
})
