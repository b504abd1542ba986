// The web app's pages on a big database: seeds N contacts over five organizations (so 1,000,000
// puts 200,000 in the signed-in one) with the benchmark seeder, signs a member in, then times the
// server render of the Follow-Up Board, the Contacts page, the Pipeline and a contact page with
// 1,000 messages through app.request() in this process (no network), measures a first load's
// transfer (the page, its stylesheet and its script), and times card moves (POST
// /pipeline/{id}/move: the write, its automations check and the redirect).
// Run with Bun: `bun scripts/page-bench.ts --contacts 1000000 [--runs N] [--only REGEX]`. Not part of `npm test`.
// `--thread [--compare DIR] [--rounds N]` measures instead the request thread's own work per page
// (scripts/bench/page-thread.ts), against the code checked out in DIR (e.g. main's) in the same process.
// `--orgs N` spreads the contacts over N organizations instead of 5 (`--contacts 200000 --orgs 1`
// seeds the signed-in organization's 200,000 in a fifth of the time, without the other four).
// `--db FILE` skips the seeding (38 minutes for 1,000,000 contacts on a loaded machine): FILE is a
// database the same seeder made (`--contacts` must say how many it holds), migrated to this
// checkout's schema first and then written to, so pass a throwaway copy.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { sql } from 'kysely'
import { createApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { openStore } from '../src/db/open.ts'
import { createSession } from '../src/sessions/service.ts'
import { addUser } from '../src/users/service.ts'
import { threadBench } from './bench/page-thread.ts'
import { seed } from './bench/seed.ts'

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '100' },
    only: { type: 'string' },
    thread: { type: 'boolean', default: false },
    compare: { type: 'string' },
    rounds: { type: 'string', default: '10' },
    db: { type: 'string' },
    orgs: { type: 'string', default: '5' },
  },
})
// --only REGEX: time just the pages whose name matches (the card moves always run).
const only = values.only === undefined ? undefined : new RegExp(values.only, 'i')
const contacts = Number(values.contacts)
const runs = Number(values.runs)
const orgCount = Number(values.orgs)
const dir = mkdtempSync(join(tmpdir(), 'dmtracker-page-bench-'))
const path = values.db ?? join(dir, 'page-bench.db')
const started = performance.now()
if (values.db === undefined) {
  await seed(path, { contacts, orgCount })
  console.log(`seeded ${contacts} contacts over ${orgCount} organizations in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

const store = openStore(path)
if (values.db !== undefined) {
  await migrateToLatest(store.db)
  console.log(`${path} migrated in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}
// The first organization the seeder made.
const org = await store.db.selectFrom('organizations').select('id').where('name', '=', 'Bench Agency 0').executeTakeFirstOrThrow()
// As read-bench does: every seeded contact is overdue; move about one in eight into the next two weeks.
const session = await store.write(async (trx) => {
  await sql`update contacts set next_follow_up_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('+%d minutes', abs(random()) % 20160))
      where substr(id, 1, 1) in ('0', '1')`.execute(trx)
  const user = await addUser(trx, { email: 'setter@bench.test', organizationId: org.id, role: 'member' }, new Date().toISOString())
  // For the pipeline's filters: the member is the assigned setter of about 3 in 16 contacts, and 1 in 16 is won.
  await sql`update contacts set assigned_user_id = ${user.id} where organization_id = ${org.id} and substr(id, 2, 1) in ('0', '1', '2')`.execute(
    trx,
  )
  await sql`update contacts set lead_status_id = 2 where organization_id = ${org.id} and substr(id, 3, 1) = '0'`.execute(trx)
  return createSession(trx, user.id, Date.now())
})
// One contact with a long conversation: 1,000 messages, a minute apart.
const chatty = (await store.db.selectFrom('contacts').select('id').where('organization_id', '=', org.id).limit(1).executeTakeFirstOrThrow())
  .id
await store.write(async (trx) => {
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)
    insert into messages (contact_id, number, direction, content, sent_at, source, created_at)
    select ${chatty}, 100000000 + i, 'inbound', 'Message ' || i || ': sounds good, what are the next steps for the program?',
      strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d minutes', 1000 - i)), 'manychat', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    from n`.execute(trx)
})
const config = { ...loadConfig({}, {}), dbPath: path, logRequests: false }
const app = createApp({ store, config })
const headers = { cookie: `dmtracker_session=${session}` }

