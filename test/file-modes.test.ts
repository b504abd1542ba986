import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { isoTime } from '../src/core/time.ts'
import { backupTo, restoreFrom } from '../src/db/backup.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { openStore } from '../src/db/open.ts'

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)

describe('files holding personal data are private to their owner', () => {
  let dir: string
  let umask: number
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-modes-'))
    // The most permissive umask: the modes must come from the program, not from the umask.
    umask = process.umask(0o000)
  })
  afterEach(() => {
    process.umask(umask)
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates the data folders 0700 and the database, WAL and SHM 0600 under umask 000', async () => {
    const file = join(dir, 'data', 'nested', 'dmtracker.db')
    const store = openStore(file)
    try {
      await migrateToLatest(store.db)
      await store.write((trx) => trx.insertInto('users').values({ id: 'u1', email: 'a@b.co', name: null, created_at: 'now' }).execute())
      assert.ok(existsSync(`${file}-wal`) && existsSync(`${file}-shm`), 'WAL and SHM exist while the database is open')
      assert.deepEqual([join(dir, 'data'), join(dir, 'data', 'nested'), file, `${file}-wal`, `${file}-shm`].map(mode), [
        '700',
        '700',
        '600',
        '600',
        '600',
      ])
    } finally {
      await store.close()
    }
  })

  it('makes backups and restored databases 0600 under umask 000', async () => {
    const file = join(dir, 'dmtracker.db')
    const store = openStore(file)
    await migrateToLatest(store.db)
    const backup = join(dir, 'backup.db')
    try {
      backupTo(store, backup)
    } finally {
      await store.close()
    }
    assert.equal(mode(backup), '600')
    const target = join(dir, 'restored.db')
    restoreFrom(backup, target, isoTime())
    assert.equal(mode(target), '600')
  })

  it('narrows a database that an earlier version left readable by others', async () => {
    const file = join(dir, 'old.db')
    writeFileSync(file, '')
    chmodSync(file, 0o644)
    const store = openStore(file)
    await migrateToLatest(store.db)
    await store.close()
    assert.equal(mode(file), '600')
  })
})
