// Database faults as a running server meets them: another process holding the write lock, and a
// full disk (simulated with PRAGMA max_page_count). Each must be a 503 with Retry-After, never a
// 500, leave nothing half-written, and pass without anyone restarting anything.

import assert from 'node:assert/strict'
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { runtime } from '#runtime'
import { ENDPOINT_NAMES, ENDPOINTS, type EndpointName } from '../scripts/reliability/endpoints.ts'
import { type CallResult, describeSqlite, isErrorShape, rowCount, setup, type TestEnv } from './helpers.ts'

const HOLDER = join(import.meta.dirname, '../scripts/reliability/hold-write-lock.ts')

/** Another process that takes the write lock and keeps it for `holdMs`, or until release(). */
async function lockFromAnotherProcess(dbPath: string, holdMs?: number) {
  const args = [...(runtime.name === 'node' ? ['--import', 'tsx'] : []), HOLDER, dbPath, ...(holdMs === undefined ? [] : [String(holdMs)])]
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = once(child, 'exit')
  const [line] = await once(child.stdout, 'data')
  assert.equal(String(line).trim(), 'locked')
  return {
    exited,
    async release() {
      child.stdin.end('release\n')
      await exited
    },
  }
}

/** Rows in every table that a write endpoint writes to: equal counts mean nothing was written. */
async function rowCounts(env: TestEnv) {
  const counts: Record<string, number> = {}
  for (const table of ['contacts', 'messages', 'notes', 'tags', 'contact_tags', 'activity_log', 'organizations'] as const) {
    counts[table] = await rowCount(env, table)
  }
  return counts
}

