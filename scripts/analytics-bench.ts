// Setter analytics on issue 17's data size: 1,000,000 contacts over 5 organizations (200,000 in
// the measured one), 5 messages each (5,000,000), a year of history, 10 setters per organization,
// one or two follow-ups per contact. Times each analytics endpoint (JSON and CSV) for a 90-day
// range through app.request() in this process (no network) and prints p50 / p95 / max.
// Run with Bun: `bun scripts/analytics-bench.ts` (npm run bench:analytics). Not part of npm test.
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { openStore } from '../src/db/open.ts'
import { createOrganization } from '../src/organizations/service.ts'
import { createToken } from '../src/tokens/service.ts'
import { contactId, MESSAGES, manychatId, OUTREACH, username } from './bench/population.ts'

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000000' },
    orgs: { type: 'string', default: '5' },
    runs: { type: 'string', default: '41' },
    days: { type: 'string', default: '90' },
    db: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  console.log(`Usage: bun scripts/analytics-bench.ts [--contacts N] [--orgs N] [--runs N] [--days N] [--keep]
  --contacts N   contacts in all (default 1000000), spread evenly over --orgs organizations (default 5)
  --runs N       timed runs per request after two warm-up runs (default 41)
  --days N       the range measured, ending today (default 90)
  --db PATH      measure a database this script seeded before (--keep) instead of seeding one
  --keep         keep the seeded database and print its path`)
  process.exit(0)
}
const contacts = Number(values.contacts)
const orgCount = Number(values.orgs)
const runs = Number(values.runs)
const days = Number(values.days)

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
const SETTERS = 10
const MESSAGES_PER_CONTACT = 5
const CHUNK = 50_000
const log = (line: string) => console.error(`[analytics-bench] ${line}`)

/** Stable pseudo-random numbers in [0, 1) per index and salt, so a seeded database is reproducible. */
function unit(i: number, salt: number): number {
  let x = Math.imul(i ^ (salt * 0x27d4eb2d), 0x9e3779b1)
  x = Math.imul(x ^ (x >>> 15), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32
}

async function seed(path: string, now: number): Promise<{ id: string; token: string }[]> {
  const store = openStore(path)
  await migrateToLatest(store.db)
  const orgs: { id: string; token: string; booking: number; setters: string[] }[] = []
  for (let o = 0; o < orgCount; o++) {
    const org = await store.write((trx) =>
      createOrganization(trx, { name: `Analytics ${o}`, pageName: `analytics_${o}` }, new Date(now - 400 * DAY_MS).toISOString()),
    )
    orgs.push({ id: org.id, token: org.token.token, booking: 0, setters: [] })
  }
  await store.close()

  const db = new Database(path)
  db.exec('pragma synchronous = off; pragma cache_size = -1000000; pragma foreign_keys = off')
  const t0 = new Date(now - 400 * DAY_MS).toISOString()
  const addUser = db.prepare('insert into users (id, email, name, created_at) values (?, ?, ?, ?)')
  const addMember = db.prepare("insert into memberships (organization_id, user_id, role, created_at) values (?, ?, 'member', ?)")
  orgs.forEach((org, o) => {
    org.booking = db
      .query<{ booking_stage_id: number }, [string]>('select booking_stage_id from organizations where id = ?')
      .get(org.id)!.booking_stage_id
    for (let s = 0; s < SETTERS; s++) {
      const id = `setter-${o}-${s}`
      addUser.run(id, `setter${s}@org${o}.example`, `Setter ${s}`, t0)
      addMember.run(org.id, id, t0)
      org.setters.push(id)
    }
  })
  const insertContact = db.prepare(
    `insert into contacts (id, organization_id, username, manychat_id, had_outreach, outreach_reason, outreach_text, outreach_reason_label,
       outreach_message_label, last_response_at, last_message_content, follow_up_needed, follow_up_count, next_follow_up_at, lead_status_id,
       pipeline_stage_id, contact_ingestion_type, created_by_user_id, assigned_user_id, outreach_at, first_reply_at, booked_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 1, ?, 'custom-api-import', ?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertMessage = db.prepare(
    `insert into messages (contact_id, number, direction, content, sent_at, source, created_at) values (?, ?, 'inbound', ?, ?, 'manychat', ?)`,
  )
  const insertFollowUp = db.prepare(
    `insert into follow_ups (organization_id, contact_id, due_at, closed_at, outcome, assigned_user_id, outreach_reason, outreach_reason_label, outreach_message_label)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const messageNumbers = orgs.map(() => 0)
  const iso = (ms: number) => new Date(ms).toISOString()
  const chunk = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const o = i % orgCount
      const org = orgs[o]!
      const created = now - Math.floor(unit(i, 1) * 365 * DAY_MS)
      const outreach = unit(i, 2) < 0.6
      const converted = outreach && unit(i, 3) < 0.1
      const outreachAt = outreach ? created + (converted ? Math.floor(unit(i, 4) * 3 * DAY_MS) : 0) : undefined
      const replied = outreach && unit(i, 5) < 0.35
      const firstReply = replied ? outreachAt! + Math.floor(unit(i, 6) * 48 * HOUR_MS) + 60_000 : undefined
      const booked = replied && unit(i, 7) < 0.25 ? firstReply! + Math.floor(unit(i, 8) * 5 * DAY_MS) : undefined
      const setter = unit(i, 9) < 0.05 ? null : org.setters[Math.floor(unit(i, 10) * SETTERS)]!
      const kind = OUTREACH[i % OUTREACH.length]!
      const firstMessage = firstReply ?? created
      const lastMessage = firstMessage + (MESSAGES_PER_CONTACT - 1) * HOUR_MS
      const id = contactId(i)
      const open = unit(i, 11) < 0.3
      const labels = [
        outreach ? kind.reason : null,
        outreach ? ['follower', 'cold', 'story'][i % 3]! : null,
        outreach ? (unit(i, 12) < 0.5 ? 'A' : 'B') : null,
      ] as const
      insertContact.run(
        id,
        org.id,
        username(i),
        manychatId(i),
        outreach ? 1 : 0,
        labels[0],
        outreach ? kind.text : null,
        labels[1],
        labels[2],
        iso(lastMessage),
        MESSAGES[i % MESSAGES.length]!,
        open ? 1 : 0,
        open ? iso(lastMessage + DAY_MS) : null,
        booked === undefined ? null : org.booking,
        setter,
        setter,
        outreachAt === undefined ? null : iso(outreachAt),
        firstReply === undefined ? null : iso(firstReply),
        booked === undefined ? null : iso(booked),
        iso(created),
        iso(lastMessage),
      )
      for (let m = 0; m < MESSAGES_PER_CONTACT; m++) {
        insertMessage.run(
          id,
          ++messageNumbers[o]!,
          MESSAGES[(i + m) % MESSAGES.length]!,
          iso(firstMessage + m * HOUR_MS),
          iso(firstMessage + m * HOUR_MS),
        )
      }
      // The first follow-up (done early, on time or late, or replaced), and the open one when there is one.
      const due = (outreachAt ?? created) + DAY_MS
      const r = unit(i, 13)
      const closed = due + Math.floor((r < 0.45 ? -0.2 : 1.5) * DAY_MS * unit(i, 14))
      if (closed < now) insertFollowUp.run(org.id, id, iso(due), iso(closed), r < 0.6 ? 'done' : 'cancelled', setter, ...labels)
      if (open) insertFollowUp.run(org.id, id, iso(lastMessage + DAY_MS), null, null, setter, ...labels)
    }
  })
  for (let from = 0; from < contacts; from += CHUNK) {
    chunk(from, Math.min(contacts, from + CHUNK))
    if ((from / CHUNK) % 4 === 3) log(`seeded ${from + CHUNK} contacts`)
  }
  const last = db.prepare("insert or replace into id_numbers (organization_id, kind, last) values (?, 'messages', ?)")
  orgs.forEach((org, o) => {
    last.run(org.id, messageNumbers[o]!)
  })
  db.exec('pragma wal_checkpoint(truncate)')
  db.close()
  return orgs.map((o) => ({ id: o.id, token: o.token }))
}

