import { Database, type SQLQueryBindings, type Statement } from 'bun:sqlite'
import { Worker } from 'node:worker_threads'
import type { Server } from 'bun'
import { assertPortFree, PortInUseError } from './port-in-use.ts'
import { statementCache } from './statement-cache.ts'
import type { Runtime, SqliteHandle, TlsPair } from './types.ts'

type Params = readonly unknown[]

function openSqlite(path: string, { readonly = false } = {}): SqliteHandle {
  const db = readonly ? new Database(path, { readonly: true }) : new Database(path, { create: true })
  // bun:sqlite statements have no `reader` flag and take parameters spread, not as an array;
  // the adapter objects are cached with their statements, so a query allocates nothing here.
  const statements = statementCache(
    (sql) => {
      const stmt = db.prepare(sql) as Statement<Record<string, unknown>, SQLQueryBindings[]>
      return {
        stmt,
        reader: stmt.columnNames.length > 0,
        all: (params: Params) => stmt.all(...(params as SQLQueryBindings[])),
        run: (params: Params) => stmt.run(...(params as SQLQueryBindings[])),
        iterate: (params: Params) => stmt.iterate(...(params as SQLQueryBindings[])),
      }
    },
    (adapter) => adapter.stmt.finalize(),
  )
  const close = () => {
    statements.clear()
    db.close()
  }
  return {
    database: { prepare: statements.get, close } as never,
    exec: (sql) => db.exec(sql),
    run: (sql, params) => void db.run(sql, params as SQLQueryBindings[]),
    value: (sql) => {
      const stmt = db.prepare(sql)
      const row = stmt.values()[0]
      stmt.finalize()
      return row?.[0]
    },
    close,
  }
}

export const runtime: Runtime = {
  name: 'bun',
  sqliteModule: 'bun:sqlite',
  openSqlite,
  async listen(fetch, { hostname, port, tls }) {
    // Port 0 asks the kernel for a free port, which no other socket holds.
    if (port !== 0) await assertPortFree(hostname, port)
    // reusePort for HTTPS: it is how a renewed certificate is put in place (replaceTls below).
    const start = (onPort: number, pair?: TlsPair) =>
      Bun.serve({ fetch, hostname, port: onPort, development: false, reusePort: pair !== undefined, ...(pair && { tls: pair }) })
    let server: Server<unknown>
    try {
      server = start(port, tls)
    } catch (error) {
      throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(hostname, port) : error
    }
    return {
      port: server.port ?? port,
      stop: () => server.stop(false),
      async replaceTls(pair) {
        // Bun.serve cannot swap its certificate (reload() ignores `tls`, oven-sh/bun#8872): open a
        // second listener on the same port with the new one (SO_REUSEPORT), then close the old
        // listener, whose open connections finish their requests. Where SO_REUSEPORT is missing
        // (Windows) the old listener closes first: a moment without a listener, no dropped request.
        const old = server
        let closing: Promise<void> | undefined
        try {
          server = start(old.port!, pair)
        } catch {
          closing = old.stop(false)
          server = start(old.port!, pair)
        }
        await (closing ?? old.stop(false))
      },
    }
  },
  // Bun runs TypeScript in workers as it does everywhere; in the binary `entry` names a bundled entry point.
  startWorker: (entry, workerData) => new Worker(entry, { workerData }),
  peerAddress: (request, env) => (env as Server<unknown> | undefined)?.requestIP?.(request)?.address,
}