describeSqlite('database faults', () => {
  let env: TestEnv
  let contactId: string
  let n = 0

  /** A valid request for each write endpoint, new content each time. */
  const request = (endpoint: EndpointName) => {
    const id = ++n
    const bodies: Record<EndpointName, Record<string, unknown>> = {
      'default-reply': { organization_id: env.org.id, manychat_id: `mc_${id}`, username: `reply_${id}`, message_content: `reply ${id}` },
      'create-contact': {
        organization_id: env.org.id,
        username: `new_${id}`,
        had_outreach: false,
        last_response_at: '2026-01-10T10:00:00Z',
        last_message_content: `hello ${id}`,
        note: `note ${id}`,
        tags: [`tag_${id}`],
      },
      'update-tags': { organization_id: env.org.id, contact_id: contactId, mode: 'add', tag_names: [`tag_${id}`] },
      'contact-status': {
        organization_id: env.org.id,
        contact_id: contactId,
        lead_status: ['won', 'lost'][id % 2],
        pipeline_stage: ['Closed', 'Lost'][id % 2],
      },
    }
    return env.call(ENDPOINTS[endpoint].method, ENDPOINTS[endpoint].path, bodies[endpoint])
  }
  const everyEndpoint = () => Promise.all(ENDPOINT_NAMES.map(request))

  const assertUnavailable = (res: CallResult) => {
    assert.equal(res.status, 503, res.text)
    assert.ok(isErrorShape(res.body))
    assert.ok(Number(res.headers.get('retry-after')) >= 1)
    assert.ok(!/sqlite|SQLITE|database or disk/.test(res.text), 'no internals in the answer')
  }

  beforeEach(async () => {
    env = await setup({ rateLimitPerMinute: 0 })
    const res = await request('create-contact')
    assert.equal(res.status, 201)
    contactId = res.body.data.id
  })
  afterEach(async () => {
    await env.close()
  })

  describe('another process holds the write lock', () => {
    it('longer than busy_timeout: 503 with Retry-After on every write endpoint, nothing written, then service resumes by itself', async () => {
      env.store.sqlite.exec('pragma busy_timeout = 100')
      const before = await rowCounts(env)
      const lock = await lockFromAnotherProcess(env.dbPath)
      try {
        for (const res of await everyEndpoint()) assertUnavailable(res)
        for (const res of await everyEndpoint()) assertUnavailable(res) // and again: nothing got stuck
        assert.equal((await env.call('GET', '/healthz')).status, 200, 'reads go on while writes wait')
        assert.deepEqual(await rowCounts(env), before)
      } finally {
        await lock.release()
      }
      for (const res of await everyEndpoint()) assert.ok(res.status === 200 || res.status === 201, res.text)
      assert.ok(!env.logs.some((l) => l.status === 500))
    })

    it('shorter than busy_timeout: the request waits for the lock and succeeds', async () => {
      env.store.sqlite.exec('pragma busy_timeout = 10000')
      const lock = await lockFromAnotherProcess(env.dbPath, 300)
      const res = await request('default-reply')
      assert.equal(res.status, 200, res.text)
      await lock.exited
    })
  })

  describe('the disk is full', () => {
    /** Room for about two of the big contacts below, then SQLITE_FULL. */
    const fillUp = () => {
      const pages = Number(env.store.sqlite.value('pragma page_count'))
      env.store.sqlite.exec(`pragma max_page_count = ${pages + 12}`)
    }
    const spaceIsBack = () => env.store.sqlite.exec('pragma max_page_count = 1073741823')

    it('503 with Retry-After, the database intact, and writes succeed again once there is space', async () => {
      fillUp()
      // Big enough that a new contact needs pages the database may not have.
      const big = (i: number) => ({
        organization_id: env.org.id,
        username: `big_${i}`,
        had_outreach: false,
        last_response_at: '2026-01-10T10:00:00Z',
        last_message_content: `${i}`.padEnd(8000, 'x'),
        note: `note ${i}`,
        tags: [`big_${i}`],
      })
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => env.call('POST', ENDPOINTS['create-contact'].path, big(i))))
      // Arriving together they share one transaction (group commit): some fit, the rest fail alone.
      const statuses = results.map((r) => r.status)
      assert.ok(statuses.includes(201) && statuses.includes(503), statuses.join(' '))
      assert.equal(env.store.sqlite.value('pragma integrity_check'), 'ok')
      // Each request happened completely or not at all.
      for (const [i, res] of results.entries()) {
        const contact = await env.store.db.selectFrom('contacts').select('id').where('username', '=', `big_${i}`).executeTakeFirst()
        const tag = await env.store.db.selectFrom('tags').select('id').where('name', '=', `big_${i}`).executeTakeFirst()
        const note = await env.store.db.selectFrom('notes').select('id').where('body', '=', `note ${i}`).executeTakeFirst()
        const activity = await env.store.db.selectFrom('activity_log').select('id').where('new_value', '=', `big_${i}`).executeTakeFirst()
        if (res.status === 503) {
          assertUnavailable(res)
          assert.deepEqual([contact, tag, note, activity], [undefined, undefined, undefined, undefined], `request ${i} left a trace`)
        } else {
          assert.equal(res.status, 201, res.text)
          assert.ok(contact && tag && note && activity, `request ${i} is incomplete`)
        }
      }
      spaceIsBack()
      for (const res of await everyEndpoint()) assert.ok(res.status === 200 || res.status === 201, res.text)
      const again = await env.call('POST', ENDPOINTS['create-contact'].path, big(99))
      assert.equal(again.status, 201)
      assert.equal(env.store.sqlite.value('pragma integrity_check'), 'ok')
      assert.ok(!env.logs.some((l) => l.status === 500))
    })

    it('every write endpoint reaches the 503, never a 500', async () => {
      fillUp()
      for (const endpoint of ENDPOINT_NAMES) {
        // Small changes may still fit in the last pages' free space; sooner or later none does.
        let res = await request(endpoint)
        for (let i = 0; i < 300 && res.status !== 503; i++) {
          assert.ok(res.status === 200 || res.status === 201, res.text)
          res = await request(endpoint)
        }
        assertUnavailable(res)
      }
      spaceIsBack()
      for (const res of await everyEndpoint()) assert.ok(res.status === 200 || res.status === 201, res.text)
      assert.equal(env.store.sqlite.value('pragma integrity_check'), 'ok')
    })
  })
})
