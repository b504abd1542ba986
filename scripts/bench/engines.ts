// `npm run bench -- --database postgres://...`: the four write endpoints on SQLite (one instance),
// on PostgreSQL with one instance and with three instances over the same database, in one run, with
// the ratio to SQLite. Every server is the compiled binary with --durability full and no rate limit;
// requests go round-robin over the instances from one client (this process), as a load balancer
// would spread them. The machine is shared: quote same-run ratios, not absolute figures.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildBinary, cliJson, ensureStopped, type ServerProcess, startServer } from '../reliability/server-process.ts'

const ENDPOINTS = ['default-reply', 'create-contact', 'update-tags', 'contact-status'] as const
type EndpointName = (typeof ENDPOINTS)[number]

interface Org {
  id: string
  token: string
}

export interface EngineBenchOptions {
  url: string
  connections: number
  durationS: number
  orgs: number
  binary?: string
}

/** One request of `endpoint`: unique per call where it creates, on the n-th seeded contact where it changes one. */
function request(endpoint: EndpointName, org: Org, n: number, seeded: number): { method: string; path: string; body: unknown } {
  const existing = `seed_${n % seeded}`
  switch (endpoint) {
    case 'default-reply':
      return {
        method: 'POST',
        path: '/api/v1/contact/default-reply',
        body: { organization_id: org.id, manychat_id: `mc_${n % seeded}`, username: existing, message_content: `reply ${n}` },
      }
    case 'create-contact':
      return {
        method: 'POST',
        path: '/api/v1/organization/create-contact',
        body: {
          organization_id: org.id,
          username: `new_${process.pid}_${n}`,
          had_outreach: false,
          last_response_at: '2026-01-12T10:00:00.000Z',
          last_message_content: 'hi',
        },
      }
    case 'update-tags':
      return {
        method: 'POST',
        path: '/api/v1/contact/update-tags-external',
        body: { organization_id: org.id, username: existing, mode: 'add', tag_names: [`t${n % 20}`] },
      }
    case 'contact-status':
      return {
        method: 'PATCH',
        path: '/api/v1/contact/contact-status',
        body: { organization_id: org.id, manychat_id: `mc_${n % seeded}`, lead_status: ['open', 'won', 'lost'][n % 3] },
      }
  }
}

/** `connections` loops sending one request after another for `seconds`; returns req/s and the non-2xx count. */
async function drive(urls: string[], orgs: Org[], endpoint: EndpointName, connections: number, seconds: number, seeded: number) {
  let n = 0
  let ok = 0
  let failed = 0
  const until = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const i = n++
        const org = orgs[i % orgs.length]!
        const { method, path, body } = request(endpoint, org, i, seeded)
        const res = await fetch(`${urls[i % urls.length]}${path}`, {
          method,
          headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
          body: JSON.stringify(body),
        })
        await res.arrayBuffer()
        if (res.ok) ok++
        else failed++
      }
    }),
  )
  return { rps: ok / ((performance.now() - started) / 1000), failed }
}

async function admin(url: string, statement: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

export async function benchEngines(options: EngineBenchOptions): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dmtracker-engines-'))
  const binary = options.binary ?? join(dir, 'dmtracker')
  if (!options.binary) buildBinary(binary)
  const pgName = `dmtracker_bench_${process.pid}`
  await admin(options.url, `create database ${pgName}`)
  const setups = [
    { label: 'SQLite, 1 instance', database: join(dir, 'bench.db'), instances: 1 },
    { label: 'PostgreSQL, 1 instance', database: withDatabase(options.url, pgName), instances: 1 },
    { label: 'PostgreSQL, 3 instances', database: withDatabase(options.url, pgName), instances: 3 },
  ]
  const seeded = 200
  const results: Record<string, Record<EndpointName, { rps: number; failed: number }>> = {}
  const orgsByDatabase = new Map<string, Org[]>()
  try {
    for (const setup of setups) {
      const servers: ServerProcess[] = []
      try {
        for (let i = 0; i < setup.instances; i++)
          servers.push(startServer(binary, setup.database, ['--quiet', '--rate-limit', 'off', '--durability', 'full']))
        const urls = await Promise.all(servers.map((s) => s.listening))
        let orgs = orgsByDatabase.get(setup.database)
        if (!orgs) {
          orgs = Array.from({ length: options.orgs }, (_, i) =>
            cliJson<Org>(binary, ['org', 'create', '--name', `Bench ${i}`, '--db', setup.database]),
          )
          orgsByDatabase.set(setup.database, orgs)
          // The contacts the changing endpoints work on.
          for (let i = 0; i < seeded * orgs.length; i++) {
            const org = orgs[i % orgs.length]!
            const { path, body } = request('default-reply', org, Math.floor(i / orgs.length), seeded)
            await fetch(`${urls[0]}${path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
              body: JSON.stringify(body),
            })
          }
        }
        results[setup.label] = {} as Record<EndpointName, { rps: number; failed: number }>
        for (const endpoint of ENDPOINTS) {
          await drive(urls, orgs, endpoint, options.connections, 1, seeded) // warm-up
          results[setup.label]![endpoint] = await drive(urls, orgs, endpoint, options.connections, options.durationS, seeded)
          console.error(`${setup.label} ${endpoint}: ${Math.round(results[setup.label]![endpoint].rps)} req/s`)
        }
      } finally {
        for (const server of servers) server.kill('SIGTERM')
        await Promise.all(servers.map((s) => ensureStopped(s)))
      }
    }
  } finally {
    await admin(options.url, `drop database if exists ${pgName} with (force)`).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
  const base = results[setups[0]!.label]!
  const lines = [
    `| endpoint | ${setups.map((s) => `${s.label} req/s`).join(' | ')} | PG 1 / SQLite | PG 3 / SQLite |`,
    `| --- | ${setups.map(() => '---').join(' | ')} | --- | --- |`,
    ...ENDPOINTS.map((e) => {
      const cells = setups.map((s) => {
        const r = results[s.label]![e]
        return `${Math.round(r.rps)}${r.failed ? ` (${r.failed} non-2xx)` : ''}`
      })
      const ratio = (label: string) => `${Math.round((results[label]![e].rps / base[e].rps) * 100)}%`
      return `| ${e} | ${cells.join(' | ')} | ${ratio(setups[1]!.label)} | ${ratio(setups[2]!.label)} |`
    }),
  ]
  return `${options.connections} connections, ${options.durationS} s per endpoint, ${options.orgs} organizations, --durability full, rate limit off\n\n${lines.join('\n')}`
}
