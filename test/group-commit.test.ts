import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { Kysely, SqliteDialect, sql } from 'kysely'
import { runtime } from '#runtime'
import { createGroupWriter, type GroupWriter } from '../src/db/group-commit.ts'
import { pragmas } from '../src/db/open.ts'
import type { Database } from '../src/db/schema.ts'
import type { SqliteHandle } from '../src/runtime/types.ts'

describe('group commit', () => {
  let dir: string
  let sqlite: SqliteHandle
  let db: Kysely<Database>
  /** What happened, in order: `commit`, `rollback` (or `commit failed`), `answer <name>`, `failed <name>`. */
  let events: string[]

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-group-commit-'))
    sqlite = runtime.openSqlite(join(dir, 'test.db'))
    for (const statement of pragmas({ durability: 'full' })) sqlite.exec(statement)
    sqlite.exec('create table items (name text primary key)')
    sqlite.exec('create table parents (id integer primary key)')
    sqlite.exec('create table children (parent_id integer references parents (id) deferrable initially deferred)')
    events = []
    db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: sqlite.database }),
      log: (event) => {
        const text = event.query.sql
        if (text === 'commit' || text === 'rollback') events.push(event.level === 'error' ? `${text} failed` : text)
      },
    })
  })
  afterEach(async () => {
    await db.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  const insert = (name: string) => async (trx: Kysely<Database>) => {
    await sql`insert into items (name) values (${name})`.execute(trx)
    return name
  }
  const names = async () => (await sql<{ name: string }>`select name from items order by rowid`.execute(db)).rows.map((r) => r.name)
  /** Sends the requests in one go, as concurrent HTTP requests would, and records how each ends. */
  const together = (write: GroupWriter, requests: Record<string, (trx: Kysely<Database>) => Promise<unknown>>) =>
    Promise.allSettled(
      Object.entries(requests).map(([name, work]) =>
        write(work).then(
          (value) => {
            events.push(`answer ${name}`)
            return value
          },
          (error) => {
            events.push(`failed ${name}`)
            throw error
          },
        ),
      ),
    )

  it('commits a batch once, answers only after that commit, in arrival order', async () => {
    const write = createGroupWriter(db)
    const ran: string[] = []
    const requests = Object.fromEntries(
      ['a', 'b', 'c', 'd'].map((n) => [
        n,
        async (trx: Kysely<Database>) => {
          ran.push(n)
          return insert(n)(trx)
        },
      ]),
    )
    const results = await together(write, requests)
    assert.deepEqual(
      results.map((r) => r.status === 'fulfilled' && r.value),
      ['a', 'b', 'c', 'd'],
    )
    assert.deepEqual(ran, ['a', 'b', 'c', 'd'])
    assert.deepEqual(events, ['commit', 'answer a', 'answer b', 'answer c', 'answer d'])
    assert.deepEqual(await names(), ['a', 'b', 'c', 'd'])
  })

  it('rolls back a failing request alone and commits the others of its batch', async () => {
    const write = createGroupWriter(db)
    const results = await together(write, {
      a: insert('a'),
      b: async (trx) => {
        await insert('b')(trx)
        throw new Error('request b is invalid')
      },
      c: insert('c'),
    })
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    )
    assert.match(String((results[1] as PromiseRejectedResult).reason), /request b is invalid/)
    assert.deepEqual(events, ['commit', 'answer a', 'failed b', 'answer c'])
    assert.deepEqual(await names(), ['a', 'c'])
  })

  it('fails every request of a batch whose COMMIT fails, and acknowledges none', async () => {
    const write = createGroupWriter(db)
    // A deferred foreign key is checked at COMMIT: that is where this batch fails.
    const results = await together(write, {
      a: insert('a'),
      orphan: async (trx) => sql`insert into children (parent_id) values (42)`.execute(trx),
    })
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    )
    assert.deepEqual(events, ['commit failed', 'rollback', 'failed a', 'failed orphan'])
    assert.deepEqual(await names(), [])
    assert.deepEqual(await write(insert('later')), 'later', 'the writer carries on')
  })

  it('fails the earlier requests of a transaction that SQLite ended, and carries on with a new one', async () => {
    const write = createGroupWriter(db)
    const results = await together(write, {
      a: insert('a'),
      // As SQLite does on a full disk or an I/O error: the whole transaction is rolled back.
      lost: async (trx) => {
        await sql`rollback`.execute(trx)
        throw new Error('disk I/O error')
      },
      c: insert('c'),
    })
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'fulfilled'],
    )
    assert.match(String((results[0] as PromiseRejectedResult).reason), /disk I\/O error/)
    assert.deepEqual(await names(), ['c'])
  })

  it('closes a batch at the size cap', async () => {
    const write = createGroupWriter(db, { maxBatch: 2 })
    await together(write, { a: insert('a'), b: insert('b'), c: insert('c'), d: insert('d'), e: insert('e') })
    assert.deepEqual(events, ['commit', 'answer a', 'answer b', 'commit', 'answer c', 'answer d', 'commit', 'answer e'])
    assert.deepEqual(await names(), ['a', 'b', 'c', 'd', 'e'])
  })

  it('runs a lone request at once and commits it without waiting for company', async () => {
    const write = createGroupWriter(db)
    let started = false
    // A timer fires only after everything already runnable has run: the request must have started by then.
    const checked = new Promise<boolean>((resolve) => setTimeout(() => resolve(started), 0))
    const answer = write(async (trx) => {
      started = true
      return insert('alone')(trx)
    })
    assert.equal(await checked, true)
    assert.equal(await answer, 'alone')
    assert.deepEqual(events, ['commit'])
  })

  it('takes requests that arrive while a batch runs into that batch', async () => {
    const write = createGroupWriter(db)
    let late: Promise<unknown> | undefined
    const first = write(async (trx) => {
      late = write(insert('late')) // arrives while the batch is open
      return insert('first')(trx)
    })
    assert.equal(await first, 'first')
    assert.equal(await late, 'late')
    assert.deepEqual(events, ['commit'])
  })
})
