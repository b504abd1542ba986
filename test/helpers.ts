import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { sql } from 'kysely'
import pg from 'pg'
import { type App, createApp } from '../src/app.ts'
import { runCli } from '../src/cli/run.ts'
import { type Config, loadConfig } from '../src/config.ts'
import { createContact, type NewContactInput } from '../src/contacts/lifecycle.ts'
import { isoTime } from '../src/core/time.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { openStore, type Store } from '../src/db/open.ts'
import type { ReadHooks } from '../src/db/read-pool.ts'
import type { Contact, Database } from '../src/db/schema.ts'
import { createOrganization } from '../src/organizations/service.ts'

export const T0 = Date.parse('2026-01-15T12:00:00.000Z')

/**
 * The suite runs on SQLite, or on PostgreSQL when DMTRACKER_TEST_DATABASE_URL names a server
 * (`npm run test:pg` starts a throwaway one): every setup() then gets a fresh database of its own.
 */
export const TEST_POSTGRES_URL = process.env.DMTRACKER_TEST_DATABASE_URL || undefined
export const onPostgres = TEST_POSTGRES_URL !== undefined
/** `it`, except on the Postgres run: for tests of SQLite's own machinery (files, pragmas, WAL, locks). */
export const itSqlite: typeof it.skip = onPostgres ? it.skip : it
/** `describe`, except on the Postgres run. */
export const describeSqlite: typeof describe.skip = onPostgres ? describe.skip : describe

export interface TestDatabase {
  /** An SQLite file's path or a postgres:// URL: what --database takes. */
  location: string
  drop(): Promise<void>
}

let template: Promise<string> | undefined
let counter = 0
/** Postgres databases a finished test emptied, for the next one: TRUNCATE is far faster than CREATE DATABASE. */
const emptied: string[] = []

/**
 * A fresh migrated database: a temp SQLite file, or on the Postgres run a new database cloned from
 * a migrated template (CREATE DATABASE ... TEMPLATE copies files: far faster than migrating).
 */
export async function freshDatabase(engine: 'sqlite' | 'postgres' = onPostgres ? 'postgres' : 'sqlite'): Promise<TestDatabase> {
  if (engine === 'sqlite' || !TEST_POSTGRES_URL) {
    const dir = mkdtempSync(join(tmpdir(), 'dmtracker-test-'))
    const location = join(dir, 'test.db')
    const store = openStore(location)
    await migrateToLatest(store.db)
    await store.close()
    return { location, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  template ??= (async () => {
    const name = `dmtracker_template_${process.pid}`
    await admin(`drop database if exists ${name}`, `create database ${name}`)
    const store = openStore(databaseUrl(name))
    await migrateToLatest(store.db)
    tableNames = (await sql<{ name: string }>`${sql.raw(TABLES)}`.execute(store.db)).rows.map((r) => r.name).join()
    await store.close()
    return name
  })()
  const source = await template
  let name = emptied.pop()
  if (!name) {
    name = `dmtracker_test_${process.pid}_${++counter}`
    await admin(`create database ${name} template ${source}`)
  }
  const location = databaseUrl(name)
  return {
    location,
    drop: async () => {
      if (await empty(location)) emptied.push(name)
      else await admin(`drop database if exists ${name} with (force)`)
    },
  }
}

/**
 * Removes every row a test can have written (lead statuses and the migration history stay), ids
 * restarted; false, leaving it as it is, when the test changed the schema (dropped a table to make
 * a write fail) and the database cannot be reused.
 */
async function empty(location: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: location })
  await client.connect()
  try {
    const names = (await client.query<{ name: string }>(TABLES)).rows.map((r) => r.name)
    if (names.join() !== tableNames) return false
    // A trigger a test made (see failInserts) would outlive TRUNCATE.
    if ((await client.query(`select 1 from pg_trigger where not tgisinternal`)).rowCount) return false
    await client.query(
      `truncate ${names.filter((n) => n !== 'lead_statuses' && n !== 'kysely_migration').join(', ')} restart identity cascade`,
    )
    return true
  } finally {
    await client.end()
  }
}

