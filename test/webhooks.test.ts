import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { Webhook } from 'standardwebhooks'
import { loadConfig } from '../src/config.ts'
import { updateContactStatus } from '../src/contacts/contact-status.ts'
import { isoTime } from '../src/core/time.ts'
import type { Store } from '../src/db/open.ts'
import { MAX_PENDING_PER_ENDPOINT } from '../src/webhooks/events.ts'
import { idFloor, pruneDeliveries } from '../src/webhooks/retention.ts'
import { addEndpoint, retryDelivery } from '../src/webhooks/service.ts'
import { forbiddenReason, resolveTarget } from '../src/webhooks/target.ts'
import { type DeliveryWorker, startDeliveryWorker, type WorkerOptions } from '../src/webhooks/worker.ts'
import { addContact, cli, heldRequest, rowCount, setup, type TestEnv } from './helpers.ts'
import { selfSignedPair } from './tls-helpers.ts'
import { type Receiver, startReceiver } from './webhook-receiver.ts'

describe('outbound webhooks', () => {
  let env: TestEnv
  let receiver: Receiver
  let worker: DeliveryWorker | undefined

  const startWorker = (options: WorkerOptions = {}) => {
    worker = startDeliveryWorker(env.store, { pollMs: 10, scheduleMs: [20, 20, 20], jitter: 0, ...options })
    return worker
  }
  const subscribe = (events?: string[], allowPrivate = true, url = receiver.url) =>
    env.store.write((trx) => addEndpoint(trx, env.org.id, { url, events, allowPrivate }, isoTime(env.now())))
  const setStatus = (contactId: string, fields: Record<string, unknown>) =>
    env.call('PATCH', '/api/v1/contact/contact-status', { organization_id: env.org.id, contact_id: contactId, ...fields })
  const deliveries = () => env.store.db.selectFrom('webhook_deliveries').selectAll().orderBy('created_at').orderBy('id').execute()

  beforeEach(async () => {
    env = await setup()
    receiver = await startReceiver()
  })
  afterEach(async () => {
    await worker?.stop()
    worker = undefined
    await receiver.close()
    await env.close()
  })

  it('signs a stage change the way the standardwebhooks library verifies, with the contact and from/to', async () => {
    const endpoint = await subscribe()
    const contact = await addContact(env, { username: 'johndoe' })
    assert.equal((await setStatus(contact.id, { pipeline_stage: 'Meeting Booked' })).status, 200)
    startWorker()
    const [delivery] = await receiver.waitFor(1)
    const verified = new Webhook(endpoint.secret).verify(delivery!.body, {
      'webhook-id': String(delivery!.headers['webhook-id']),
      'webhook-timestamp': String(delivery!.headers['webhook-timestamp']),
      'webhook-signature': String(delivery!.headers['webhook-signature']),
    }) as any
    assert.equal(verified.type, 'contact.stage_changed')
    assert.equal(verified.timestamp, isoTime(env.now()))
    assert.equal(verified.data.organization_id, env.org.id)
    assert.equal(verified.data.via, 'api')
    assert.deepEqual(verified.data.changes, { pipeline_stage: { from: 'In Conversation', to: 'Meeting Booked' } })
    assert.equal(verified.data.contact.id, contact.id)
    assert.equal(verified.data.contact.pipeline_stage, 'Meeting Booked')
    assert.match(String(delivery!.headers['webhook-id']), /^msg_[0-9a-f]{32}$/)
    // A wrong secret does not verify: the signature really is over this body.
    assert.throws(() =>
      new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(delivery!.body, delivery!.headers as Record<string, string>),
    )
  })

  it('sends each event type a subscription names, and marks automation changes via "automation"', async () => {
    await subscribe(['contact.created', 'contact.status_changed', 'contact.tags_changed', 'contact.archived', 'contact.replied'])
    assert.equal((await cli(env.dbPath, 'automation', 'add', env.org.id, '--when-stage', 'Closed', '--set-status', 'won')).code, 0)
    const created = await env.call('POST', '/api/v1/organization/create-contact', {
      organization_id: env.org.id,
      username: 'janedoe',
      last_response_at: '2026-01-15T11:00:00Z',
      last_message_content: 'hi',
      had_outreach: false,
      tags: ['vip'],
    })
    assert.equal(created.status, 201, created.text)
    const id = created.body.data.id
    await setStatus(id, { pipeline_stage: 'Closed' }) // stage_changed is not subscribed; the rule's status change is
    await env.call('POST', '/api/v1/contact/update-tags-external', {
      organization_id: env.org.id,
      contact_id: id,
      tag_names: ['vip'],
      mode: 'remove',
    })
    await env.call('DELETE', `/api/v1/contacts/${id}`)
    startWorker()
    const got = (await receiver.waitFor(6)).map((r) => r.json)
    assert.deepEqual(
      got.map((e) => `${e.type} ${e.data.via}`),
      [
        'contact.created api',
        'contact.replied api',
        'contact.tags_changed api',
        'contact.status_changed automation',
        'contact.tags_changed api',
        'contact.archived api',
      ],
    )
    assert.deepEqual(got[2].data.changes, { tags: { added: ['vip'], removed: [] } })
    assert.deepEqual(got[3].data.changes, { lead_status: { from: 'open', to: 'won' } })
    assert.deepEqual(got[4].data.changes, { tags: { added: [], removed: ['vip'] } })
    assert.equal(got[1].data.changes.reply.content, 'hi')
  })

  it('follow_up.done carries the follow-up count from/to', async () => {
    await subscribe(['follow_up.done'])
    const contact = await addContact(env, { username: 'out1', type: 'outreach', outreach: { reason: 'r', text: 't' } })
    env.advance(3 * 24 * 3600 * 1000)
    const done = await env.call('POST', `/api/v1/contacts/${contact.id}/follow-ups`, { action: 'done' })
    assert.equal(done.status, 200, done.text)
    startWorker()
    const [event] = (await receiver.waitFor(1)).map((r) => r.json)
    assert.equal(event.type, 'follow_up.done')
    assert.deepEqual(event.data.changes.follow_up_count, { from: 0, to: 1 })
  })

  it('a request rolled back inside a committed batch sends nothing; its neighbour sends', async () => {
    await subscribe()
    const kept = await addContact(env, { username: 'kept' })
    const undone = await addContact(env, { username: 'undone' })
    const caller = { organizationId: env.org.id, tokenId: 'test' }
    const input = (contactId: string) => ({ organizationId: env.org.id, contactId, leadStatusId: 2 }) as any
    const now = isoTime(env.now())
    // Both join one transaction (group commit); the second throws after its change and outbox row were written.
    const results = await Promise.allSettled([
      env.store.write((trx) => updateContactStatus(trx, caller, input(kept.id), now)),
      env.store.write(async (trx) => {
        await updateContactStatus(trx, caller, input(undone.id), now)
        throw new Error('rolled back after the change')
      }),
    ])
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected'],
    )
    const queued = await deliveries()
    assert.deepEqual(
      queued.map((d) => JSON.parse(d.payload).data.contact.username),
      ['kept'],
    )
    startWorker()
    await receiver.waitFor(1)
    await worker!.stop()
    assert.deepEqual(
      receiver.received.map((r) => r.json.data.contact.username),
      ['kept'],
    )
  })

  it('a receiver that is down gets everything once it is back, each retry with the same webhook-id', async () => {
    await subscribe()
    receiver.status = 503
    const contact = await addContact(env, { username: 'johndoe' })
    for (const status of ['won', 'lost', 'open']) await setStatus(contact.id, { lead_status: status })
    startWorker({ scheduleMs: [30, 30, 30, 30, 30, 30, 30, 30, 30, 30] })
    while (receiver.received.length < 6) await new Promise((resolve) => setTimeout(resolve, 10))
    receiver.status = 204
    const got = await receiver.waitFor(3)
    assert.deepEqual(got.map((r) => r.json.data.changes.lead_status.to).sort(), ['lost', 'open', 'won'])
    const ids = new Set(got.map((r) => r.headers['webhook-id']))
    assert.equal(ids.size, 3)
    // Every refused attempt was for one of these three messages.
    assert.ok(receiver.received.every((r) => ids.has(r.headers['webhook-id'])))
    await worker!.stop()
    const rows = await deliveries()
    assert.deepEqual(
      rows.map((d) => d.status),
      ['delivered', 'delivered', 'delivered'],
    )
    assert.ok(rows.some((d) => d.attempts > 1))
    const endpoint = await env.store.db.selectFrom('webhook_endpoints').select(['pending', 'failing_since']).executeTakeFirstOrThrow()
    assert.deepEqual(endpoint, { pending: 0, failing_since: null })
  })

  it('fails a delivery after its last attempt, lists it with --failed, and retries it by hand', async () => {
    const endpoint = await subscribe()
    receiver.status = 500
    const contact = await addContact(env, { username: 'johndoe' })
    await setStatus(contact.id, { lead_status: 'won' })
    startWorker({ scheduleMs: [10, 10] })
    while ((await deliveries())[0]!.status !== 'failed') await new Promise((resolve) => setTimeout(resolve, 10))
    await worker!.stop()
    assert.equal(receiver.received.length, 3, 'the first attempt and two retries')
    const failed = await cli(env.dbPath, 'webhook', 'deliveries', endpoint.id, '--failed', '--json')
    const [row] = JSON.parse(failed.out)
    assert.equal(row.status, 'failed')
    assert.deepEqual(
      row.attempt_log.map((a: any) => a.status_code),
      [500, 500, 500],
    )
    assert.equal(row.attempt_log[0].response_body, 'down for maintenance')
    receiver.status = 200
    const retried = await cli(env.dbPath, 'webhook', 'retry', row.id)
    assert.match(retried.out, /delivered: HTTP 200/)
    assert.equal(receiver.received.at(-1)!.headers['webhook-id'], receiver.received[0]!.headers['webhook-id'])
    assert.equal((await deliveries())[0]!.status, 'delivered')
  })

  it('disables an endpoint whose every attempt failed for the configured time, and says so in the log', async () => {
    const endpoint = await subscribe()
    receiver.status = 500
    const contact = await addContact(env, { username: 'johndoe' })
    await setStatus(contact.id, { lead_status: 'won' })
    const logs: Record<string, unknown>[] = []
    startWorker({ scheduleMs: [10, 10, 10], disableAfterMs: 1, log: (entry) => logs.push(entry) })
    while (!logs.some((l) => l.msg === 'webhook endpoint disabled')) await new Promise((resolve) => setTimeout(resolve, 10))
    // The CLI below opens a second connection in this same thread: no write of the worker may hold the lock meanwhile.
    await worker!.stop()
    const listed = JSON.parse((await cli(env.dbPath, 'webhook', 'list', env.org.id, '--json')).out)
    assert.equal(listed[0].id, endpoint.id)
    assert.equal(listed[0].enabled, false)
    assert.match(listed[0].disabled_reason, /every attempt failed since/)
    // Disabled: a new change queues nothing for it. `webhook enable` brings it back for new events.
    const pending = () =>
      env.store.db.selectFrom('webhook_endpoints').select('pending').where('id', '=', endpoint.id).executeTakeFirstOrThrow()
    const before = (await pending()).pending
    await setStatus(contact.id, { lead_status: 'lost' })
    assert.equal((await pending()).pending, before)
    const enabled = await cli(env.dbPath, 'webhook', 'enable', endpoint.id)
    assert.equal(enabled.code, 0, enabled.err)
    assert.match(enabled.out, new RegExp(`Webhook endpoint ${endpoint.id} enabled`))
    const [after] = JSON.parse((await cli(env.dbPath, 'webhook', 'list', env.org.id, '--json')).out)
    assert.equal(after.enabled, true)
    assert.equal(after.disabled_reason, null)
    assert.equal(after.failing_since, null)
    await setStatus(contact.id, { lead_status: 'won' })
    assert.equal((await pending()).pending, before + 1)
    const audit = await env.store.db.selectFrom('audit_log').select(['via', 'detail']).execute()
    assert.deepEqual(audit, [{ via: 'cli', detail: `Enabled webhook endpoint ${endpoint.url}` }])
    assert.equal((await cli(env.dbPath, 'webhook', 'enable', 'no-such-id')).code, 1)
  })

  it("keeps each endpoint's waiting count exact, and past the outbox bound fails a new delivery at once", async () => {
    const endpoint = await subscribe(['contact.status_changed'])
    const contact = await addContact(env, { username: 'johndoe' })
    const counts = async () => ({
      kept: Number((await env.store.db.selectFrom('webhook_endpoints').select('pending').executeTakeFirstOrThrow()).pending),
      waiting: (await deliveries()).filter((d) => d.status === 'pending').length,
    })
    // A backlog one short of the bound, as a receiver that has been down for days leaves it.
    await env.store.write((trx) =>
      sql`insert into webhook_deliveries (id, endpoint_id, message_id, event_type, payload, status, next_attempt_at, created_at)
        with recursive n(i) as (select 1 union all select i + 1 from n where i < ${MAX_PENDING_PER_ENDPOINT - 1})
        select 'backlog-' || i, ${endpoint.id}, 'msg_backlog_' || i, 'contact.status_changed', '{}', 'pending', '2099-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' from n`.execute(
        trx,
      ),
    )
    assert.deepEqual(await counts(), { kept: MAX_PENDING_PER_ENDPOINT - 1, waiting: MAX_PENDING_PER_ENDPOINT - 1 })
    assert.equal((await setStatus(contact.id, { lead_status: 'won' })).status, 200)
    assert.deepEqual(await counts(), { kept: MAX_PENDING_PER_ENDPOINT, waiting: MAX_PENDING_PER_ENDPOINT })
    // Full: the change still succeeds; its delivery is recorded as failed, with why, and can be retried later.
    assert.equal((await setStatus(contact.id, { lead_status: 'lost' })).status, 200)
    const ours = (await deliveries()).filter((d) => !d.id.startsWith('backlog-'))
    const toLost = (d: { payload: string }) => JSON.parse(d.payload).data.changes.lead_status.to === 'lost'
    assert.deepEqual(ours.map((d) => [toLost(d), d.status]).sort(), [
      [false, 'pending'],
      [true, 'failed'],
    ])
    const overflow = ours.find(toLost)!
    const attempts = await env.store.db.selectFrom('webhook_attempts').select('error').where('delivery_id', '=', overflow.id).execute()
    assert.deepEqual(attempts, [{ error: `outbox full: ${MAX_PENDING_PER_ENDPOINT} deliveries already waiting` }])
    assert.deepEqual(await counts(), { kept: MAX_PENDING_PER_ENDPOINT, waiting: MAX_PENDING_PER_ENDPOINT })
    // `webhook retry` sends it at once; sent, it stops counting. Put back in the outbox, it counts again.
    const retried = await cli(env.dbPath, 'webhook', 'retry', overflow.id)
    assert.match(retried.out, /delivered: HTTP 2\d\d/)
    assert.deepEqual(await counts(), { kept: MAX_PENDING_PER_ENDPOINT, waiting: MAX_PENDING_PER_ENDPOINT })
    await env.store.write((trx) => retryDelivery(trx, overflow.id, isoTime(env.now())))
    assert.deepEqual(await counts(), { kept: MAX_PENDING_PER_ENDPOINT + 1, waiting: MAX_PENDING_PER_ENDPOINT + 1 })
    await env.store.write((trx) => trx.deleteFrom('webhook_deliveries').where('id', 'like', 'backlog-1%').execute())
    const left = await counts()
    assert.equal(left.kept, left.waiting)
    assert.ok(left.waiting < MAX_PENDING_PER_ENDPOINT - 1000)
  })

  it('records the outcomes of attempts that end together in one write, each delivery and endpoint as if one by one', async () => {
    // Refused targets (loopback without --allow-private) fail at once, without the network: the
    // eight attempts of one claim all end before the first outcome's write has committed.
    const endpoints = [await subscribe(undefined, false), await subscribe(undefined, false)]
    for (const name of ['a', 'b', 'c', 'd']) {
      const contact = await addContact(env, { username: name })
      await setStatus(contact.id, { lead_status: 'won' })
    }
    let writes = 0
    const counting: Store = {
      ...env.store,
      write: (work, options) => {
        writes++
        return env.store.write(work, options)
      },
    }
    // Nothing to remove, so no removal's write among those counted.
    const keepMs = Number.POSITIVE_INFINITY
    worker = startDeliveryWorker(counting, { pollMs: 10, scheduleMs: [60_000], jitter: 0, maxConcurrent: 8, keepMs })
    while ((await env.store.db.selectFrom('webhook_attempts').select('id').execute()).length < 8)
      await new Promise((resolve) => setTimeout(resolve, 10))
    await worker.stop()
    // One claim, then the first outcome alone and the seven that ended meanwhile together (one write each before).
    assert.equal(writes, 3)
    const rows = await deliveries()
    assert.equal(rows.length, 8)
    for (const row of rows) {
      assert.equal(row.status, 'pending')
      assert.equal(row.attempts, 1)
      assert.ok(row.next_attempt_at! > isoTime(Date.now() + 50_000), 'due again per the schedule')
    }
    const state = await env.store.db.selectFrom('webhook_endpoints').select(['id', 'pending', 'failing_since', 'enabled']).execute()
    assert.deepEqual(
      state.map(({ pending, enabled }) => ({ pending, enabled })),
      endpoints.map(() => ({ pending: 4, enabled: 1 })),
    )
    assert.ok(state.every((e) => e.failing_since !== null))
  })

  it('paces its attempts while a request is in flight, and sends the rest once none is', async () => {
    await subscribe(['contact.status_changed'])
    const contact = await addContact(env, { username: 'johndoe' })
    for (const status of ['won', 'lost', 'open', 'won', 'lost', 'open']) await setStatus(contact.id, { lead_status: status })
    // A request the app is answering: it waits for its body, which comes only when the test says.
    const held = heldRequest(env, 'PATCH', '/api/v1/contact/contact-status', {
      organization_id: env.org.id,
      contact_id: contact.id,
      lead_status: 'won',
    })
    assert.equal(env.app.busy(), true)
    startWorker({ busy: env.app.busy, pace: { attempts: 2, perMs: 60_000 } })
    await receiver.waitFor(2)
    // The worker looks again every 10 ms meanwhile; this wait gives it the chance to send more than
    // its pace (a slow machine gives it fewer chances, never a wrong failure).
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(receiver.received.length, 2, 'two attempts in the pace window while the request is in flight')
    assert.equal((await deliveries()).filter((d) => d.attempts === 0).length, 4)
    held.finish()
    assert.equal((await held.response).status, 200)
    assert.equal(env.app.busy(), false)
    // At full speed again: the four waiting, and the held request's own change.
    const got = await receiver.waitFor(7)
    assert.equal(new Set(got.map((r) => r.headers['webhook-id'])).size, 7, 'each message sent once')
    await worker!.stop() // the last outcomes may still be on their way to the database
    assert.ok((await deliveries()).every((d) => d.status === 'delivered' && d.attempts === 1))
  })

  it('signs with both secrets during a rotation', async () => {
    const endpoint = await subscribe()
    const rotated = JSON.parse((await cli(env.dbPath, 'webhook', 'rotate-secret', endpoint.id, '--json')).out)
    assert.notEqual(rotated.secret, endpoint.secret)
    const contact = await addContact(env, { username: 'johndoe' })
    await setStatus(contact.id, { lead_status: 'won' })
    startWorker()
    const [delivery] = await receiver.waitFor(1)
    const headers = delivery!.headers as Record<string, string>
    assert.equal(headers['webhook-signature']!.split(' ').length, 2)
    for (const secret of [endpoint.secret, rotated.secret])
      assert.equal((new Webhook(secret).verify(delivery!.body, headers) as any).type, 'contact.status_changed')
  })

  it('writes nothing to the outbox for an organization without endpoints, or for events nobody subscribed', async () => {
    const contact = await addContact(env, { username: 'johndoe' })
    await setStatus(contact.id, { lead_status: 'won' })
    await subscribe(['contact.archived'])
    await setStatus(contact.id, { lead_status: 'lost' })
    assert.deepEqual(await deliveries(), [])
  })

  it('keeps the connection to a receiver open between attempts', async () => {
    await subscribe(['contact.status_changed'])
    const contact = await addContact(env, { username: 'johndoe' })
    for (const status of ['won', 'lost', 'open', 'won']) await setStatus(contact.id, { lead_status: status })
    startWorker({ maxConcurrent: 1 })
    const got = await receiver.waitFor(4)
    assert.equal(new Set(got.map((r) => r.remotePort)).size, 1, 'four attempts, one connection')
  })

  describe('SSRF guard', () => {
    it('refuses loopback, private, link-local, CGNAT, metadata, multicast and IPv6 private forms', () => {
      for (const address of [
        '127.0.0.1',
        '10.1.2.3',
        '172.16.0.1',
        '192.168.1.1',
        '169.254.169.254',
        '100.64.0.1',
        '0.0.0.0',
        '224.0.0.1',
        '::1',
        '::',
        'fd00:ec2::254',
        'fc00::1',
        'fe80::1',
        'ff02::1',
        '::ffff:127.0.0.1',
        '::ffff:7f00:1',
        '::ffff:169.254.169.254',
        '64:ff9b::a00:1',
      ]) {
        assert.ok(forbiddenReason(address), `${address} is refused`)
      }
      for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])
        assert.equal(forbiddenReason(address), null, address)
    })

    it('checks the resolved address: a host name that resolves to 127.0.0.1 is refused unless private targets are allowed', async () => {
      const rebinding = async () => [{ address: '127.0.0.1', family: 4 }]
      await assert.rejects(
        resolveTarget('https://hooks.example.com/x', false, rebinding),
        /refused: hooks\.example\.com resolves to 127\.0\.0\.1, a loopback address/,
      )
      await assert.rejects(resolveTarget('http://localhost:9/x', false), /refused: localhost resolves to/)
      await assert.rejects(resolveTarget('http://[::ffff:10.0.0.1]/x', false), /refused/)
      assert.equal((await resolveTarget('https://hooks.example.com/x', true, rebinding)).address, '127.0.0.1')
      // One bad address among several is enough to refuse.
      await assert.rejects(
        resolveTarget('https://x.example/', false, async () => [
          { address: '8.8.8.8', family: 4 },
          { address: '10.0.0.1', family: 4 },
        ]),
        /refused/,
      )
    })

    it('never connects to a refused target and records why', async () => {
      const endpoint = await subscribe(undefined, false)
      const contact = await addContact(env, { username: 'johndoe' })
      await setStatus(contact.id, { lead_status: 'won' })
      startWorker({ scheduleMs: [] })
      while ((await deliveries())[0]!.status !== 'failed') await new Promise((resolve) => setTimeout(resolve, 10))
      await worker!.stop()
      assert.equal(receiver.received.length, 0)
      const [row] = JSON.parse((await cli(env.dbPath, 'webhook', 'deliveries', endpoint.id, '--json')).out)
      assert.match(row.attempt_log[0].error, /refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address/)
    })

    it('checks every attempt, also when a kept connection to the same address is open', async () => {
      // Two endpoints with one URL, whose host resolves to the receiver's 127.0.0.1: the one allowed
      // private targets gets a kept connection; the other's attempts must still be refused, not sent on it.
      const port = new URL(receiver.url).port
      const url = `http://hooks.example.test:${port}/hook`
      let lookups = 0
      const toLoopback = async () => {
        lookups++
        return [{ address: '127.0.0.1', family: 4 }]
      }
      const allowed = await subscribe(['contact.status_changed'], true, url)
      const contact = await addContact(env, { username: 'johndoe' })
      await setStatus(contact.id, { lead_status: 'won' })
      startWorker({ scheduleMs: [], lookup: toLoopback, maxConcurrent: 1 })
      await receiver.waitFor(1)
      const refused = await subscribe(['contact.status_changed'], false, url)
      await setStatus(contact.id, { lead_status: 'lost' })
      await setStatus(contact.id, { lead_status: 'open' })
      worker!.wake()
      while ((await deliveries()).some((d) => d.status === 'pending')) await new Promise((resolve) => setTimeout(resolve, 10))
      await worker!.stop()
      const rows = await deliveries()
      assert.deepEqual(
        rows.filter((d) => d.endpoint_id === allowed.id).map((d) => d.status),
        ['delivered', 'delivered', 'delivered'],
      )
      assert.deepEqual(
        rows.filter((d) => d.endpoint_id === refused.id).map((d) => d.status),
        ['failed', 'failed'],
      )
      assert.equal(receiver.received.length, 3, "nothing of the refused endpoint's reached the receiver")
      assert.equal(new Set(receiver.received.map((r) => r.remotePort)).size, 1, 'the allowed endpoint kept its connection')
      assert.equal(lookups, 5, 'one lookup and check per attempt')
      const [row] = JSON.parse((await cli(env.dbPath, 'webhook', 'deliveries', refused.id, '--json')).out)
      assert.match(row.attempt_log[0].error, /refused: hooks\.example\.test resolves to 127\.0\.0\.1/)
    })

    it('delivers over https, checking the certificate against the URL host, not the address it connects to', async () => {
      // The certificate names localhost and 127.0.0.1. Every host below resolves to 127.0.0.1, and the
      // delivery connects to that checked address: a certificate check made against the address would
      // wrongly accept the last host.
      const pair = selfSignedPair('webhook receiver')
      const secure = await startReceiver(204, pair)
      const port = new URL(secure.url).port
      const toLoopback = async () => [{ address: '127.0.0.1', family: 4 }]
      try {
        const good = await subscribe(['contact.status_changed'], true, `https://localhost:${port}/hook`)
        const untrusted = await subscribe(['contact.status_changed'], true, `https://127.0.0.1:${port}/untrusted`)
        const wrongName = await subscribe(['contact.status_changed'], true, `https://hooks.example.test:${port}/wrong-name`)
        const contact = await addContact(env, { username: 'johndoe' })
        await setStatus(contact.id, { lead_status: 'won' })
        const trusting = startWorker({ scheduleMs: [], lookup: toLoopback, extraRoots: [pair.cert] })
        await secure.waitFor(2)
        const got = secure.received.find((r) => r.headers.host === `localhost:${port}`)
        assert.ok(got, 'the localhost endpoint got its delivery')
        const verified = new Webhook(good.secret).verify(got!.body, got!.headers as Record<string, string>) as { type: string }
        assert.equal(verified.type, 'contact.status_changed')
        const settled = async () => {
          for (;;) {
            const rows = await deliveries()
            if (rows.every((r) => r.status !== 'pending')) return rows
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        }
        const rows = await settled()
        await trusting.stop()
        const byEndpoint = (id: string) => rows.find((r) => r.endpoint_id === id)!
        assert.equal(byEndpoint(good.id).status, 'delivered')
        assert.equal(byEndpoint(wrongName.id).status, 'failed')
        assert.equal(byEndpoint(untrusted.id).status, 'delivered', '127.0.0.1 is in the certificate')
        const [wrong] = JSON.parse((await cli(env.dbPath, 'webhook', 'deliveries', wrongName.id, '--json')).out)
        assert.match(wrong.attempt_log[0].error, /hooks\.example\.test|altnames|does not match/i)
        assert.equal(secure.received.length, 2, 'nothing reached the receiver under the wrong name')
        // Without the test's root the self-signed certificate is refused like any unknown one.
        await setStatus(contact.id, { lead_status: 'lost' })
        worker = startWorker({ scheduleMs: [], lookup: toLoopback })
        const after = (await settled()).filter((r) => r.endpoint_id === good.id)
        assert.deepEqual(after.map((r) => r.status).sort(), ['delivered', 'failed'])
        assert.equal(secure.received.length, 2)
      } finally {
        await secure.close()
      }
    })

    it('reuses a kept https connection only for the host name its certificate was checked for', async () => {
      const pair = selfSignedPair('webhook receiver')
      const secure = await startReceiver(204, pair)
      const port = new URL(secure.url).port
      const toLoopback = async () => [{ address: '127.0.0.1', family: 4 }]
      try {
        const good = await subscribe(['contact.status_changed'], true, `https://localhost:${port}/hook`)
        const contact = await addContact(env, { username: 'johndoe' })
        await setStatus(contact.id, { lead_status: 'won' })
        startWorker({ scheduleMs: [], lookup: toLoopback, extraRoots: [pair.cert], maxConcurrent: 1 })
        await secure.waitFor(1)
        // Same address and port as the kept connection, a name the certificate does not have.
        const wrongName = await subscribe(['contact.status_changed'], true, `https://hooks.example.test:${port}/wrong-name`)
        await setStatus(contact.id, { lead_status: 'lost' })
        worker!.wake()
        while ((await deliveries()).some((d) => d.status === 'pending')) await new Promise((resolve) => setTimeout(resolve, 10))
        await worker!.stop()
        const rows = await deliveries()
        assert.deepEqual(
          rows.filter((d) => d.endpoint_id === wrongName.id).map((d) => d.status),
          ['failed'],
        )
        assert.deepEqual(
          rows.filter((d) => d.endpoint_id === good.id).map((d) => d.status),
          ['delivered', 'delivered'],
        )
        assert.equal(secure.received.length, 2, 'nothing reached the receiver under the wrong name')
        assert.equal(new Set(secure.received.map((r) => r.remotePort)).size, 1, 'the good endpoint kept its connection')
      } finally {
        await secure.close()
      }
    })

    it('accepts only http(s) URLs', async () => {
      for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'not a url', 'http://user:pw@example.com/']) {
        const result = await cli(env.dbPath, 'webhook', 'add', env.org.id, '--url', url)
        assert.equal(result.code, 1, url)
      }
    })
  })

  describe('retention', () => {
    const DAY = 24 * 60 * 60 * 1000
    const count = (table: 'webhook_deliveries' | 'webhook_attempts') => rowCount(env, table)
    /** `n` status changes of one contact, each sent and delivered, at the app's current time. */
    const deliveredChanges = async (n: number) => {
      const contact = await addContact(env, { username: `lead${env.now()}` })
      for (let i = 0; i < n; i++) await setStatus(contact.id, { lead_status: i % 2 === 0 ? 'won' : 'lost' })
      const sender = startDeliveryWorker(env.store, { pollMs: 10, now: env.now, keepMs: Number.POSITIVE_INFINITY })
      while ((await deliveries()).some((d) => d.status !== 'delivered')) await new Promise((resolve) => setTimeout(resolve, 10))
      await sender.stop()
    }

    /** Three deliveries finished 31 days ago, then a status change held in flight (its body not yet sent). */
    const oldDeliveriesThenHeldRequest = async () => {
      await subscribe(['contact.status_changed'])
      await deliveredChanges(3)
      env.advance(31 * DAY)
      const contact = await addContact(env, { username: 'johndoe' })
      return heldRequest(env, 'PATCH', '/api/v1/contact/contact-status', {
        organization_id: env.org.id,
        contact_id: contact.id,
        lead_status: 'won',
      })
    }

    it('removes finished deliveries and their attempts once the kept time has passed; keeps waiting ones', async () => {
      const endpoint = await subscribe(['contact.status_changed'])
      await deliveredChanges(4)
      const [failed, waiting, retried, delivered] = await deliveries()
      assert.equal(await count('webhook_attempts'), 4)
      await env.store.db.updateTable('webhook_deliveries').set({ status: 'failed' }).where('id', '=', failed!.id).execute()
      // Waiting for a disabled endpoint to come back: never removed, however old.
      await env.store.db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', next_attempt_at: isoTime(env.now() + 365 * DAY) })
        .where('id', '=', waiting!.id)
        .execute()
      // Retried by hand 20 days later: kept 30 days from that attempt.
      await env.store.db
        .updateTable('webhook_deliveries')
        .set({ last_attempt_at: isoTime(env.now() + 20 * DAY) })
        .where('id', '=', retried!.id)
        .execute()
      env.advance(31 * DAY)
      await setStatus((await addContact(env, { username: 'newer' })).id, { lead_status: 'won' })

      assert.equal(await pruneDeliveries(env.store, env.now() - 30 * DAY), 2)
      const left = await deliveries()
      assert.deepEqual(
        left.map((d) => d.id),
        [waiting!.id, retried!.id, left[2]!.id],
      )
      assert.ok(left[2]!.created_at > delivered!.created_at, 'the new delivery stays')
      assert.equal(await count('webhook_attempts'), 2, "the removed deliveries' attempts went with them")
      const [after] = await env.store.db.selectFrom('webhook_endpoints').select('pending').where('id', '=', endpoint.id).execute()
      assert.equal(after!.pending, 2, 'the waiting count is untouched')
      assert.equal(await pruneDeliveries(env.store, env.now() - 30 * DAY), 0)
    })

    it('removes at most one batch at a time, oldest first', async () => {
      await subscribe(['contact.status_changed'])
      await deliveredChanges(3)
      const [oldest, , newest] = await deliveries()
      env.advance(31 * DAY)
      // A cutoff before 1970 (keep-days longer than the clock's age) removes nothing, whatever the collation.
      assert.equal(idFloor(-DAY), '00000000-0000-')
      assert.equal(await pruneDeliveries(env.store, -DAY), 0)
      assert.equal(await pruneDeliveries(env.store, env.now() - 30 * DAY, 2), 2)
      assert.deepEqual(
        (await deliveries()).map((d) => d.id),
        [newest!.id],
      )
      assert.ok(idFloor(Date.parse(oldest!.created_at)) <= oldest!.id && oldest!.id < idFloor(Date.parse(oldest!.created_at) + 1))
      assert.equal(await pruneDeliveries(env.store, env.now() - 30 * DAY, 2), 1)
    })

    it('is done by the worker between requests, never while one is in flight', async () => {
      const held = await oldDeliveriesThenHeldRequest()
      const lines: Record<string, unknown>[] = []
      startWorker({ busy: env.app.busy, now: env.now, pruneEveryMs: 0, log: (line) => lines.push(line) })
      await new Promise((resolve) => setTimeout(resolve, 200))
      assert.equal(await count('webhook_deliveries'), 3, 'nothing removed while the request is in flight')
      held.finish()
      assert.equal((await held.response).status, 200)
      await receiver.waitFor(4) // the held request's change, sent once it was answered
      while ((await count('webhook_deliveries')) > 1) await new Promise((resolve) => setTimeout(resolve, 10))
      const [kept] = await deliveries()
      assert.equal(kept!.created_at, isoTime(env.now()))
      assert.deepEqual(
        lines.filter((l) => l.msg === 'webhook deliveries removed'),
        [{ level: 'info', msg: 'webhook deliveries removed', count: 3, finished_before: isoTime(env.now() - 30 * DAY) }],
      )
    })

    it('still removes a batch now and then on a server that always has a request in flight', async () => {
      const held = await oldDeliveriesThenHeldRequest()
      startWorker({ busy: env.app.busy, now: env.now, pruneOverdueMs: 100 })
      while ((await count('webhook_deliveries')) > 0) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.equal(env.app.busy(), true, 'removed while the request was still in flight')
      held.finish()
      assert.equal((await held.response).status, 200)
    })

    it('keeps 30 days by default; serve --webhook-keep-days sets other days or forever, and refuses the rest', () => {
      assert.equal(loadConfig({}, {}).webhookKeepMs, 30 * DAY)
      assert.equal(loadConfig({ 'webhook-keep-days': '7' }, {}).webhookKeepMs, 7 * DAY)
      assert.equal(loadConfig({}, { DMTRACKER_WEBHOOK_KEEP_DAYS: 'forever' }).webhookKeepMs, Number.POSITIVE_INFINITY)
      for (const bad of ['0', '-1', '1.5', 'week', ''])
        assert.throws(() => loadConfig({ 'webhook-keep-days': bad }, {}), /--webhook-keep-days must be a whole number of days/)
    })
  })

  describe('dmtracker webhook', () => {
    it('adds (secret shown once), lists, tests, shows deliveries and removes', async () => {
      const added = await cli(
        env.dbPath,
        'webhook',
        'add',
        env.org.id,
        '--url',
        receiver.url,
        '--events',
        'contact.created,contact.archived',
        '--allow-private',
      )
      assert.equal(added.code, 0, added.err)
      const id = /endpoint (\S+) added/.exec(added.out)![1]!
      const secret = /secret: (whsec_\S+)/.exec(added.out)![1]!
      const list = await cli(env.dbPath, 'webhook', 'list', env.org.id)
      assert.match(list.out, /contact\.created,contact\.archived/)
      assert.doesNotMatch(list.out, /whsec_/)
      const tested = await cli(env.dbPath, 'webhook', 'test', id)
      assert.equal(tested.code, 0, tested.err)
      assert.match(tested.out, /webhook\.test delivery \S+ delivered: HTTP 204/)
      assert.equal(
        (new Webhook(secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers as Record<string, string>) as any).type,
        'webhook.test',
      )
      assert.match((await cli(env.dbPath, 'webhook', 'deliveries', id)).out, /webhook\.test {2}delivered {2}attempts 1/)
      assert.equal((await cli(env.dbPath, 'webhook', 'add', env.org.id, '--url', receiver.url, '--events', 'contact.exploded')).code, 1)
      assert.equal((await cli(env.dbPath, 'webhook', 'remove', id)).code, 0)
      assert.match((await cli(env.dbPath, 'webhook', 'list', env.org.id)).out, /\(none\)/)
      assert.match((await cli(env.dbPath, 'webhook', 'remove', id)).err, /No webhook endpoint with id/)
    })
  })
})
