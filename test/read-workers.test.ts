import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { runtime } from '#runtime'
import { ConfigError, loadConfig } from '../src/config.ts'
import { createReadPool } from '../src/db/read-pool.ts'
import type { Reads } from '../src/read-tasks.ts'
import { addContact, heldRequest, isErrorShape, itSqlite, setup, type TestEnv, threadNiceValues } from './helpers.ts'

// Long reads run in worker threads (src/db/read-pool.ts). These tests hold a read in the middle
// with a gate: the worker blocks its own thread after the export's first chunk, as a slow query
// would, until the test opens it.

interface Gate {
  buffer: SharedArrayBuffer
  /** Resolves once a worker has reached the gate. */
  reached(): Promise<void>
  open(): void
}

function gate(): Gate {
  const buffer = new SharedArrayBuffer(8)
  const cells = new Int32Array(buffer)
  return {
    buffer,
    reached: () => until(() => Atomics.load(cells, 1) === 1),
    open() {
      Atomics.store(cells, 0, 1)
      Atomics.notify(cells, 0)
    },
  }
}

/** Polls (a condition another thread or process settles) until it holds, or fails after 20 s. */
async function until(condition: () => boolean) {
  const deadline = Date.now() + 20_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in 20 s')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const usernames = (csv: string) => [...csv.matchAll(/^"[^"]*","([^"]*)"/gm)].map((m) => m[1]).filter((u) => u !== 'username')

/** Contacts a (oldest) to e (newest); the export lists them newest first. */
async function fiveContacts(env: TestEnv) {
  const made: Record<string, string> = {}
  for (const name of ['a', 'b', 'c', 'd', 'e']) {
    made[name] = (await addContact(env, { username: name })).id
    env.advance(1000)
  }
  return made
}

let env: TestEnv | undefined
afterEach(async () => {
  await env?.close()
  env = undefined
})

// The worker threads are SQLite's; on PostgreSQL the server reads (db/postgres.ts createPostgresReads).
describe('long reads in worker threads', () => {
  itSqlite('a write completes while an export is in progress, and the export keeps its snapshot', async () => {
    const held = gate()
    env = await setup({}, { readHooks: { gate: held.buffer, pageSize: 2 } })
    const ids = await fiveContacts(env)
    const exporting = env.app.request('/api/v1/contacts/export.csv', { headers: { 'x-org-auth-token': env.org.token } })
    await held.reached()

    // The export's worker is stuck mid-read; writes go on: archive the oldest, add a newer one.
    const archived = await env.call('DELETE', `/api/v1/contacts/${ids.a}`)
    assert.equal(archived.status, 200)
    await addContact(env, { username: 'f' })
    assert.deepEqual(env.app.reads.stats().running, 1, 'the export is still running')

    held.open()
    const res = await exporting
    assert.equal(res.status, 200)
    // What the database held when the export began: a is still there, f not yet.
    assert.deepEqual(usernames(await res.text()), ['e', 'd', 'c', 'b', 'a'])
    const after = await env.app.request('/api/v1/contacts/export.csv', { headers: { 'x-org-auth-token': env.org.token } })
    assert.deepEqual(usernames(await after.text()), ['f', 'e', 'd', 'c', 'b'])
  })

  itSqlite('keeps a worker for lists while exports take the others, and refuses reads past the queue with a 503', async () => {
    const held = gate()
    env = await setup({ readWorkers: 2 }, { readHooks: { gate: held.buffer, pageSize: 1 } })
    await fiveContacts(env)
    const headers = { 'x-org-auth-token': env.org.token }
    const first = env.app.request('/api/v1/contacts/export.csv', { headers })
    await held.reached()

    // One export holds a worker; a second export waits, but lists still get the other worker.
    let secondStarted = false
    const second = Promise.resolve(env.app.request('/api/v1/contacts/export.csv', { headers })).then((res) => {
      secondStarted = true
      return res
    })
    const list = await env.call('GET', '/api/v1/contacts?limit=2')
    assert.equal(list.status, 200)
    assert.equal(list.body.data.length, 2)
    assert.equal(secondStarted, false)

    // The queue holds 16 reads per worker; an export past it is told to come back later, while a
    // list still runs at once on the free worker.
    const queued = Array.from({ length: 31 }, () => env!.app.request('/api/v1/contacts/export.csv', { headers }))
    await until(() => env!.app.reads.stats().queued === 32)
    const refused = await env.app.request('/api/v1/contacts/export.csv', { headers })
    assert.equal(refused.status, 503)
    assert.ok(isErrorShape(await refused.json()))
    assert.equal(refused.headers.get('retry-after'), '2')
    assert.equal((await env.call('GET', '/api/v1/pipeline')).status, 200)

    held.open()
    // In turn: each export waits for the one before it to be read to the end.
    for (const exporting of [first, second, ...queued]) {
      const res = await exporting
      assert.equal(res.status, 200)
      assert.equal(usernames(await res.text()).length, 5)
    }
  })

  itSqlite('an export still finishes while the server is never without a request in flight', async () => {
    env = await setup({ readWorkers: 1 }, { readHooks: { pageSize: 1 } })
    await fiveContacts(env)
    // A write whose body never ends: the request stays in flight until the test sends it.
    const inFlight = heldRequest(env, 'POST', '/api/v1/organization/create-contact', {
      organization_id: env.org.id,
      username: 'late',
      had_outreach: false,
      last_response_at: '2025-01-12T10:00:00.000Z',
      last_message_content: 'Hi',
    })
    await until(() => env!.app.busy())

    // Exports read their pages between requests; with none ever over, they wait only so long.
    const res = await env.app.request('/api/v1/contacts/export.csv', { headers: { 'x-org-auth-token': env.org.token } })
    assert.equal(res.status, 200)
    assert.deepEqual(usernames(await res.text()), ['e', 'd', 'c', 'b', 'a'])
    assert.equal(env.app.busy(), true, 'the write was still in flight during the whole export')

    inFlight.finish()
    assert.equal((await inFlight.response).status, 201)
    assert.deepEqual(
      usernames(await (await env.app.request('/api/v1/contacts/export.csv', { headers: { 'x-org-auth-token': env.org.token } })).text()),
      ['late', 'e', 'd', 'c', 'b', 'a'],
    )
  })

  itSqlite('reads back to back still all answer while requests keep coming in', async () => {
    env = await setup({ readWorkers: 1 })
    await fiveContacts(env)
    const alone = await env.call('GET', '/api/v1/contacts?limit=3')
    // While requests come in, a worker rests after each read (3x the read's time) before the next
    // one: reads slow down, they never stop.
    let reading = true
    let others = 0
    const traffic = (async () => {
      while (reading) {
        assert.equal((await env!.app.request('/healthz')).status, 200)
        others++
        await new Promise((resolve) => setImmediate(resolve)) // lets the worker's answers in
      }
    })()
    for (let i = 0; i < 20; i++) {
      const list: Awaited<ReturnType<TestEnv['call']>> = await env.call('GET', '/api/v1/contacts?limit=3')
      assert.equal(list.status, 200)
      assert.deepEqual(list.body, alone.body)
    }
    reading = false
    await traffic
    assert.ok(others > 20, `other requests came in meanwhile (${others})`)
  })

  itSqlite('stops an export when its client disconnects', async () => {
    const held = gate()
    env = await setup({ readWorkers: 1 }, { readHooks: { gate: held.buffer, pageSize: 1 } })
    await fiveContacts(env)
    const server = await runtime.listen(env.app.fetch, { hostname: '127.0.0.1', port: 0 })
    try {
      const abort = new AbortController()
      const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/contacts/export.csv`, {
        headers: { 'x-org-auth-token': env.org.token },
        signal: abort.signal,
      })
      await held.reached()
      const reader = res.body!.getReader()
      await reader.read() // the header row
      abort.abort()
      await reader.cancel().catch(() => {})
      held.open()
      // Left alone, the worker would wait for the client forever (until the read's time limit).
      await until(() => env!.app.reads.stats().running === 0)
      const list = await env.call('GET', '/api/v1/contacts')
      assert.equal(list.status, 200)
      assert.equal(list.body.data.length, 5)
    } finally {
      await server.stop()
    }
  })

  it('answers HEAD on the export with its headers and starts no export that would hold a worker', async () => {
    env = await setup({ readWorkers: 2 })
    await fiveContacts(env)
    const headers = { 'x-org-auth-token': env.org.token }
    for (let i = 0; i < 3; i++) {
      const head = await env.app.request('/api/v1/contacts/export.csv', { method: 'HEAD', headers })
      assert.equal(head.status, 200)
      assert.match(head.headers.get('content-type') ?? '', /^text\/csv/)
    }
    assert.equal(env.app.reads.stats().running, 0)
    const res = await env.app.request('/api/v1/contacts/export.csv', { headers })
    assert.equal(res.status, 200)
    assert.equal((await res.text()).trim().split('\r\n').length, 6)
  })

  itSqlite('ends a read that outlasts its time limit with an error, so a stalled download cannot hold its snapshot', async () => {
    env = await setup()
    await fiveContacts(env)
    const entry = new URL('../src/read-worker.ts', import.meta.url)
    const pool: Reads = createReadPool({ entry, path: env.dbPath, workers: 1, maxReadMs: 100, hooks: { pageSize: 1 } })
    try {
      let cutShort: Error | undefined
      const caller = { organizationId: env.org.id, tokenId: 'test' }
      const stream = await pool.stream('contactsCsv', { caller, query: {}, now: env.now() }, (error) => (cutShort = error))
      const reader = stream.getReader()
      assert.match(new TextDecoder().decode((await reader.read()).value), /"username"/)
      // The client stops reading here; the limit ends the read, and the stream says it failed.
      await until(() => cutShort !== undefined)
      assert.match(cutShort!.message, /ran past 100 ms/)
      await assert.rejects(async () => {
        while (!(await reader.read()).done);
      })
      assert.equal(pool.stats().running, 0)
    } finally {
      await pool.close()
    }
  })

  // Linux keeps a nice value per thread (/proc/self/task/<id>/stat, field 19): the read worker's
  // thread runs 10 steps below this one, so an export never takes the CPU the request thread wants.
  itSqlite('runs reads at a lower CPU priority than the thread that answers requests', { skip: process.platform !== 'linux' }, async () => {
    env = await setup()
    await fiveContacts(env)
    const lowered = () => {
      const { mine, all } = threadNiceValues()
      return all.filter((nice) => nice >= Math.min(19, mine + 10)).length
    }
    const before = lowered()
    const entry = new URL('../src/read-worker.ts', import.meta.url)
    const pool: Reads = createReadPool({ entry, path: env.dbPath, workers: 1 })
    try {
      const caller = { organizationId: env.org.id, tokenId: 'test' }
      const csv = await new Response(await pool.stream('contactsCsv', { caller, query: {}, now: env.now() }, () => {})).text()
      assert.equal(usernames(csv).length, 5)
      // at least this pool's worker (the setup's own pool may start its workers meanwhile, also lowered)
      assert.ok(lowered() > before, `${lowered()} lowered threads, ${before} before`)
    } finally {
      await pool.close()
    }
  })

  it('takes the number of read workers from --read-workers or DMTRACKER_READ_WORKERS', () => {
    assert.equal(loadConfig({}, {}).readWorkers, 2)
    assert.equal(loadConfig({ 'read-workers': '4' }, {}).readWorkers, 4)
    assert.equal(loadConfig({}, { DMTRACKER_READ_WORKERS: '1' }).readWorkers, 1)
    assert.throws(() => loadConfig({ 'read-workers': '0' }, {}), ConfigError)
  })
})
