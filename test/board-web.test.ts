import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { recordReply } from '../src/contacts/lifecycle.ts'
import { isoTime } from '../src/core/time.ts'
import { BOARD_COUNT_LIMIT } from '../src/follow-ups/board.ts'
import { BOARD_PAGE_SIZE } from '../src/web/board.tsx'
import { addContact, setup, type TestEnv } from './helpers.ts'
import { member, signedIn } from './web-helpers.ts'

// The Follow-Up Board's section counts (issue 15): where they stop, and a broad username search.

/** The count in a section's heading, as a person reads it: "20+" or "3". */
function sectionCount(html: string, key: 'overdue' | 'today' | 'upcoming'): string {
  const match = new RegExp(`<h2 id="h-${key}">[^<]*<span class="count">([^<]*)</span>`).exec(html)
  assert.ok(match, `no ${key} heading`)
  return match[1]!
}

const cards = (html: string, key: string) =>
  (new RegExp(`<ul class="cards" id="cards-${key}">(.*?)</ul>`, 's').exec(html)?.[1] ?? '').match(/class="card"/g)?.length ?? 0

/** A contact due today, and `n` copies of it named copy_1 ... copy_n (made in SQL: through the API would be slow). */
async function dueCopies(env: TestEnv, n: number) {
  const lead = await addContact(env, { username: 'template' })
  const now = isoTime(env.now())
  await env.store.write((trx) => recordReply(trx, lead, { content: 'hi', sentAt: now, source: 'test' }, now))
  await env.store.write((trx) =>
    sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${n})
        insert into contacts (id, organization_id, username, had_outreach, follow_up_needed, followups_active, follow_up_count,
          next_follow_up_at, lead_status_id, pipeline_stage_id, contact_ingestion_type, created_at, updated_at)
        select 'copy-' || i, organization_id, 'copy_' || i, 0, 1, 1, 0, next_follow_up_at, 1, pipeline_stage_id, 'test', created_at, updated_at
        from n, contacts where contacts.id = ${lead.id}`.execute(trx),
  )
}

describe('board counts', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('counts a broad username search no further than its page, and a narrow one exactly', { timeout: 120_000 }, async () => {
    // 5,001 contacts named copy_1 ... copy_5001, all due today. More than 5,000 matches for
    // "copy": the board walks its due index instead of starting from them.
    await dueCopies(env, 5001)
    await member(env, 'setter@example.com', 'member')
    const b = await signedIn(env, 'setter@example.com')

    const broad = await b.request('GET', '/follow-ups?q=copy')
    assert.equal(broad.status, 200)
    assert.equal(sectionCount(broad.text, 'today'), `${BOARD_PAGE_SIZE}+`, 'more than a page: "20+", not counted on')
    assert.equal(cards(broad.text, 'today'), BOARD_PAGE_SIZE)
    assert.match(broad.text, /Show more today/)
    assert.equal(sectionCount(broad.text, 'overdue'), '0', 'an empty section is still exact')

    // copy_49, copy_490 ... copy_499, copy_4900 ... copy_4999: 111, few enough to count.
    const narrow = await b.request('GET', '/follow-ups?q=copy_49')
    assert.equal(sectionCount(narrow.text, 'today'), '111')
    assert.equal(sectionCount((await b.request('GET', '/follow-ups?q=temp')).text, 'today'), '1')
  })

  it(`stops a section's count at ${BOARD_COUNT_LIMIT} on the page; the API counts on`, { timeout: 120_000 }, async () => {
    await dueCopies(env, BOARD_COUNT_LIMIT) // and the template: one more than the limit
    await member(env, 'setter@example.com', 'member')
    const b = await signedIn(env, 'setter@example.com')
    assert.equal(sectionCount((await b.request('GET', '/follow-ups')).text, 'today'), `${BOARD_COUNT_LIMIT}+`)
    const api = await env.call('GET', '/api/v1/follow-ups?limit=1')
    assert.equal(api.body.data.today.count, BOARD_COUNT_LIMIT + 1)
    assert.equal(api.body.data.today.count_exact, true)
  })
})
