import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type App, createApp } from '../src/app.ts'
import { runCli } from '../src/cli/run.ts'
import { type Config, loadConfig } from '../src/config.ts'
import { createContact, type NewContactInput } from '../src/contacts/lifecycle.ts'
import { isoTime } from '../src/core/time.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { openStore, type Store } from '../src/db/open.ts'
import type { ReadHooks } from '../src/db/read-pool.ts'
import type { Contact } from '../src/db/schema.ts'
import { createOrganization } from '../src/organizations/service.ts'

export const T0 = Date.parse('2026-01-15T12:00:00.000Z')

export interface TestOrg {
  id: string
  token: string
}

export interface CallResult {
  status: number
  headers: Headers
  /** The parsed JSON body (undefined if the body was not JSON). */
  body: any
  text: string
}

export interface TestEnv {
  store: Store
  /** The database file, for running CLI commands against it (see cli()). */
  dbPath: string
  app: App
  /** An organization with page_name "acme_page" and a working token. */
  org: TestOrg
  /** Every line the app logged. */
  logs: Record<string, unknown>[]
  /** The app's clock; move it with advance(). */
  now(): number
  advance(ms: number): void
  createOrg(name: string, pageName?: string): Promise<TestOrg>
  /** A JSON request through app.request(); body objects are JSON-encoded, strings sent as is. */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<CallResult>
  close(): Promise<void>
}

/**
 * A fresh migrated database (a temp file, so WAL and pragmas are real) and an app around it.
 * `config` overrides parts of the default configuration; `readHooks` reach into the read workers.
 */
export async function setup(config: Partial<Config> = {}, { readHooks }: { readHooks?: ReadHooks } = {}): Promise<TestEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'dmtracker-test-'))
  const store = openStore(join(dir, 'test.db'))
  await migrateToLatest(store.db)
  let clock = T0
  const logs: Record<string, unknown>[] = []
  const fullConfig: Config = { ...loadConfig({}, {}), dbPath: join(dir, 'test.db'), ...config }
  const app = createApp({ store, config: fullConfig, log: (entry) => logs.push(entry), now: () => clock, readHooks })
  const createOrg = async (name: string, pageName?: string) => {
    const org = await store.write((trx) => createOrganization(trx, { name, pageName }, isoTime(clock)))
    return { id: org.id, token: org.token.token }
  }
  const org = await createOrg('Acme', 'acme_page')
  return {
    store,
    dbPath: join(dir, 'test.db'),
    app,
    org,
    logs,
    now: () => clock,
    advance: (ms) => {
      clock += ms
    },
    createOrg,
    async call(method, path, body, options = {}) {
      const token = options.token === undefined ? org.token : options.token
      const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers }
      if (token !== null) headers['x-org-auth-token'] = token
      const init: RequestInit = { method, headers }
      if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body)
      const res = await app.request(path, init)
      const text = await res.text()
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
      return { status: res.status, headers: res.headers, body: parsed, text }
    },
    async close() {
      await app.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Asserts the reference's error shape: {"error": string, "message": string, ...}. */
export function isErrorShape(body: unknown): boolean {
  const b = body as Record<string, unknown> | undefined
  return typeof b?.error === 'string' && typeof b?.message === 'string' && b.message.length > 0
}

/**
 * Takes the database's write lock from a second connection, as another process would, and makes
 * the app's connection give up at once instead of waiting: its next write fails with SQLITE_BUSY.
 * Call the returned function to let go.
 */
export function holdWriteLock(env: TestEnv): () => Promise<void> {
  env.store.sqlite.exec('pragma busy_timeout = 0')
  const other = openStore(env.dbPath, { busyTimeoutMs: 0 })
  other.sqlite.exec('begin immediate')
  return async () => {
    other.sqlite.exec('rollback')
    await other.close()
  }
}

/** Runs one CLI command in-process against `dbPath`; out and err are the printed lines joined. */
export async function cli(dbPath: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), env: { DMTRACKER_DB: dbPath } })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/**
 * A contact made the way the endpoints make one (entry stage, status open), for tests that need
 * contacts without going through create-contact. Inbound unless `type` says otherwise.
 */
export async function addContact(
  env: TestEnv,
  input: Partial<NewContactInput> & { username: string },
  orgId = env.org.id,
): Promise<Contact> {
  return env.store.write(async (trx) => {
    const org = await trx.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirstOrThrow()
    return createContact(trx, org, { type: 'inbound', ingestionType: 'custom-api-import', ...input }, new Date(env.now()).toISOString())
  })
}