const TABLES = `select tablename as name from pg_tables where schemaname = 'public' order by 1`
/** The tables of a migrated database, from the template. */
let tableNames: string | undefined

function databaseUrl(name: string): string {
  const url = new URL(TEST_POSTGRES_URL!)
  url.pathname = `/${name}`
  return url.toString()
}

/** Runs statements on the test server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction). */
async function admin(...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await client.connect()
  try {
    for (const statement of statements) await client.query(statement)
  } finally {
    await client.end()
  }
}

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
  /** The database file (or postgres:// URL), for running CLI commands against it (see cli()). */
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
 * `config` overrides parts of the default configuration; `readHooks` reach into the read workers;
 * `engine` picks one whatever the run's.
 */
export async function setup(
  config: Partial<Config> = {},
  { readHooks, engine }: { readHooks?: ReadHooks; engine?: 'sqlite' | 'postgres' } = {},
): Promise<TestEnv> {
  const database = await freshDatabase(engine)
  const store = openStore(database.location)
  let clock = T0
  const logs: Record<string, unknown>[] = []
  const fullConfig: Config = { ...loadConfig({}, {}), dbPath: database.location, ...config }
  const app = createApp({ store, config: fullConfig, log: (entry) => logs.push(entry), now: () => clock, readHooks })
  const createOrg = async (name: string, pageName?: string) => {
    const org = await store.write((trx) => createOrganization(trx, { name, pageName }, isoTime(clock)))
    return { id: org.id, token: org.token.token }
  }
  const org = await createOrg('Acme', 'acme_page')
  return {
    store,
    dbPath: database.location,
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
      await database.drop()
    },
  }
}

/**
 * Makes every insert into `table` (where `when`, an SQL condition on `new`, holds) fail with
 * `message`, on either engine: a step that fails half-way through a request.
 */
export async function failInserts(env: TestEnv, table: string, message: string, when = 'true'): Promise<void> {
  if (env.store.engine === 'postgres') {
    await sql
      .raw(`create function fail_${table}() returns trigger language plpgsql as $$ begin raise exception '${message}'; end $$`)
      .execute(env.store.db)
    await sql
      .raw(`create trigger fail_${table} before insert on ${table} for each row when (${when}) execute function fail_${table}()`)
      .execute(env.store.db)
  } else {
    env.store.sqlite.exec(
      `create trigger fail_${table} before insert on ${table} when ${when} begin select raise(abort, '${message}'); end`,
    )
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

/**
 * A write the app keeps in flight: it waits for its JSON body (sent with the organization's token),
 * which comes only when the test calls `finish`. Its answer is `response`.
 */
export function heldRequest(env: TestEnv, method: string, path: string, body: unknown) {
  let finish!: () => void
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      finish = () => {
        controller.enqueue(new TextEncoder().encode(JSON.stringify(body)))
        controller.close()
      }
    },
  })
  const response = Promise.resolve(
    env.app.request(path, {
      method,
      headers: { 'content-type': 'application/json', 'x-org-auth-token': env.org.token },
      body: stream,
      duplex: 'half',
    } as RequestInit),
  )
  return { response, finish }
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

/**
 * The nice value of each thread of this process, and this thread's own (Linux keeps one per thread:
 * /proc/self/task/<id>/stat, field 19). Threads that end while being read are left out.
 */
export function threadNiceValues(): { mine: number; all: number[] } {
  const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
  const all: number[] = []
  for (const id of readdirSync('/proc/self/task')) {
    try {
      all.push(niceOf(readFileSync(`/proc/self/task/${id}/stat`, 'utf8')))
    } catch {
      // ended meanwhile
    }
  }
  return { mine: niceOf(readFileSync('/proc/thread-self/stat', 'utf8')), all }
}

/** How many rows `table` holds now. */
export async function rowCount(env: TestEnv, table: keyof Database): Promise<number> {
  const row = await env.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
