import { Kysely, SqliteDialect } from 'kysely'
import { runtime } from '#runtime'
import type { SqliteHandle } from '../runtime/types.ts'
import { ChangeFeed } from './changes.ts'
import { startCheckpointer } from './checkpointer.ts'
import { makeDatabaseFilesPrivate, makePrivateFolderFor } from './private-files.ts'
import type { Database } from './schema.ts'
import { createWriter, type Write } from './write.ts'

export type Durability = 'normal' | 'full'

export interface StoreOptions {
  /** `full` fsyncs every commit; `normal` may lose the last commits on power failure (never corrupts). */
  durability?: Durability
  /** How long a writer waits for another process's lock before SQLite reports busy. */
  busyTimeoutMs?: number
  /**
   * `background`: a worker thread checkpoints the WAL, so commits on this thread never do (the
   * server); `inline` (default): SQLite's own automatic checkpoints, fine for short-lived commands.
   */
  checkpoint?: 'inline' | 'background'
}

/** The database as the rest of the program sees it: Kysely for queries, `write` for every change. */
export interface Store {
  readonly db: Kysely<Database>
  readonly write: Write
  readonly sqlite: SqliteHandle
  /** Contacts changed by committed writes, for live views (see changes.ts). */
  readonly changes: ChangeFeed
  /** Checkpoints the WAL into the main file and closes. */
  close(): Promise<void>
}

export function pragmas({ durability = 'normal', busyTimeoutMs = 5000 }: StoreOptions): string[] {
  return [
    // First, so that every later statement (even journal_mode) waits for other processes' locks.
    `pragma busy_timeout = ${Math.trunc(busyTimeoutMs)}`,
    'pragma journal_mode = wal',
    'pragma foreign_keys = on',
    `pragma synchronous = ${durability === 'full' ? 'full' : 'normal'}`,
    'pragma journal_size_limit = 67108864',
    'pragma temp_store = memory',
  ]
}

/** Opens (creating file and folder if needed, private to the owner: 0600 and 0700) the database with bun:sqlite or better-sqlite3. */
export function openStore(path: string, options: StoreOptions = {}): Store {
  if (path !== ':memory:') {
    makePrivateFolderFor(path)
    makeDatabaseFilesPrivate(path)
  }
  const sqlite = runtime.openSqlite(path)
  const settings = pragmas(options)
  for (const statement of settings) sqlite.exec(statement)
  const checkpointer = options.checkpoint === 'background' && path !== ':memory:' ? startCheckpointer(path, settings) : undefined
  // With the worker, the writer checkpoints only as `writerCheckpoint` says (checkpointer.ts).
  if (checkpointer) sqlite.exec('pragma wal_autocheckpoint = 0')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite.database }) })
  const changes = new ChangeFeed()
  const afterCommit = checkpointer ? () => checkpointer.afterCommit(sqlite) : undefined
  return {
    db,
    sqlite,
    changes,
    write: createWriter(db, (list) => changes.publish(list), afterCommit),
    async close() {
      try {
        await checkpointer?.stop()
        sqlite.exec('pragma wal_checkpoint(truncate)')
      } finally {
        await db.destroy()
      }
    },
  }
}
