import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { serve } from '@hono/node-server'
import Database from 'better-sqlite3'
import { PortInUseError } from './port-in-use.ts'
import { statementCache } from './statement-cache.ts'
import type { Runtime, SqliteHandle } from './types.ts'

function openSqlite(path: string, { readonly = false } = {}): SqliteHandle {
  const db = new Database(path, { readonly })
  const statements = statementCache(
    (sql) => db.prepare(sql),
    () => {}, // better-sqlite3 frees statements when they are garbage-collected
  )
  return {
    database: { prepare: statements.get, close: () => db.close() } as never,
    exec: (sql) => void db.exec(sql),
    run: (sql, params) => void db.prepare(sql).run(...params),
    value: (sql) => db.prepare(sql).pluck().get(),
    close: () => db.close(),
  }
}

export const runtime: Runtime = {
  name: 'node',
  sqliteModule: createRequire(import.meta.url).resolve('better-sqlite3'),
  openSqlite,
  listen(fetch, { hostname, port, tls }) {
    return new Promise((resolve, reject) => {
      // A request must arrive whole, headers and body, within 30 s (Node's default is 5 minutes):
      // a client that stalls mid-body cannot hold its buffer for long. Bun.serve's idle timeout
      // (10 s without traffic) does the same in the compiled binary.
      const serverOptions = { headersTimeout: 10_000, requestTimeout: 30_000, ...tls }
      const createServer = tls ? { createServer: createHttpsServer } : {}
      const server = serve({ fetch, hostname, port, serverOptions, ...createServer }, (info) => {
        resolve({
          port: info.port,
          stop: () =>
            new Promise<void>((done) => {
              server.close(() => done())
              // Keep-alive sockets with no request in flight would otherwise hold close() open.
              if ('closeIdleConnections' in server) server.closeIdleConnections()
            }),
          // Node swaps the certificate in place: only handshakes from now on see the new one.
          replaceTls: async (pair) => (server as HttpsServer).setSecureContext(pair),
        })
      })
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new PortInUseError(hostname, port) : error),
      )
    })
  },
  startWorker(entry, workerData) {
    if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData })
    // Node 20 does not apply tsx's ESM hooks (from --import tsx) to a worker's entry module, so
    // the worker loads its TypeScript through tsx's require hook instead.
    const code = `require('tsx/cjs'); require(${JSON.stringify(fileURLToPath(entry))})`
    return new Worker(code, { eval: true, workerData })
  },
  peerAddress: (_request, env) =>
    (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress,
}
