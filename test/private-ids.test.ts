import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { migrations } from '../migrations/index.ts'
import { contactDetail } from '../src/contacts/detail.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { openStore, type Store } from '../src/db/open.ts'
import { listStages } from '../src/pipeline/service.ts'
import { ensureTags } from '../src/tags/repo.ts'
import { cli, setup, type TestEnv, type TestOrg } from './helpers.ts'

// Tag, message, note, activity, automation and stage ids must say nothing about other organizations:
// each organization counts its own.
describe('ids shown to an organization reveal nothing of the others', () => {
  let env: TestEnv
  let b: TestOrg
  beforeEach(async () => {
    env = await setup()
    b = await env.createOrg('Busy Agency', 'busy_page')
  })
  afterEach(async () => {
    await env.close()
  })

  const reply = (org: TestOrg, username: string, text: string) =>
    env.call(
      'POST',
      '/api/v1/contact/default-reply',
      { organization_id: org.id, manychat_id: `${username}-mc`, username, message_content: text },
      { token: org.token },
    )
  const addTag = (org: TestOrg, username: string, tag: string) =>
    env.call(
      'POST',
      '/api/v1/contact/update-tags-external',
      { organization_id: org.id, username, tag_names: [tag], mode: 'add' },
      { token: org.token },
    )
  const note = (org: TestOrg, contactId: string, text: string) =>
    env.call('POST', `/api/v1/contacts/${contactId}/follow-ups`, { note: text }, { token: org.token })
  const rule = (org: TestOrg, status: string, stage: string) =>
    cli(env.dbPath, 'automation', 'add', org.id, '--when-status', status, '--set-stage', stage, '--disabled', '--json')

  /** Organization B's busy day: replies, tags, notes and rules, between two steps of A's. */
  async function busyDay(round: number) {
    for (let i = 0; i < 7; i++) assert.equal((await reply(b, `busy${round}_${i}`, 'hello')).status, 200)
    for (const tag of ['x', 'y', 'z']) assert.equal((await addTag(b, `busy${round}_0`, `${tag}${round}`)).status, 200)
    const busy = (await reply(b, `busy${round}_0`, 'again')).body.data
    assert.equal((await note(b, busy.id, 'b note')).status, 200)
    assert.equal((await rule(b, round === 1 ? 'won' : 'lost', round === 1 ? 'Closed' : 'Lost')).code, 0)
    assert.equal((await cli(env.dbPath, 'stage', 'add', b.id, `Busy ${round}`)).code, 0)
  }

  it("numbers A's tags, messages, notes, activity, rules and stages 1, 2, 3 ... whatever B does in between", async () => {
    await busyDay(1)
    const lead = (await reply(env.org, 'lead', 'first')).body.data
    await addTag(env.org, 'lead', 'a1')
    await note(env.org, lead.id, 'a note')
    assert.equal((await rule(env.org, 'won', 'Closed')).code, 0)
    await busyDay(2)
    await reply(env.org, 'lead', 'second')
    await addTag(env.org, 'lead', 'a2')
    await note(env.org, lead.id, 'another note')
    assert.equal((await rule(env.org, 'lost', 'Lost')).code, 0)
    assert.equal((await cli(env.dbPath, 'stage', 'add', env.org.id, 'Mine')).code, 0)

    const { status, body } = await env.call('GET', `/api/v1/contacts/${lead.id}`)
    assert.equal(status, 200)
    const data = body.data
    assert.deepEqual(
      data.tags.map((t: { id: number; name: string }) => [t.id, t.name]),
      [
        [1, 'a1'],
        [2, 'a2'],
      ],
    )
    assert.deepEqual(
      data.messages.items.map((m: { id: number; content: string }) => [m.id, m.content]),
      [
        [2, 'second'],
        [1, 'first'],
      ],
    )
    assert.deepEqual(
      data.notes.map((n: { id: number; body: string }) => [n.id, n.body]),
      [
        [2, 'another note'],
        [1, 'a note'],
      ],
    )
    const activity = data.activity.items.map((a: { id: number }) => a.id)
    assert.deepEqual(
      activity,
      activity.map((_: number, i: number) => activity.length - i),
      `A's activity counts 1..n: ${activity}`,
    )
    const rules = JSON.parse((await cli(env.dbPath, 'automation', 'list', env.org.id, '--json')).out)
    assert.deepEqual(
      rules.map((r: { id: number }) => r.id),
      [1, 2],
    )
    const stages = (await env.call('GET', '/api/v1/pipeline')).body.data.stages.map((s: { id: number }) => s.id)
    assert.deepEqual(
      [...stages].sort((x: number, y: number) => x - y),
      stages.map((_: number, i: number) => i + 1),
      `A's stages count 1..n: ${stages}`,
    )
    // Rules are named by their organization and number: A's #1 is not B's #1.
    assert.match(
      (await cli(env.dbPath, 'automation', 'enable', env.org.id, '1')).out,
      /^Enabled automation rule #1: when the status becomes won/,
    )
    assert.equal(JSON.parse((await cli(env.dbPath, 'automation', 'list', b.id, '--json')).out)[0].enabled, false)
  })
})

