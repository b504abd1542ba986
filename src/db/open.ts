import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Kysely, SqliteDialect } from 'kysely'
import { runtime } from '#runtime'
import type { SqliteHandle } from '../runtime/types.ts'
import type { Database } from './schema.ts'
import { createWriter, type Write } from './write.ts'

export type Durability = 'normal' | 'full'

export interface StoreOptions {
  /** `full` fsyncs every commit; `normal` may lose the last commits on power failure (never corrupts). */
  durability?: Durability
  /** How long a writer waits for another process's lock before SQLite reports busy. */
  busyTimeoutMs?: number
}

/** The database as the rest of the program sees it: Kysely for queries, `write` for every change. */
export interface Store {
  readonly db: Kysely<Database>
  readonly write: Write
  readonly sqlite: SqliteHandle
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

/** Opens (creating file and folder if needed) the database with bun:sqlite or better-sqlite3. */
export function openStore(path: string, options: StoreOptions = {}): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = runtime.openSqlite(path)
  for (const statement of pragmas(options)) sqlite.exec(statement)
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite.database }) })
  return {
    db,
    sqlite,
    write: createWriter(db),
    async close() {
      try {
        sqlite.exec('pragma wal_checkpoint(truncate)')
      } finally {
        await db.destroy()
      }
    },
  }
}
