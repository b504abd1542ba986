// End to end: build the real binary, run it from a folder with no node_modules, create an
// organization through the CLI and call the API over real HTTP. Runs under Node (npm run test:e2e).

import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { binaryForE2e } from './binary.ts'

const root = resolve(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

describe('compiled binary', () => {
  let dir: string
  let binary: string
  let server: ChildProcess | undefined
  let stdout = ''
  let base = ''
  let org: { id: string; token: string }
  let baked: { version: string; commit: string; built: string }

  const run = (...args: string[]) => spawnSync(binary, args, { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } })

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-e2e-'))
    binary = binaryForE2e(dir)
  })

  after(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints its version, the commit and the date it was built', () => {
    const result = run('--version')
    assert.equal(result.status, 0)
    const [, version, commit, built] = /^dmtracker (\S+) \(commit ([0-9a-f]{7,}), built (\S+)\)$/.exec(result.stdout.trim()) ?? []
    assert.equal(version, pkg.version, result.stdout)
    assert.ok(Date.now() - Date.parse(built!) < 86_400_000, `built ${built}: a date baked in at build time`)
    assert.equal(run('version').stdout, result.stdout)
    baked = { version: version!, commit: commit!, built: built! }
  })

  it('creates an organization from another directory, with no node_modules in sight', () => {
    assert.ok(!readdirSync(dir).includes('node_modules'))
    const result = run('org', 'create', '--name', 'E2E Agency', '--page-name', 'e2e_page', '--json', '--db', './data/e2e.db')
    assert.equal(result.status, 0, result.stderr)
    const created = JSON.parse(result.stdout)
    assert.deepEqual(Object.keys(created).sort(), ['id', 'name', 'page_name', 'token'])
    assert.match(created.token, /^dmt_[\w-]{40,}$/)
    org = { id: created.id, token: created.token }
  })

  it('reports a bad command as one line on stderr with exit code 1', () => {
    const result = run('org', 'set-status', org.id, 'paused', '--db', './data/e2e.db')
    assert.equal(result.status, 1)
    assert.equal(result.stderr.trim().split('\n').length, 1)
    assert.match(result.stderr, /active or cancelled/)
  })

  it('serves the API over HTTP', async () => {
    server = spawn(binary, ['serve', '--port', '0', '--db', './data/e2e.db'], { cwd: dir, env: { PATH: process.env.PATH } })
    server.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const deadline = Date.now() + 10_000
    while (!/"msg":"listening"/.test(stdout)) {
      assert.ok(Date.now() < deadline, `server did not start: ${stdout}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    base = JSON.parse(stdout.split('\n').find((l) => l.includes('"listening"'))!).url

    assert.equal((await fetch(`${base}/healthz`)).status, 200)
    assert.deepEqual(await (await fetch(`${base}/version`)).json(), { name: 'dmtracker-server', ...baked, runtime: 'bun' })

    const reply = await fetch(`${base}/api/v1/contact/default-reply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
      body: JSON.stringify({
        organization_id: org.id,
        manychat_id: 987654,
        username: '@E2E_Lead',
        message_content: 'Hello from the real binary',
        ig_id: 17841400000000000123n.toString(),
      }),
    })
    assert.equal(reply.status, 200)
    const body = (await reply.json()) as any
    assert.equal(body.data.username, 'e2e_lead')
    assert.equal(body.data.manychat_id, '987654')

    const denied = await fetch(`${base}/api/v1/contact/default-reply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-org-auth-token': 'dmt_wrong' },
      body: '{}',
    })
    assert.equal(denied.status, 401)
    assert.equal(typeof ((await denied.json()) as any).message, 'string')
  })

  it('serves the web app with its stylesheet and script from inside the binary', async () => {
    const login = await fetch(`${base}/login`)
    assert.equal(login.status, 200)
    const html = await login.text()
    for (const [, asset] of html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)) {
      const res = await fetch(`${base}${asset}`)
      assert.equal(res.status, 200, asset)
      assert.ok((await res.text()).length > 500, `${asset} has content`)
    }
    assert.equal([...html.matchAll(/\/assets\//g)].length, 2)
  })

  it('refuses to start a second server on the busy port: one line, exit code 1, the first keeps every request', async () => {
    const port = new URL(base).port
    // Even on another database: the port alone decides. A second server that wrongly starts is killed by the timeout.
    const second = spawnSync(binary, ['serve', '--port', port, '--db', './data/second.db'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
      timeout: 10_000,
    })
    assert.equal(second.status, 1, second.stdout)
    assert.equal(
      second.stderr.trim(),
      `dmtracker: port ${port} on 127.0.0.1 is already in use (is another server running?); stop it or choose another --port`,
    )
    assert.doesNotMatch(second.stdout, /listening/)
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${base}/api/v1/contact/default-reply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
        body: JSON.stringify({ organization_id: org.id, manychat_id: 987654, username: 'e2e_lead', message_content: `again ${i}` }),
      })
      assert.equal(res.status, 200)
    }
  })

  it('runs long reads in its bundled read worker: the CSV export and a list', async () => {
    const headers = { 'x-org-auth-token': org.token }
    const csv = await fetch(`${base}/api/v1/contacts/export.csv`, { headers })
    assert.equal(csv.status, 200)
    const lines = (await csv.text()).trim().split('\r\n')
    assert.equal(lines.length, 2)
    assert.match(lines[1]!, /"e2e_lead"/)
    const list = await fetch(`${base}/api/v1/contacts?q=e2e`, { headers })
    assert.equal(list.status, 200)
    assert.deepEqual(
      ((await list.json()) as any).data.map((c: any) => c.username),
      ['e2e_lead'],
    )
  })

  it('stops cleanly on SIGTERM and leaves no token in the logs or the database', async () => {
    server!.kill('SIGTERM')
    const [code] = await once(server!, 'exit')
    assert.equal(code, 0)
    assert.match(stdout, /"msg":"stopped"/)
    assert.ok(!stdout.includes(org.token), 'token in the log')
    for (const file of readdirSync(join(dir, 'data'))) {
      assert.ok(!readFileSync(join(dir, 'data', file)).includes(org.token), `token in ${file}`)
    }
  })
})

describe('first run', () => {
  it('creates an organization on an empty database and prints a working token with a curl line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmtracker-first-'))
    const binary = binaryForE2e(dir)
    const server = spawn(binary, ['--port', '0'], { cwd: dir, env: { PATH: process.env.PATH } })
    try {
      let stdout = ''
      let stderr = ''
      server.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      server.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      const deadline = Date.now() + 10_000
      while (!/"msg":"listening"/.test(stdout) || !/curl /.test(stderr)) {
        assert.ok(Date.now() < deadline, `no first-run banner: ${stdout} ${stderr}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      const orgId = /organization_id:\s+(\S+)/.exec(stderr)![1]!
      const token = /x-org-auth-token:\s+(\S+)/.exec(stderr)![1]!
      assert.ok(readdirSync(join(dir, 'data')).includes('dmtracker.db'), 'the default ./data/dmtracker.db was created')
      // The printed curl line is the user's first request: run its body against the server.
      const body = /-d '(.+)'/.exec(stderr)![1]!
      const url = /curl -X POST (\S+)/.exec(stderr)![1]!
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-org-auth-token': token }, body })
      assert.equal(res.status, 200)
      assert.equal(((await res.json()) as any).data.organization_id, orgId)
      assert.ok(!stdout.includes(token), 'the token is not in the request log')
      // The banner names the binary as it can be run from here, and the command it prints works.
      const more = /more with `(\.\/dmtracker) (token create \S+)`/.exec(stderr)
      assert.ok(more, stderr)
      assert.equal(more[2], `token create ${orgId}`)
      const created = spawnSync(join(dir, more[1]!), [...more[2]!.split(' '), '--json'], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      })
      assert.equal(created.status, 0, created.stderr)
      assert.match(JSON.parse(created.stdout).token, /^dmt_/)
    } finally {
      server.kill('SIGTERM')
      await once(server, 'exit')
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the CLI from a checkout', () => {
  it('runs as `npm run dmtracker -- ...` and prints commands in that form', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmtracker-npm-'))
    try {
      const npm = (...args: string[]) =>
        spawnSync('npm', ['run', '--silent', 'dmtracker', '--', ...args, '--db', join(dir, 'data/x.db')], { cwd: root, encoding: 'utf8' })
      const missing = npm('org', 'list')
      assert.equal(missing.status, 1)
      assert.match(missing.stderr, /no database at .*; nothing was created\. .*`npm run dmtracker -- org create --name NAME`/)
      assert.ok(!readdirSync(dir).includes('data'), 'org list created the data folder')
      const created = npm('org', 'create', '--name', 'Checkout')
      assert.equal(created.status, 0, created.stderr)
      assert.match(npm('org', 'list').stdout, /Checkout/)
      assert.match(npm('token', '--help').stdout, /^ {2}npm run dmtracker -- token create ORG_ID/m)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