describe('upgrading a database whose ids were shared by all organizations', () => {
  let dir: string
  let store: Store
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-private-ids-'))
    store = openStore(join(dir, 'old.db'))
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('numbers existing rows per organization in their old order, and new rows go on from there', async () => {
    const names = Object.keys(migrations).sort()
    const before = names.filter((n) => n < '2026_12_02_001_private_numbers')
    await migrateToLatest(store.db, Object.fromEntries(before.map((n) => [n, migrations[n]!])))
    // Two organizations' rows interleaved, as the shared counters left them.
    const t = '2026-01-01T00:00:00.000Z'
    await sql`insert into organizations (id, name, created_at) values ('org-a', 'A', ${t}), ('org-b', 'B', ${t})`.execute(store.db)
    await sql`insert into pipeline_stages (id, organization_id, name, color, position, created_at) values (1, 'org-a', 'Closed', 'green', 1, ${t}), (2, 'org-b', 'Closed', 'green', 1, ${t})`.execute(
      store.db,
    )
    await sql`insert into contacts (id, organization_id, username, contact_ingestion_type, created_at, updated_at) values ('ca', 'org-a', 'a', 'manychat', ${t}, ${t}), ('cb', 'org-b', 'b', 'manychat', ${t}, ${t})`.execute(
      store.db,
    )
    await sql`insert into tags (id, organization_id, name, color, created_at) values (1, 'org-b', 'b1', 'red', ${t}), (2, 'org-a', 'a1', 'red', ${t}), (3, 'org-b', 'b2', 'red', ${t}), (4, 'org-a', 'a2', 'red', ${t})`.execute(
      store.db,
    )
    await sql`insert into contact_tags (contact_id, tag_id, created_at) values ('ca', 2, ${t}), ('ca', 4, ${t}), ('cb', 3, ${t})`.execute(
      store.db,
    )
    await sql`insert into messages (id, contact_id, content, sent_at, source, created_at) values (1, 'cb', 'b', ${t}, 'manychat', ${t}), (2, 'ca', 'a first', '2026-01-01T00:00:01.000Z', 'manychat', ${t}), (3, 'cb', 'b', ${t}, 'manychat', ${t}), (4, 'ca', 'a second', '2026-01-01T00:00:02.000Z', 'manychat', ${t})`.execute(
      store.db,
    )
    await sql`insert into notes (id, contact_id, body, created_at) values (1, 'cb', 'b', ${t}), (2, 'cb', 'b', ${t}), (3, 'ca', 'a', ${t})`.execute(
      store.db,
    )
    await sql`insert into automations (id, organization_id, kind, stage_id, lead_status_id, enabled, created_at) values (1, 'org-b', 'status_to_stage', 2, 2, 1, ${t}), (5, 'org-a', 'status_to_stage', 1, 2, 1, ${t})`.execute(
      store.db,
    )
    await sql`insert into activity_log (id, organization_id, contact_id, action, via, automation_id, created_at) values
      (1, 'org-b', 'cb', 'contact_created', 'api', null, ${t}), (2, 'org-a', 'ca', 'contact_created', 'api', null, ${t}),
      (3, 'org-b', 'cb', 'pipeline_stage', 'automation', 1, ${t}), (4, 'org-a', 'ca', 'pipeline_stage', 'automation', 5, ${t})`.execute(
      store.db,
    )

    assert.equal((await migrateToLatest(store.db))[0], '2026_12_02_001_private_numbers')

    const a = await contactDetail(store.db, 'org-a', 'ca', { limit: 10 })
    assert.deepEqual(
      a.tags.map((tag) => [tag.id, tag.name]),
      [
        [1, 'a1'],
        [2, 'a2'],
      ],
    )
    assert.deepEqual(
      a.messages.items.map((m) => [m.id, m.content]),
      [
        [2, 'a second'],
        [1, 'a first'],
      ],
    )
    assert.deepEqual(
      a.notes.map((n) => n.id),
      [1],
    )
    assert.deepEqual(
      a.activity.items.map((x) => [x.id, x.action, x.automation_id]),
      [
        [2, 'pipeline_stage', 1],
        [1, 'contact_created', null],
      ],
    )
    const b = await contactDetail(store.db, 'org-b', 'cb', { limit: 10 })
    assert.deepEqual(
      b.tags.map((tag) => tag.id),
      [2],
    )
    assert.deepEqual(
      b.notes.map((n) => n.id),
      [2, 1],
    )
    assert.deepEqual(
      b.activity.items.map((x) => [x.id, x.automation_id]),
      [
        [2, 1],
        [1, null],
      ],
    )
    assert.deepEqual(
      (await listStages(store.db, 'org-b')).map((s) => [s.id, s.name]),
      [[1, 'Closed']],
    )
    // The next tag of each organization follows its own last one.
    const [next] = await store.write((trx) => ensureTags(trx, 'org-a', ['a3'], 'red', t))
    assert.equal(next!.number, 3)
    assert.equal(String(store.sqlite.value('pragma integrity_check')), 'ok')
  })
})
