import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { sql } from 'kysely'
import { runtime } from '#runtime'
import { migrations } from '../migrations/index.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { openStore, type Store } from '../src/db/open.ts'

describe(`storage on ${runtime.name}`, () => {
  let dir: string
  let store: Store
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-db-'))
    store = openStore(join(dir, 'nested', 'folder', 'db.sqlite'), { durability: 'full', busyTimeoutMs: 1234 })
    await migrateToLatest(store.db)
  })
  afterEach(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('uses the runtime-appropriate driver', () => {
    assert.equal(runtime.name, typeof (globalThis as { Bun?: unknown }).Bun === 'undefined' ? 'node' : 'bun')
  })

  it('sets every pragma explicitly', () => {
    assert.equal(store.sqlite.value('pragma busy_timeout'), 1234)
    assert.equal(store.sqlite.value('pragma journal_mode'), 'wal')
    assert.equal(store.sqlite.value('pragma foreign_keys'), 1)
    assert.equal(store.sqlite.value('pragma synchronous'), 2) // FULL
    assert.equal(store.sqlite.value('pragma journal_size_limit'), 67108864)
    assert.equal(store.sqlite.value('pragma temp_store'), 2) // MEMORY
    assert.equal(store.sqlite.value('pragma cache_size'), -65536) // KiB: 64 MB
  })

  it('defaults to synchronous=NORMAL when durability is normal', async () => {
    const other = openStore(join(dir, 'normal.sqlite'), { durability: 'normal' })
    assert.equal(other.sqlite.value('pragma synchronous'), 1)
    await other.close()
  })

  it('applies every registered migration once, in name order', async () => {
    const names = Object.keys(migrations)
    assert.deepEqual(names, [...names].sort())
    assert.deepEqual(await migrateToLatest(store.db), []) // already applied in beforeEach
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db)
    assert.deepEqual(
      rows.map((r) => r.name),
      names,
    )
  })

  it('commits what a write returns from', async () => {
    await store.write((trx) => trx.insertInto('users').values({ id: 'u1', email: 'a@b.co', name: null, created_at: 'now' }).execute())
    const row = await store.db.selectFrom('users').select('email').executeTakeFirst()
    assert.equal(row?.email, 'a@b.co')
  })

  it('rolls back everything a failing write did', async () => {
    await assert.rejects(
      store.write(async (trx) => {
        await trx.insertInto('users').values({ id: 'u1', email: 'a@b.co', name: null, created_at: 'now' }).execute()
        throw new Error('boom')
      }),
      /boom/,
    )
    assert.equal((await store.db.selectFrom('users').selectAll().execute()).length, 0)
  })

  it('keeps enforcing foreign keys', async () => {
    await assert.rejects(
      store.write((trx) =>
        trx.insertInto('memberships').values({ organization_id: 'nope', user_id: 'nope', role: 'member', created_at: 'now' }).execute(),
      ),
      /FOREIGN KEY/i,
    )
  })
})
