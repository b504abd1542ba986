import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { migrations } from '../migrations/index.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { openStore, type Store } from '../src/db/open.ts'

// The setter-analytics migration on a database that already has contacts: assignees, outreach
// moments, first replies, bookings and open follow-ups are filled in from what was recorded.

describe('upgrading a database to setter analytics', () => {
  let dir: string
  let store: Store
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-analytics-migration-'))
    store = openStore(join(dir, 'old.db'))
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('backfills the assignee, outreach moment, first reply, booking and open follow-ups', async () => {
    const before = Object.keys(migrations)
      .sort()
      .filter((n) => n < '2026_12_02_0325_setter_analytics')
    await migrateToLatest(store.db, Object.fromEntries(before.map((n) => [n, migrations[n]!])))
    const t = '2026-01-01T00:00:00.000Z'
    await sql`insert into organizations (id, name, created_at) values ('org', 'A', ${t})`.execute(store.db)
    await sql`insert into users (id, email, created_at) values ('u1', 'a@example.com', ${t})`.execute(store.db)
    await sql`insert into pipeline_stages (id, number, organization_id, name, color, position, created_at) values
      (1, 1, 'org', 'Meeting Booked', 'purple', 1, ${t}), (2, 2, 'org', 'Other', 'gray', 2, ${t})`.execute(store.db)
    const contact = (id: string, hadOutreach: number, created: string, extra = '') =>
      sql
        .raw(`insert into contacts (id, organization_id, username, had_outreach, contact_ingestion_type, created_by_user_id, created_at, updated_at,
        follow_up_needed, next_follow_up_at, lead_status_id, pipeline_stage_id) values ('${id}', 'org', '${id}', ${hadOutreach}, 'x', 'u1', '${created}', '2026-01-09T00:00:00.000Z', ${extra || '0, null, 1, null'})`)
        .execute(store.db)
    await contact('out', 1, '2026-01-02T00:00:00.000Z', "1, '2026-01-03T00:00:00.000Z', 1, 1") // in the booking stage, no log: its last change
    await contact('conv', 1, '2026-01-01T00:00:00.000Z')
    await contact('inb', 0, '2026-01-01T00:00:00.000Z')
    await sql`insert into messages (number, contact_id, content, sent_at, source, created_at) values
      (1, 'out', 'before', '2026-01-01T12:00:00.000Z', 'x', ${t}), (2, 'out', 'after', '2026-01-02T05:00:00.000Z', 'x', ${t}), (3, 'out', 'later', '2026-01-04T00:00:00.000Z', 'x', ${t}),
      (4, 'conv', 'before conversion', '2026-01-02T00:00:00.000Z', 'x', ${t}), (5, 'conv', 'after conversion', '2026-01-06T00:00:00.000Z', 'x', ${t})`.execute(
      store.db,
    )
    await sql`insert into activity_log (number, organization_id, contact_id, action, old_value, new_value, via, created_at) values
      (1, 'org', 'conv', 'converted_to_outreach', 'inbound', 'outreach', 'api', '2026-01-05T00:00:00.000Z'),
      (2, 'org', 'conv', 'lead_status', 'open', 'won', 'api', '2026-01-07T00:00:00.000Z'),
      (3, 'org', 'conv', 'lead_status', 'won', 'open', 'api', '2026-01-08T00:00:00.000Z')`.execute(store.db)

    await migrateToLatest(store.db)
    const rows = await sql<
      Record<string, unknown>
    >`select id, assigned_user_id, outreach_at, first_reply_at, booked_at from contacts order by id`.execute(store.db)
    assert.deepEqual(rows.rows, [
      {
        id: 'conv',
        assigned_user_id: 'u1',
        outreach_at: '2026-01-05T00:00:00.000Z',
        first_reply_at: '2026-01-06T00:00:00.000Z',
        booked_at: '2026-01-07T00:00:00.000Z',
      },
      { id: 'inb', assigned_user_id: 'u1', outreach_at: null, first_reply_at: null, booked_at: null },
      {
        id: 'out',
        assigned_user_id: 'u1',
        outreach_at: '2026-01-02T00:00:00.000Z',
        first_reply_at: '2026-01-02T05:00:00.000Z',
        booked_at: '2026-01-09T00:00:00.000Z',
      },
    ])
    const org = await sql<{ booking_stage_id: number }>`select booking_stage_id from organizations`.execute(store.db)
    assert.equal(org.rows[0]!.booking_stage_id, 1)
    const open = await sql<Record<string, unknown>>`select contact_id, due_at, closed_at, outcome from follow_ups`.execute(store.db)
    assert.deepEqual(open.rows, [{ contact_id: 'out', due_at: '2026-01-03T00:00:00.000Z', closed_at: null, outcome: null }])
  })
})