if (values.thread) {
  // The contact page shows 50 activity entries too: 60 on the long conversation's contact.
  await store.write(async (trx) => {
    await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 60)
      insert into activity_log (organization_id, contact_id, number, action, old_value, new_value, via, automation_id, user_id, created_at)
      select ${org.id}, ${chatty}, 300000000 + i, 'lead_status', 'open', 'won', 'api', null, null,
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d minutes', 60 - i))
      from n`.execute(trx)
  })
  const apps = [{ name: 'this code', app }]
  if (values.compare) {
    const other: typeof import('../src/app.ts') = await import(resolve(values.compare, 'src/app.ts'))
    apps.push({ name: `${values.compare}`, app: other.createApp({ store, config }) })
  }
  const pages: [string, string][] = [
    ['Follow-Up Board (60 cards)', '/follow-ups'],
    ['Contacts (50 rows)', '/contacts'],
    ['Pipeline (120 cards)', '/pipeline'],
    ['Contact page (50 messages, 50 activity)', `/contacts/${chatty}`],
  ]
  const rounds = Number(values.rounds)
  console.log(await threadBench({ apps, pages, headers, rounds, batch: 20, log: (line) => console.error(line) }))
  for (const a of apps) await a.app.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  process.exit(0)
}

const PAGES: [string, string][] = [
  ['Follow-Up Board (3 sections: counts + 20 cards each)', '/follow-ups'],
  ['Follow-Up Board, type=inbound&q=user_1', '/follow-ups?type=inbound&q=user_1'],
  ['Contacts (first 50)', '/contacts'],
  ['Contacts, stage + type filter', '/contacts?stage=Outreach+Sent&type=outreach'],
  ['Pipeline (6 columns: exact counts + 20 cards each)', '/pipeline'],
  ['Pipeline, type=inbound&lead_status=open', '/pipeline?type=inbound&lead_status=open'],
  ['Pipeline, type=outreach', '/pipeline?type=outreach'],
  ['Pipeline, lead_status=won', '/pipeline?lead_status=won'],
  ['Pipeline, assigned setter', '/pipeline?assigned=setter%40bench.test'],
  ['Pipeline, tag=hot-lead', '/pipeline?tag=hot-lead'],
  ['Pipeline, q=maria', '/pipeline?q=maria'],
  ['Contact page, 1,000 messages (newest 50)', `/contacts/${chatty}`],
]
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!

console.log(
  `\n${contacts} contacts, ${contacts / orgCount} in the signed-in organization, ${runs} runs each after one warm-up, Bun ${Bun.version}\n`,
)
console.log('| page | p50 ms | p95 ms | max ms | HTML bytes | first load bytes (gzip) |')
console.log('|---|---:|---:|---:|---:|---:|')
const asset = async (url: string) => new Uint8Array(await (await app.request(url)).arrayBuffer())
for (const [name, url] of PAGES.filter(([name]) => !only || only.test(name))) {
  const times: number[] = []
  let html = ''
  for (let i = 0; i <= runs; i++) {
    const t = performance.now()
    const res = await app.request(url, { headers })
    html = await res.text()
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
    if (i > 0) times.push(performance.now() - t)
  }
  const assets = await Promise.all([...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => asset(m[1]!)))
  const raw = Buffer.byteLength(html) + assets.reduce((n, a) => n + a.length, 0)
  const zipped = gzipSync(html).length + assets.reduce((n, a) => n + gzipSync(a).length, 0)
  console.log(
    `| ${name} | ${pct(times, 0.5).toFixed(1)} | ${pct(times, 0.95).toFixed(1)} | ${Math.max(...times).toFixed(1)} | ${Buffer.byteLength(html)} | ${raw} (${zipped}) |`,
  )
}

// Card moves: the same contacts back and forth between two stages, each move a real change.
const movers = await store.db
  .selectFrom('contacts')
  .select('id')
  .where('organization_id', '=', org.id)
  .limit(runs + 1)
  .execute()
const moveTimes: number[] = []
for (let i = 0; i <= runs; i++) {
  const id = movers[i % movers.length]!.id
  const body = new URLSearchParams({ stage: i % 2 === 0 ? 'Interested' : 'In Conversation' }).toString()
  const t = performance.now()
  const res = await app.request(`/pipeline/${id}/move`, {
    method: 'POST',
    body,
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
  })
  if (res.status !== 303) throw new Error(`move: ${res.status} ${await res.text()}`)
  if (i > 0) moveTimes.push(performance.now() - t)
}
console.log(
  `| Card move (POST /pipeline/{id}/move) | ${pct(moveTimes, 0.5).toFixed(1)} | ${pct(moveTimes, 0.95).toFixed(1)} | ${Math.max(...moveTimes).toFixed(1)} | | |`,
)
await app.close()
await store.close()
rmSync(dir, { recursive: true, force: true })
