import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { cliCommand } from '../src/cli/invocation.ts'
import { runCli } from '../src/cli/run.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { openStore } from '../src/db/open.ts'
import { hashToken } from '../src/tokens/service.ts'
import { cli as runIn } from './helpers.ts'

describe('admin CLI', () => {
  let dir: string
  let db: string
  const cli = (...argv: string[]) => runIn(db, ...argv)
  const json = async (...argv: string[]) => {
    const result = await cli(...argv, '--json')
    assert.equal(result.code, 0, result.err)
    return JSON.parse(result.out)
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-cli-'))
    db = join(dir, 'cli.db')
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('creates an organization with a token shown once, stored only as a hash', async () => {
    const org = await json('org', 'create', '--name', 'Acme Agency', '--page-name', 'acme')
    assert.deepEqual(Object.keys(org).sort(), ['id', 'name', 'page_name', 'token'])
    assert.equal(org.page_name, 'acme')
    assert.match(org.token, /^dmt_/)
    const store = openStore(db)
    const row = await store.db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow()
    await store.close()
    assert.equal(row.token_hash, hashToken(org.token))
    assert.ok(!JSON.stringify(row).includes(org.token))
    assert.equal(row.display_prefix, org.token.slice(0, row.display_prefix.length))
  })

  it('lists organizations and changes their subscription status', async () => {
    const org = await json('org', 'create', '--name', 'Acme')
    assert.equal((await cli('org', 'set-status', org.id, 'cancelled')).code, 0)
    const [listed] = await json('org', 'list')
    assert.equal(listed.subscription_status, 'cancelled')
    const human = await cli('org', 'list')
    assert.match(human.out, /Acme\s+cancelled/)
  })

  it('refuses a page name another organization holds', async () => {
    await json('org', 'create', '--name', 'A', '--page-name', 'shared')
    const result = await cli('org', 'create', '--name', 'B', '--page-name', 'shared')
    assert.equal(result.code, 1)
    assert.match(result.err, /page name "shared"/)
  })

  it('creates, lists and revokes tokens without ever listing the secret', async () => {
    const org = await json('org', 'create', '--name', 'Acme')
    const second = await json('token', 'create', org.id, '--label', 'zapier')
    const tokens = await json('token', 'list', org.id)
    assert.equal(tokens.length, 2)
    assert.ok(!JSON.stringify(tokens).includes(second.token))
    assert.equal((await cli('token', 'revoke', second.id)).code, 0)
    const after = await json('token', 'list', org.id)
    assert.ok(after.find((t: { id: string }) => t.id === second.id).revoked_at)
    const again = await cli('token', 'revoke', second.id)
    assert.equal(again.code, 1)
  })

  it('adds users with and without memberships', async () => {
    const org = await json('org', 'create', '--name', 'Acme')
    const user = await json('user', 'add', '--email', 'Setter@Example.com', '--name', 'Sam')
    assert.deepEqual(Object.keys(user).sort(), ['email', 'id'])
    const dup = await cli('user', 'add', '--email', 'setter@example.com')
    assert.equal(dup.code, 1)
    assert.match(dup.err, /already exists/)
    const member = await json('user', 'add', '--email', 'setter@EXAMPLE.com', '--org', org.id, '--role', 'admin')
    assert.equal(member.id, user.id)
    const badRole = await cli('user', 'add', '--email', 'x@example.com', '--org', org.id, '--role', 'boss')
    assert.equal(badRole.code, 1)
    const admin = await cli('user', 'add', '--email', 'ada@example.com', '--org', org.id, '--role', 'admin')
    assert.match(admin.out, new RegExp(`is an admin of ${org.id}`))
    const setter = await cli('user', 'add', '--email', 'sid@example.com', '--org', org.id, '--role', 'member')
    assert.match(setter.out, new RegExp(`is a member of ${org.id}`))
  })

  it('refuses a user email that API requests could not name', async () => {
    const added = await cli('user', 'add', '--email', 'sam..smith@example.com')
    assert.equal(added.code, 1)
    assert.match(added.err, /not a valid email address/)
  })

  it('refuses a stage name the API would refuse', async () => {
    const org = await json('org', 'create', '--name', 'Acme')
    const nul = await cli('stage', 'add', org.id, 'Clos\u0000ed')
    assert.equal(nul.code, 1)
    assert.match(nul.err, /Stage name must not contain NUL/)
    const long = await cli('stage', 'add', org.id, 'x'.repeat(51))
    assert.equal(long.code, 1)
    assert.match(long.err, /Stage name must be at most 50 characters/)
  })

  it('manages pipeline stages by name', async () => {
    const org = await json('org', 'create', '--name', 'Acme')
    const names = async () => (await json('stage', 'list', org.id)).map((s: { name: string }) => s.name)
    assert.deepEqual(await names(), ['Outreach Sent', 'In Conversation', 'Interested', 'Meeting Booked', 'Closed', 'Lost'])
    assert.equal((await cli('stage', 'add', org.id, 'Nurture', '--color', 'teal')).code, 0)
    assert.equal((await cli('stage', 'move', org.id, 'nurture', '3')).code, 0)
    assert.equal((await cli('stage', 'rename', org.id, 'NURTURE', 'Warm')).code, 0)
    assert.deepEqual(await names(), ['Outreach Sent', 'In Conversation', 'Warm', 'Interested', 'Meeting Booked', 'Closed', 'Lost'])
    const dup = await cli('stage', 'add', org.id, 'closed')
    assert.equal(dup.code, 1)
    assert.match(dup.err, /already exists/)
    assert.equal((await cli('stage', 'remove', org.id, 'Warm')).code, 0)
    const stages = await json('stage', 'list', org.id)
    assert.deepEqual(
      stages.map((s: { position: number }) => s.position),
      [1, 2, 3, 4, 5, 6],
    )
    const entry = await cli('stage', 'deactivate', org.id, 'In Conversation')
    assert.equal(entry.code, 1)
    assert.match(entry.err, /inbound entry stage/)
  })

  it('prints help for every command group and fails unknown commands with one line', async () => {
    for (const group of ['org', 'token', 'user', 'stage']) {
      const help = await cli(group, '--help')
      assert.equal(help.code, 0)
      assert.match(help.out, new RegExp(`dmtracker ${group} `))
    }
    const top = await cli('--help')
    assert.match(top.out, /serve/)
    const unknown = await cli('frobnicate')
    assert.equal(unknown.code, 1)
    assert.equal(unknown.err.split('\n').length, 1)
    const badFlag = await cli('org', 'list', '--nope')
    assert.equal(badFlag.code, 1)
    assert.match(badFlag.err, /--nope/)
  })

  it('rejects a bad serve setting instead of silently defaulting', async () => {
    const result = await cli('serve', '--port', 'eighty')
    assert.equal(result.code, 1)
    assert.match(result.err, /--port must be a whole number/)
  })
})

describe('backup and restore', () => {
  let dir: string
  const cli = runIn
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-backup-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('copies a database that is open for writing, and restores it in place', async () => {
    const db = join(dir, 'live.db')
    const live = openStore(db)
    await migrateToLatest(live.db)
    const first = await cli(db, 'org', 'create', '--name', 'Before Backup', '--json')
    // The live store stays open (as a running server would) while the backup is taken.
    const backup = await cli(db, 'backup', join(dir, 'copy.db'))
    assert.equal(backup.code, 0, backup.err)
    assert.match(backup.out, /integrity ok/)
    const refused = await cli(db, 'restore', join(dir, 'copy.db'))
    assert.equal(refused.code, 1)
    assert.match(refused.err, /in use; stop the server/)
    await live.close()

    await cli(db, 'org', 'create', '--name', 'After Backup')
    const restored = await cli(db, 'restore', join(dir, 'copy.db'))
    assert.equal(restored.code, 0, restored.err)
    assert.match(restored.out, /before-restore-/)
    const list = JSON.parse((await cli(db, 'org', 'list', '--json')).out)
    assert.deepEqual(
      list.map((o: { name: string }) => o.name),
      ['Before Backup'],
    )
    assert.equal(list[0].id, JSON.parse(first.out).id)
  })

  it('never overwrites an existing file and refuses a file that is not a database backup', async () => {
    const db = join(dir, 'live.db')
    await cli(db, 'org', 'create', '--name', 'A')
    assert.equal((await cli(db, 'backup', join(dir, 'copy.db'))).code, 0)
    const again = await cli(db, 'backup', join(dir, 'copy.db'))
    assert.equal(again.code, 1)
    assert.match(again.err, /already exists/)
    writeFileSync(join(dir, 'junk.db'), 'this is not sqlite')
    const junk = await cli(db, 'restore', join(dir, 'junk.db'))
    assert.equal(junk.code, 1)
    const missing = await cli(db, 'restore', join(dir, 'missing.db'))
    assert.equal(missing.code, 1)
    assert.match(missing.err, /does not exist/)
  })
})

describe('the CLI as a new user meets it', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-newuser-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  /** Runs the CLI as the given command would (`npm run dmtracker --`, `./dmtracker`), with `env`. */
  const as = async (command: string, env: Record<string, string>, ...argv: string[]) => {
    const out: string[] = []
    const err: string[] = []
    const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), env, command })
    return { code, out: out.join('\n'), err: err.join('\n') }
  }

  it('names the command that works where the user is: the binary by its path, else the npm script', () => {
    const binary = { argv: ['bun', '/$bunfs/root/dmtracker'], execPath: '/opt/app/dmtracker', env: { PATH: '/usr/bin:/bin' } }
    assert.equal(cliCommand({ ...binary, cwd: '/opt/app' }), './dmtracker')
    assert.equal(cliCommand({ ...binary, cwd: '/opt' }), './app/dmtracker')
    assert.equal(cliCommand({ ...binary, cwd: '/home/me' }), '/opt/app/dmtracker')
    assert.equal(cliCommand({ ...binary, cwd: '/home/me', env: { PATH: '/usr/bin:/opt/app' } }), 'dmtracker')
    assert.equal(cliCommand({ ...binary, execPath: '/opt/my app/dmtracker', cwd: '/home/me' }), "'/opt/my app/dmtracker'")
    assert.equal(
      cliCommand({ argv: ['/usr/bin/bun', '/src/dmtracker/src/main.ts'], execPath: '/usr/bin/bun', cwd: '/src/dmtracker', env: {} }),
      'npm run dmtracker --',
    )
    assert.equal(
      cliCommand({ argv: ['/usr/bin/node', '/src/dmtracker/src/main.ts'], execPath: '/usr/bin/node', cwd: '/', env: {} }),
      'npm run dmtracker --',
    )
  })

  it('prints help with that command in every usage line', async () => {
    const env = { DMTRACKER_DB: join(dir, 'x.db') }
    for (const argv of [
      ['--help'],
      ['org', '--help'],
      ['token', '--help'],
      ['stage', '--help'],
      ['automation', '--help'],
      ['user', '--help'],
      ['backup', '--help'],
      ['serve', '--help'],
      ['migrate', '--help'],
    ]) {
      const help = await as('npm run dmtracker --', env, ...argv)
      assert.equal(help.code, 0, argv.join(' '))
      assert.match(help.out, /npm run dmtracker -- /, argv.join(' '))
      assert.doesNotMatch(help.out, /(^|\s)dmtracker (?![-\d])/m, `a bare "dmtracker" command in ${argv.join(' ')}`)
    }
  })

  it('prints the curl line with the port the server is configured for', async () => {
    const created = await as('./dmtracker', { DMTRACKER_DB: join(dir, 'x.db'), DMTRACKER_PORT: '9123' }, 'org', 'create', '--name', 'Acme')
    assert.equal(created.code, 0, created.err)
    assert.match(created.out, /curl -X POST http:\/\/127\.0\.0\.1:9123\/api\/v1\/contact\/default-reply /)
    const anyAddress = await as(
      './dmtracker',
      { DMTRACKER_DB: join(dir, 'x.db'), DMTRACKER_HOST: '0.0.0.0', PORT: '3000' },
      'org',
      'create',
      '--name',
      'Other',
    )
    assert.match(anyAddress.out, /curl -X POST http:\/\/127\.0\.0\.1:3000\//)
  })

  it('does not create a database for a command that needs one to exist', async () => {
    const db = join(dir, 'data', 'dmtracker.db')
    const env = { DMTRACKER_DB: db }
    const orgId = '0190a8c4-0000-7000-8000-000000000000'
    for (const argv of [
      ['org', 'list'],
      ['token', 'list', orgId],
      ['stage', 'list', orgId],
      ['automation', 'list', orgId],
      ['token', 'create', orgId],
      ['backup', join(dir, 'copy.db')],
    ]) {
      const result = await as('npm run dmtracker --', env, ...argv)
      assert.equal(result.code, 1, argv.join(' '))
      assert.equal(
        result.err,
        `dmtracker: no database at ${db}; nothing was created. Start the server (\`npm run dmtracker -- serve\`) or run \`npm run dmtracker -- org create --name NAME\` to make one, or pass --db PATH`,
      )
      assert.ok(!existsSync(join(dir, 'data')), `${argv.join(' ')} created the data folder`)
    }
    assert.equal((await as('npm run dmtracker --', env, 'org', 'create', '--name', 'Acme')).code, 0)
    assert.equal((await as('npm run dmtracker --', env, 'org', 'list')).code, 0)
  })

  it('names an unknown flag in one line that points to the command help', async () => {
    const env = { DMTRACKER_DB: join(dir, 'x.db') }
    const cases: [string[], string][] = [
      [['org', 'list', '--nope'], 'dmtracker: unknown option --nope; see `./dmtracker org list --help`'],
      [['stage', 'add', 'ORG', 'Zed', '--colour', 'red'], 'dmtracker: unknown option --colour; see `./dmtracker stage add --help`'],
      [['serve', '-x'], 'dmtracker: unknown option -x; see `./dmtracker serve --help`'],
      [['org', 'create', '--name'], "dmtracker: Option '--name <value>' argument missing; see `./dmtracker org create --help`"],
      [['org', 'frobnicate'], 'dmtracker: unknown command "frobnicate"; see `./dmtracker org --help`'],
    ]
    for (const [argv, line] of cases) {
      const result = await as('./dmtracker', env, ...argv)
      assert.equal(result.code, 1)
      assert.equal(result.err, line)
    }
  })

  it('refuses an unknown stage colour with the accepted ones, and lists stages with JSON booleans', async () => {
    const env = { DMTRACKER_DB: join(dir, 'x.db') }
    const org = JSON.parse((await as('dmtracker', env, 'org', 'create', '--name', 'Acme', '--json')).out)
    const refused = await as('dmtracker', env, 'stage', 'add', org.id, 'Zed', '--color', 'blurple')
    assert.equal(refused.code, 1)
    assert.match(refused.err, /^dmtracker: Unknown colour "blurple"; use one of red, blue, .*teal.*, or #RRGGBB \/ #RGB hex$/)
    assert.equal((await as('dmtracker', env, 'stage', 'color', org.id, 'Lost', 'grey-ish')).code, 1)
    assert.equal((await as('dmtracker', env, 'stage', 'add', org.id, 'Warm', '--color', '#0F0')).code, 0)
    const stages = JSON.parse((await as('dmtracker', env, 'stage', 'list', org.id, '--json')).out)
    assert.deepEqual(stages.map((s: { name: string }) => s.name).slice(-2), ['Lost', 'Warm'])
    assert.equal(stages.at(-1).color, '#00ff00')
    assert.equal(stages.find((s: { name: string }) => s.name === 'Lost').color, '#dc2626')
    assert.ok(
      stages.every((s: { active: unknown }) => s.active === true),
      JSON.stringify(stages),
    )
  })
})
