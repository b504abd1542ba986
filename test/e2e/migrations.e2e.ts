// Migrations under real kills and concurrent starts: `bun src/main.ts` is SIGKILLed or SIGTERMed at
// random moments of a first start and of an upgrade of a populated database; every later start must
// succeed with the old or the new schema and integrity_check ok. Runs under Node (npm run test:e2e).

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { migrations } from '../../migrations/index.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'
import { openStore } from '../../src/db/open.ts'

const root = resolve(import.meta.dirname, '../..')
const bun = join(root, 'node_modules/.bin/bun')
const ROUNDS = 4
const names = Object.keys(migrations).sort()

function start(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; output: string }>; output: () => string } {
  const child = spawn(bun, [join(root, 'src/main.ts'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()))
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, output }))
  return { child, exited, output: () => output }
}

async function run(args: string[]) {
  return start(args).exited
}

/** What a later start sees: applied migrations, the schema's objects and integrity_check. */
async function inspect(file: string) {
  const store = openStore(file)
  try {
    const objects = (
      await sql<{ name: string }>`select name from sqlite_master where name not like 'sqlite_%' order by name`.execute(store.db)
    ).rows.map((r) => r.name)
    const recorded = objects.includes('kysely_migration')
      ? await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db)
      : { rows: [] }
    const applied = recorded.rows.map((r) => r.name)
    return { applied, objects, integrity: String(store.sqlite.value('pragma integrity_check')) }
  } finally {
    await store.close()
  }
}

/** Schema objects after migrating a fresh database up to (and including) the first `count` migrations. */
async function schemaAfter(dir: string, count: number): Promise<string[]> {
  const file = join(dir, `reference-${count}.db`)
  const store = openStore(file)
  await migrateToLatest(store.db, Object.fromEntries(names.slice(0, count).map((n) => [n, migrations[n]!])))
  await store.close()
  return (await inspect(file)).objects
}

const randomSignal = (): NodeJS.Signals => (Math.random() < 0.5 ? 'SIGKILL' : 'SIGTERM')

describe('migrations survive kills and concurrent starts', () => {
  let dir: string
  const schemas: string[][] = []

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-migrate-e2e-'))
    for (let count = 0; count <= names.length; count++) schemas.push(await schemaAfter(dir, count))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  /** After a kill: the next start migrates fine, and the schema matches the migrations recorded. */
  async function assertRecovers(file: string, round: string) {
    if (existsSync(file)) {
      const seen = await inspect(file)
      assert.equal(seen.integrity, 'ok', round)
      // Killed before its first transaction committed, a start may leave an empty file.
      const expected = seen.objects.length === 0 ? [] : schemas[seen.applied.length]
      assert.deepEqual(seen.objects, expected, `${round}: schema of ${seen.applied.join(', ') || 'no migration'}`)
    }
    const next = await run(['migrate', '--db', file])
    assert.equal(next.code, 0, `${round}: ${next.output}`)
    const final = await inspect(file)
    assert.deepEqual(final.applied, names)
    assert.equal(final.integrity, 'ok')
  }

  it('a first start killed at any moment (SIGKILL or SIGTERM) leaves a database every later start can use', async () => {
    // Most of a start is the runtime loading; the database work begins when the file appears. How
    // long an undisturbed start takes from there until it listens; kills land anywhere in that span.
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((r) => setTimeout(r, 1))
    }
    const probeFile = join(dir, 'probe.db')
    const probe = start(['serve', '--port', '0', '--db', probeFile])
    await until(() => existsSync(probeFile))
    const began = Date.now()
    await until(() => probe.output().includes('"listening"'))
    const span = Date.now() - began
    probe.child.kill('SIGKILL')
    await probe.exited
    for (let round = 0; round < ROUNDS; round++) {
      const file = join(dir, `first-${round}.db`)
      const server = start(['serve', '--port', '0', '--db', file])
      await until(() => existsSync(file) || server.child.exitCode !== null)
      await new Promise((r) => setTimeout(r, Math.random() * span))
      server.child.kill(randomSignal())
      await server.exited
      await assertRecovers(file, `first start, round ${round}`)
    }
  })

  it('an upgrade of a populated database killed at any moment leaves the old or the new schema', async () => {
    const template = join(dir, 'populated.db')
    const store = openStore(template)
    await migrateToLatest(store.db, { [names[0]!]: migrations[names[0]!]! })
    await sql`insert into organizations (id, name, created_at) values ('00000000-0000-4000-8000-000000000001', 'Big', '2026-01-01T00:00:00.000Z')`.execute(
      store.db,
    )
    // Enough rows that the later migrations (index builds, renumbering) take a noticeable while.
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000)
      insert into contacts (id, organization_id, username, contact_ingestion_type, created_at, updated_at, follow_up_needed, next_follow_up_at)
      select printf('c-%08d', i), '00000000-0000-4000-8000-000000000001', printf('user%d', i), 'inbound', '2026-01-01T00:00:00.000Z',
             '2026-01-01T00:00:00.000Z', i % 2, '2026-02-01T00:00:00.000Z' from n`.execute(store.db)
    // And a message each, which a later migration numbers.
    await sql`insert into messages (contact_id, content, sent_at, source, created_at)
      select id, 'hello', created_at, 'manychat', created_at from contacts`.execute(store.db)
    await store.close()

    const probeFile = join(dir, 'upgrade-probe.db')
    copyFileSync(template, probeFile)
    const began = Date.now()
    const probe = await run(['migrate', '--db', probeFile])
    assert.equal(probe.code, 0, probe.output)
    const span = Date.now() - began
    for (let round = 0; round < ROUNDS; round++) {
      const file = join(dir, `upgrade-${round}.db`)
      copyFileSync(template, file)
      const upgrade = start(['migrate', '--db', file])
      await new Promise((r) => setTimeout(r, Math.random() * span))
      upgrade.child.kill(randomSignal())
      await upgrade.exited
      await assertRecovers(file, `upgrade, round ${round}`)
    }
  })

  it('two servers and a CLI command started together on a new database all start; one organization is created', async () => {
    const file = join(dir, 'together.db')
    const servers = [start(['serve', '--port', '0', '--db', file]), start(['serve', '--port', '0', '--db', file])]
    const cli = await run(['migrate', '--db', file])
    try {
      assert.equal(cli.code, 0, cli.output)
      for (const server of servers) {
        while (!server.output().includes('"listening"')) {
          assert.equal(server.child.exitCode, null, server.output())
          await new Promise((r) => setTimeout(r, 10))
        }
      }
    } finally {
      for (const server of servers) server.child.kill('SIGTERM')
      await Promise.all(servers.map((s) => s.exited))
    }
    const store = openStore(file)
    const orgs = await store.db.selectFrom('organizations').select('name').execute()
    await store.close()
    assert.deepEqual(orgs, [{ name: 'My Organization' }])
  })
})
