import type { Worker } from 'node:worker_threads'
import type { SqliteDatabase } from 'kysely'

/**
 * What the rest of the program needs from a runtime: an SQLite handle and an HTTP listener.
 * `#runtime` resolves to bun.ts under Bun (and in the compiled binary) and to node.ts under Node,
 * through the "imports" conditions in package.json, so the Bun build never sees better-sqlite3.
 */
export interface SqliteHandle {
  /** The shape Kysely's SqliteDialect drives. */
  readonly database: SqliteDatabase
  /** Runs one or more statements without results (pragmas, BEGIN/COMMIT). */
  exec(sql: string): void
  /** Runs one statement with bound parameters, without results. */
  run(sql: string, params: unknown[]): void
  /** Reads the first column of the first row, for pragmas and checks. */
  value(sql: string): unknown
  close(): void
}

/** A certificate chain and its private key, PEM. */
export interface TlsPair {
  readonly cert: string
  readonly key: string
}

export interface RunningServer {
  readonly port: number
  /** Stops accepting, waits for in-flight requests to finish. */
  stop(): Promise<void>
  /**
   * HTTPS only: new connections get this certificate from now on; open connections and in-flight
   * requests carry on undisturbed (certificate renewal without a restart).
   */
  replaceTls(tls: TlsPair): Promise<void>
}

export type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>

export interface Runtime {
  readonly name: 'bun' | 'node'
  /** `readonly`: a connection that can never write (the read workers'). */
  openSqlite(path: string, options?: { readonly?: boolean }): SqliteHandle
  /** Plain HTTP, or HTTPS when `tls` is given. */
  listen(fetch: FetchHandler, options: { hostname: string; port: number; tls?: TlsPair }): Promise<RunningServer>
  /** The TCP peer's address of a request, from the `env` the server passed to fetch. */
  peerAddress(request: Request, env: unknown): string | undefined
  /**
   * What a worker thread passes to require() to open the database itself (the background
   * checkpointer): its `Database` export, or the module itself, is the connection class.
   */
  readonly sqliteModule: string
  /** Starts a worker thread running the module at `entry` (TypeScript from the checkout, or bundled in the binary). */
  startWorker(entry: URL, workerData: unknown): Worker
}
