import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import { runtime } from '#runtime'
import type { Store } from './open.ts'
import { createPrivateFile } from './private-files.ts'

export class BackupError extends Error {}

/**
 * A consistent copy of the live database (VACUUM INTO reads one snapshot, so a running server
 * keeps writing meanwhile), checked with integrity_check before it is reported good.
 */
export function backupTo(store: Store, file: string): { bytes: number } {
  if (store.engine === 'postgres') {
    throw new BackupError(
      'the database is on PostgreSQL: back it up with pg_dump, or copy it to a file with `dmtracker copy` (docs/scaling.md)',
    )
  }
  try {
    // Created empty and 0600 first: VACUUM INTO would create it 0644.
    createPrivateFile(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError(`${file} already exists; choose a new file name`)
    throw error
  }
  try {
    // The path is bound as a parameter of the statement text: no quoting of user input into SQL.
    store.sqlite.run('vacuum into ?', [file])
  } catch (error) {
    rmSync(file, { force: true })
    throw error
  }
  const check = checkFile(file)
  if (check !== 'ok') throw new BackupError(`the copy at ${file} failed its integrity check: ${check}`)
  return { bytes: statSync(file).size }
}

/** integrity_check of a database file, opened on its own. */
function checkFile(file: string): string {
  const db = runtime.openSqlite(file)
  try {
    return String(db.value('pragma integrity_check'))
  } finally {
    db.close()
  }
}

function isDmtrackerDatabase(file: string): boolean {
  const db = runtime.openSqlite(file)
  try {
    return db.value("select count(*) from sqlite_master where name in ('kysely_migration', 'contacts', 'organizations')") === 3
  } catch {
    return false
  } finally {
    db.close()
  }
}

/**
 * Puts a backup in place of the database at `target`. The server must be stopped: we take an
 * exclusive lock first, which fails while any other process has the database open. The file
 * being replaced is kept beside it as `<target>.before-restore-<time>`.
 */
export function restoreFrom(file: string, target: string, now: string): { keptAs: string | null } {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`)
  const check = checkFile(file)
  if (check !== 'ok') throw new BackupError(`${file} failed its integrity check: ${check}`)
  if (!isDmtrackerDatabase(file)) throw new BackupError(`${file} is not a DmTracker database`)
  let keptAs: string | null = null
  if (existsSync(target)) {
    assertNotInUse(target)
    keptAs = `${target}.before-restore-${now.replace(/[:.]/g, '-')}`
    renameSync(target, keptAs)
  }
  // A WAL left beside the old file would be replayed onto the restored one.
  rmSync(`${target}-wal`, { force: true })
  rmSync(`${target}-shm`, { force: true })
  const staged = `${target}.restoring`
  rmSync(staged, { force: true })
  createPrivateFile(staged)
  const source = runtime.openSqlite(file)
  try {
    source.run('vacuum into ?', [staged])
  } finally {
    source.close()
  }
  renameSync(staged, target)
  return { keptAs }
}

function assertNotInUse(target: string) {
  const db = runtime.openSqlite(target)
  try {
    db.exec('pragma busy_timeout = 0')
    // Closing the last connection checkpoints the WAL into the file, so nothing is left behind.
    db.exec('pragma locking_mode = exclusive')
    db.exec('begin exclusive')
    db.exec('commit')
  } catch {
    throw new BackupError(`${target} is in use; stop the server before restoring`)
  } finally {
    db.close()
  }
}