const dir = mkdtempSync(join(tmpdir(), 'dmtracker-analytics-bench-'))
const path = values.db ?? join(dir, 'analytics.db')
const now = Date.now()
let token: string
if (values.db) {
  // A seeded database keeps only token hashes: give the measured organization a new token.
  const store = openStore(path)
  const org = await store.db.selectFrom('organizations').select('id').where('name', '=', 'Analytics 0').executeTakeFirstOrThrow()
  token = (await store.write((trx) => createToken(trx, org.id, 'analytics-bench', new Date(now).toISOString()))).token
  await store.close()
} else {
  const seedStarted = performance.now()
  token = (await seed(path, now))[0]!.token
  log(
    `seeded ${contacts} contacts and ${contacts * MESSAGES_PER_CONTACT} messages in ${((performance.now() - seedStarted) / 1000).toFixed(0)} s`,
  )
}

const store = openStore(path)
const app = createApp({ store, config: { ...loadConfig({}, {}), dbPath: path } })
const organizationContacts = (
  await store.db
    .selectFrom('contacts')
    .innerJoin('organizations', 'organizations.id', 'contacts.organization_id')
    .where('organizations.name', '=', 'Analytics 0')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
).n
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const range = `from=${day(now - (days - 1) * DAY_MS)}&to=${day(now)}`
const requests = [
  ['setters', `/api/v1/analytics/setters?${range}`],
  ['outreach?by=message_label', `/api/v1/analytics/outreach?${range}&by=message_label`],
  ['daily', `/api/v1/analytics/daily?${range}`],
  ['daily?assigned_email=…', `/api/v1/analytics/daily?${range}&assigned_email=setter3@org0.example`],
  ['setters.csv', `/api/v1/analytics/setters.csv?${range}`],
] as const
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
console.log(`| GET /api/v1/analytics/… (${days} days, ${organizationContacts} contacts in the organization) | p50 ms | p95 ms | max ms |`)
console.log('| --- | ---: | ---: | ---: |')
for (const [name, url] of requests) {
  const times: number[] = []
  let outreach = 0
  for (let r = -2; r < runs; r++) {
    const started = performance.now()
    const res = await app.request(url, { headers: { 'x-org-auth-token': token } })
    const text = await res.text()
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text}`)
    if (r >= 0) times.push(performance.now() - started)
    if (r === 0 && !name.includes('.csv')) outreach = JSON.parse(text).data.totals.outreach_count
  }
  times.sort((a, b) => a - b)
  console.log(
    `| \`${name}\`${outreach ? ` (${outreach} outreach contacts)` : ''} | ${quantile(times, 0.5).toFixed(0)} | ${quantile(times, 0.95).toFixed(0)} | ${times.at(-1)!.toFixed(0)} |`,
  )
}
await app.close()
await store.close()
if (values.keep || values.db) log(`kept ${path}`)
else rmSync(dir, { recursive: true, force: true })
