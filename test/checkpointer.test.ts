import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { runtime } from '#runtime'
import { loadConfig } from '../src/config.ts'
import {
  BACKSTOP_CHECKPOINT_PAGES,
  CHECKPOINT_NICENESS,
  FINISH_FRAMES,
  STALL_MS,
  SYNC_FRAMES,
  startCheckpointer,
  writerCheckpoint,
} from '../src/db/checkpointer.ts'
import { openStore, pragmas, type Store } from '../src/db/open.ts'
import { threadNiceValues } from './helpers.ts'

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

  it('leaves the backlog of a long read to the worker: the commits after it copy nothing themselves', async () => {
    // An export's snapshot keeps everything written meanwhile in the WAL. SQLite's own automatic
    // checkpoint copied that backlog inside the next COMMIT on the request thread: hundreds of ms
    // for a webhook. Measured by what this thread hands to write(2) (Linux counts it per thread).
    const written = () => Number(/^wchar: (\d+)/m.exec(readFileSync(`/proc/${process.pid}/task/${process.pid}/io`, 'utf8'))![1])
    const reader = runtime.openSqlite(file, { readonly: true })
    try {
      reader.exec('begin')
      reader.value('select count(*) from notes')
      const row = 'x'.repeat(4000)
      for (let i = 0; i < (BACKSTOP_CHECKPOINT_PAGES * 1.2) / 100; i++)
        await store.write(async (trx) => {
          for (let j = 0; j < 100; j++) await sql`insert into notes (body) values (${row})`.execute(trx)
        })
      assert.ok(size(`${file}-wal`) > BACKSTOP_CHECKPOINT_PAGES * 4096, 'the snapshot kept the WAL from starting over')
    } finally {
      reader.exec('rollback')
      reader.close()
    }
    const before = written()
    for (let i = 0; i < 20; i++) await store.write((trx) => sql`insert into notes (body) values ('after')`.execute(trx))
    const mb = (written() - before) / 1e6
    assert.ok(mb < 5, `20 small commits wrote ${mb.toFixed(1)} MB on the request thread`)
    // and the worker does copy it: the WAL starts over once it has caught up
    assert.equal(await eventually(() => size(file) > BACKSTOP_CHECKPOINT_PAGES * 4000), true)
  })

  // Below the request thread, so that a catch-up after an export takes only CPU a webhook does not want.
  it('runs its thread a few nice steps below the thread that writes', { skip: process.platform !== 'linux' }, async () => {
    const below = () => {
      const { mine, all } = threadNiceValues()
      return all.includes(Math.min(19, mine + CHECKPOINT_NICENESS))
    }
    assert.equal(await eventually(below), true)
  })

  // With synchronous=NORMAL nothing else writes the WAL to disk while a snapshot holds it back: all
  // of it would be flushed at once by the round after the snapshot ends, next to the request thread.
  it('syncs the WAL itself while a long snapshot keeps it from copying, and only then', async () => {
    const path = join(dir, 'normal.sqlite')
    const writer = runtime.openSqlite(path)
    const settings = pragmas({ durability: 'normal' })
    for (const statement of settings) writer.exec(statement)
    writer.exec('pragma wal_autocheckpoint = 0; create table notes (body text)')
    const checkpointer = startCheckpointer(path, settings)
    const insertPages = (pages: number) => {
      writer.exec('begin')
      for (let i = 0; i < pages; i++) writer.exec(`insert into notes (body) values ('${'x'.repeat(4000)}')`)
      writer.exec('commit')
    }
    const reader = runtime.openSqlite(path, { readonly: true })
    try {
      for (let i = 0; i < 10; i++) insertPages(SYNC_FRAMES / 4) // copied as it comes: no snapshot holds it
      assert.equal(await eventually(() => size(path) > 2 * SYNC_FRAMES * 4000), true)
      assert.equal(checkpointer.walSyncs(), 0)
      reader.exec('begin')
      reader.value('select count(*) from notes')
      insertPages(SYNC_FRAMES * 2)
      assert.equal(await eventually(() => checkpointer.walSyncs() > 0), true)
    } finally {
      reader.exec('rollback')
      reader.close()
      await checkpointer.stop()
      writer.close()
    }
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

describe('what the writer does after a commit (writerCheckpoint)', () => {
  const now = 1_000_000
  const round = (frames: number, copied: number, at = now - 5) => ({ at, frames, copied })
  const big = BACKSTOP_CHECKPOINT_PAGES + 500

  it('nothing while the WAL is small or the worker is copying a large backlog', () => {
    assert.equal(writerCheckpoint(round(500, 500), now, 0, false), 'none')
    assert.equal(writerCheckpoint(round(big, 100), now, 0, false), 'none')
  })
  it('finishes a nearly done catch-up of a large WAL, once per round of the worker', () => {
    assert.equal(writerCheckpoint(round(big, big - FINISH_FRAMES), now, 0, false), 'finish')
    assert.equal(writerCheckpoint(round(big, big), now, now - 5, false), 'none')
  })
  it("turns SQLite's own checkpoints on while the worker is silent, and off when it is back", () => {
    assert.equal(writerCheckpoint(round(big, 0, now - STALL_MS - 1), now, 0, false), 'backstop on')
    assert.equal(writerCheckpoint(round(big, 0, now - STALL_MS - 1), now, 0, true), 'none')
    assert.equal(writerCheckpoint(round(big, 0), now, 0, true), 'backstop off')
  })
})
