import { Database, type Statement } from 'bun:sqlite'
import { statementCache } from './statement-cache.ts'
import type { Runtime, SqliteHandle } from './types.ts'

type Params = readonly unknown[]

function openSqlite(path: string): SqliteHandle {
  const db = new Database(path, { create: true })
  const cached = statementCache(
    (sql) => db.prepare(sql) as Statement<Record<string, unknown>, any[]>,
    (stmt) => stmt.finalize(),
  )
  // bun:sqlite statements have no `reader` flag and take parameters spread, not as an array.
  const prepare = (sql: string) => {
    const stmt = cached(sql)
    return {
      reader: stmt.columnNames.length > 0,
      all: (params: Params) => stmt.all(...(params as any[])),
      run: (params: Params) => stmt.run(...(params as any[])),
      iterate: (params: Params) => stmt.iterate(...(params as any[])),
    }
  }
  return {
    database: { prepare, close: () => db.close() } as never,
    exec: (sql) => db.exec(sql),
    value: (sql) => {
      const stmt = db.prepare(sql)
      const row = stmt.values()[0]
      stmt.finalize()
      return row?.[0]
    },
    close: () => db.close(),
  }
}

export const runtime: Runtime = {
  name: 'bun',
  openSqlite,
  async listen(fetch, { hostname, port }) {
    const server = Bun.serve({ fetch, hostname, port, development: false })
    return {
      port: server.port ?? port,
      stop: () => server.stop(false),
    }
  },
}
