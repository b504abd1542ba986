import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { loadConfig } from '../src/config.ts'
import { openStore, type Store } from '../src/db/open.ts'

const size = (file: string) => statSync(file, { throwIfNoEntry: false })?.size ?? 0

/** Polls until `done()` (the worker runs every 1-64 ms); gives up after a generous while. */
async function eventually(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 80 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  return done()
}

describe('background checkpointer', () => {
  let dir: string
  let file: string
  let store: Store
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-checkpoint-'))
    file = join(dir, 'db.sqlite')
    store = openStore(file, { durability: 'full', checkpoint: 'background' })
    await sql`create table notes (body text)`.execute(store.db)
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('copies committed pages into the database file without a checkpoint on the writing connection', async () => {
    const before = size(file)
    await store.write(async (trx) => {
      for (let i = 0; i < 200; i++) await sql`insert into notes (body) values (${'x'.repeat(4000)})`.execute(trx)
    })
    // 200 pages is far below the writer's own backstop, so only the worker can have moved them.
    assert.equal(await eventually(() => size(file) > before + 200 * 4000), true)
  })

  it('stops on close, which leaves an empty WAL and the data in the file', async () => {
    await store.write((trx) => sql`insert into notes (body) values ('kept')`.execute(trx))
    await store.close()
    assert.equal(size(`${file}-wal`), 0)
    store = openStore(file)
    const rows = await sql<{ body: string }>`select body from notes`.execute(store.db)
    assert.deepEqual(rows.rows, [{ body: 'kept' }])
  })

  it('is what serve uses, with durable commits, unless configured otherwise', () => {
    assert.equal(loadConfig({}, {}).checkpoint, 'background')
    assert.equal(loadConfig({}, {}).durability, 'full')
    assert.equal(loadConfig({}, { DMTRACKER_CHECKPOINT: 'inline' }).checkpoint, 'inline')
    assert.throws(() => loadConfig({}, { DMTRACKER_CHECKPOINT: 'sometimes' }), /DMTRACKER_CHECKPOINT/)
  })
})
