import { randomUUID } from 'node:crypto'
import { Kysely, SqliteDialect } from 'kysely'
import { runtime } from '#runtime'
import { type Engine, isPostgresUrl } from '../../migrations/dialect.ts'
import type { SqliteHandle } from '../runtime/types.ts'
import { ChangeFeed } from './changes.ts'
import { startCheckpointer } from './checkpointer.ts'
import { createPostgresWriter, listenForChanges, openPostgres } from './postgres.ts'
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
  /** Postgres only: connections this process keeps (default 10). */
  poolSize?: number
}

/** The database as the rest of the program sees it: Kysely for queries, `write` for every change. */
export interface Store {
  readonly db: Kysely<Database>
  readonly write: Write
  readonly engine: Engine
  /** The SQLite connection (backups, pragmas); on Postgres, every use of it throws. */
  readonly sqlite: SqliteHandle
  /** Contacts changed by committed writes, for live views (see changes.ts). */
  readonly changes: ChangeFeed
  /**
   * PostgreSQL: also receive the changes other instances commit, into `changes` (the server does;
   * one-shot commands need not). Absent on SQLite, where this process is the only writer.
   */
  shareChanges?(): Promise<void>
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
    // 64 MB of page cache instead of SQLite's 2 MB (it fills only as pages are read). Every write's
    // lookups and index updates go through the writer's cache; at 2 MB a database of a few tens of
    // MB, or a webhook outbox growing beside it, already misses it, and each miss is a read() of a
    // page the OS holds anyway: 5-22 % of a write's CPU at 10,000 contacts, 0-10 % at 100,000
    // (docs/performance.md, "The page cache").
    'pragma cache_size = -65536',
  ]
}

/**
 * Opens the database `location` names: a `postgres://` URL (see postgres.ts), or an SQLite file
 * (creating file and folder if needed, private to the owner: 0600 and 0700) with bun:sqlite or
 * better-sqlite3.
 */
export function openStore(location: string, options: StoreOptions = {}): Store {
  return isPostgresUrl(location) ? openPostgresStore(location, options) : openSqliteStore(location, options)
}

function openPostgresStore(url: string, options: StoreOptions): Store {
  const db = openPostgres(url, { poolSize: options.poolSize })
  const changes = new ChangeFeed()
  // Tells this process's own announcements from the other instances'.
  const instance = randomUUID()
  let listener: { stop(): Promise<void> } | undefined
  return {
    db,
    engine: 'postgres',
    sqlite: NO_SQLITE,
    changes,
    write: createPostgresWriter(db, instance, (list) => changes.publish(list)),
    async shareChanges() {
      listener ??= await listenForChanges(url, instance, (list) => changes.publish(list))
    },
    async close() {
      await listener?.stop()
      await db.destroy()
    },
  }
}

const sqliteOnly = (): never => {
  throw new Error('this needs an SQLite database; the store is on PostgreSQL')
}
const NO_SQLITE: SqliteHandle = {
  get database(): never {
    return sqliteOnly()
  },
  exec: sqliteOnly,
  run: sqliteOnly,
  value: sqliteOnly,
  close: sqliteOnly,
}

function openSqliteStore(path: string, options: StoreOptions): Store {
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
    engine: 'sqlite',
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
