import type { Server } from 'bun'
import { Database, type Statement } from 'bun:sqlite'
import { assertPortFree, PortInUseError } from './port-in-use.ts'
import { Worker } from 'node:worker_threads'
import { statementCache } from './statement-cache.ts'
import type { Runtime, SqliteHandle } from './types.ts'

type Params = readonly unknown[]

function openSqlite(path: string, { readonly = false } = {}): SqliteHandle {
  const db = readonly ? new Database(path, { readonly: true }) : new Database(path, { create: true })
  // bun:sqlite statements have no `reader` flag and take parameters spread, not as an array;
  // the adapter objects are cached with their statements, so a query allocates nothing here.
  const statements = statementCache(
    (sql) => {
      const stmt = db.prepare(sql) as Statement<Record<string, unknown>, any[]>
      return {
        stmt,
        reader: stmt.columnNames.length > 0,
        all: (params: Params) => stmt.all(...(params as any[])),
        run: (params: Params) => stmt.run(...(params as any[])),
        iterate: (params: Params) => stmt.iterate(...(params as any[])),
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
    run: (sql, params) => void db.run(sql, params as any[]),
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
  async listen(fetch, { hostname, port }) {
    // Port 0 asks the kernel for a free port, which no other socket holds.
    if (port !== 0) await assertPortFree(hostname, port)
    let server: Server<unknown>
    try {
      server = Bun.serve({ fetch, hostname, port, development: false, reusePort: false })
    } catch (error) {
      throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(hostname, port) : error
    }
    return {
      port: server.port ?? port,
      stop: () => server.stop(false),
    }
  },
  // Bun runs TypeScript in workers as it does everywhere; in the binary `entry` names a bundled entry point.
  startWorker: (entry, workerData) => new Worker(entry, { workerData }),
  peerAddress: (request, env) => (env as Server<unknown> | undefined)?.requestIP?.(request)?.address,
}
