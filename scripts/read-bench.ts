// The read API's latency on a big organization: seeds N contacts into one organization with the
// benchmark seeder (scripts/bench/seed.ts), then times the first page of the follow-up board and of
// filtered contact lists through app.request() in this process (no network), and prints the median
// and the slowest run of each. Run with Bun: `bun scripts/read-bench.ts --contacts 1000000`.
// Not part of `npm test`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { createApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { openStore } from '../src/db/open.ts'
import { ensureTags } from '../src/tags/repo.ts'
import { seed } from './bench/seed.ts'

const MAX_CONTACTS = 1_000_000

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '21' },
    db: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  console.log(`Usage: bun scripts/read-bench.ts [--contacts N] [--runs N] [--db PATH] [--keep]
  --contacts N   contacts seeded into one organization, at most ${MAX_CONTACTS} (default ${MAX_CONTACTS})
  --runs N       timed runs per request after one warm-up run; the median is reported (default 21)
  --db PATH      reuse a database this script seeded before (skips seeding)
  --keep         keep the seeded database and print its path`)
  process.exit(0)
}
const contacts = Number(values.contacts)
const runs = Number(values.runs)
if (!Number.isInteger(contacts) || contacts < 1 || contacts > MAX_CONTACTS) throw new Error(`--contacts must be 1-${MAX_CONTACTS}`)
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive whole number')

const dir = values.db ? undefined : mkdtempSync(join(tmpdir(), 'dmtracker-read-bench-'))
const path = values.db ?? join(dir!, 'read-bench.db')
let token: string
if (values.db) {
  token = process.env.DMTRACKER_TOKEN ?? ''
  if (!token) throw new Error('with --db, set DMTRACKER_TOKEN to the token this script printed when it seeded')
} else {
  const started = performance.now()
  const seeded = await seed(path, { contacts, orgCount: 1 })
  token = seeded.orgs[0]!.token
  console.log(`seeded ${contacts} contacts in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

const store = openStore(path)
// The seeder leaves every contact overdue (due over the last 90 days): the board's worst case.
// Move about one in eight to a time in the next two weeks, so that every group has contacts.
// And give about 1 in 4096 contacts a rare tag, for the list that starts from a tag's contacts.
await store.write(async (trx) => {
  await sql`update contacts set next_follow_up_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('+%d minutes', abs(random()) % 20160))
      where substr(id, 1, 1) in ('0', '1')`.execute(trx)
  const org = await trx.selectFrom('organizations').select('id').executeTakeFirstOrThrow()
  const now = new Date().toISOString()
  const [tag] = await ensureTags(trx, org.id, ['bench-rare'], '#374151', now)
  if (tag)
    await sql`insert into contact_tags (contact_id, tag_id, created_at) select id, ${tag.id}, ${now} from contacts where substr(id, 1, 3) = 'abc'`.execute(
      trx,
    )
})
const app = createApp({ store, config: { ...loadConfig({}, {}), dbPath: path, logRequests: false } })
const stage = await store.db.selectFrom('pipeline_stages').select('name').where('name', '=', 'Outreach Sent').executeTakeFirstOrThrow()

const REQUESTS: [string, string][] = [
  ['follow-up board (3 groups, counts + first 50 each)', '/api/v1/follow-ups'],
  ['contacts, default list', '/api/v1/contacts'],
  ['contacts, follow_up=overdue', '/api/v1/contacts?follow_up=overdue'],
  ['contacts, follow_up=today', '/api/v1/contacts?follow_up=today'],
  ['contacts, stage', `/api/v1/contacts?stage=${encodeURIComponent(stage.name)}`],
  ['contacts, lead_status=open', '/api/v1/contacts?lead_status=open'],
  ['contacts, type=outreach', '/api/v1/contacts?type=outreach'],
  ['contacts, tag=vip', '/api/v1/contacts?tag=vip'],
  ['contacts, q=maria', '/api/v1/contacts?q=maria'],
  ['contacts, tag=bench-rare (a tag on 1 in 4096)', '/api/v1/contacts?tag=bench-rare'],
  ['contacts, updated_since=yesterday', `/api/v1/contacts?updated_since=${new Date(Date.now() - 86_400_000).toISOString()}`],
  ['contacts, type=inbound&tag=vip&follow_up=overdue', '/api/v1/contacts?type=inbound&tag=vip&follow_up=overdue'],
  [
    'contacts, type=outreach&lead_status=open&stage',
    `/api/v1/contacts?type=outreach&lead_status=open&stage=${encodeURIComponent(stage.name)}`,
  ],
  ['pipeline (6 stages, counts + first 50 each)', '/api/v1/pipeline'],
]

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(`\n${contacts} contacts in one organization, ${runs} runs each, Bun ${Bun.version}, in-process app.request()\n`)
console.log('| request | median ms | slowest ms | rows |')
console.log('|---|---:|---:|---:|')
for (const [name, url] of REQUESTS) {
  const times: number[] = []
  let rows = 0
  for (let i = 0; i <= runs; i++) {
    const started = performance.now()
    const res = await app.request(url, { headers: { 'x-org-auth-token': token } })
    const body = (await res.json()) as { data: unknown }
    const elapsed = performance.now() - started
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`)
    if (i > 0) times.push(elapsed) // the first run warms the page cache and the statement cache
    rows = Array.isArray(body.data) ? body.data.length : 0
  }
  console.log(`| ${name} | ${median(times).toFixed(2)} | ${Math.max(...times).toFixed(2)} | ${rows || ''} |`)
}

await app.close()
await store.close()
if (values.keep || values.db) console.log(`\ndatabase: ${path}${values.db ? '' : `\ntoken: ${token}`}`)
else rmSync(dir!, { recursive: true, force: true })
