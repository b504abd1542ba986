import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

// The database holds leads' personal data: its folder is the owner's alone (0700) and every file
// of it (database, WAL, SHM, backups) is 0600, whatever the umask. The modes are set with chmod
// after creating, since mkdir and open only ever narrow the mode they are given by the umask.

const FOLDER_MODE = 0o700
const FILE_MODE = 0o600

/** Creates the folders leading to `file` that are missing, each 0700; existing ones are left as they are. */
export function makePrivateFolderFor(file: string): void {
  const folder = dirname(file)
  const first = mkdirSync(folder, { recursive: true, mode: FOLDER_MODE })
  if (first === undefined) return
  for (let created = folder; created.length >= first.length; created = dirname(created)) {
    chmodSync(created, FOLDER_MODE)
    if (created === first) break
  }
}

/**
 * Makes the database file 0600 before SQLite opens it: created empty if missing (SQLite takes an
 * empty file as a new database), narrowed if an earlier version left it readable by others.
 * SQLite creates the WAL and SHM files with the database file's mode; ones left by an earlier
 * version are narrowed too.
 */
export function makeDatabaseFilesPrivate(file: string): void {
  if (!existsSync(file)) createPrivateFile(file, 'a')
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, FILE_MODE)
    } catch (error) {
      // Gone meanwhile, or another user's file (root running a command): its owner decides.
      if (!['ENOENT', 'EPERM'].includes(String((error as NodeJS.ErrnoException).code))) throw error
    }
  }
}

/**
 * Creates an empty file with mode 0600 for SQLite to write into (VACUUM INTO accepts an empty
 * file). `wx` refuses an existing file, so a backup never overwrites one.
 */
export function createPrivateFile(file: string, flags: 'a' | 'wx' = 'wx'): void {
  const fd = openSync(file, flags, FILE_MODE)
  try {
    fchmodSync(fd, FILE_MODE)
  } finally {
    closeSync(fd)
  }
}
