import { Database } from 'bun:sqlite'
import { migrateToLatest } from '../../src/db/migrate.ts'
import { openStore } from '../../src/db/open.ts'
import { createOrganization } from '../../src/organizations/service.ts'
import { contactId, igId, MESSAGES, manychatId, OUTREACH, seededTag, TAG_NAMES, username } from './population.ts'

export interface SeededOrg {
  id: string
  token: string
  pageName: string
}

export interface Seed {
  orgs: SeededOrg[]
  contacts: number
}

const DAY_MS = 86_400_000
const CHUNK = 50_000
const SEED_COLORS = ['#dc2626', '#2563eb', '#16a34a', '#9333ea', '#374151']

/**
 * A migrated database with `orgCount` organizations (made by the app's own code, so pipelines
 * and tokens are real) and `contacts` contacts spread over them, each with one message in its
 * history, its open follow-up, and a third of them tagged; a quarter are outreach (with the
 * analytics columns filled: outreach moment, a third of them replied). Their moments are spread
 * evenly over the last `historyDays` days (default 90, so a 90-day report reads every contact;
 * issue 17's dataset is a year of history: 365). Rows are inserted in bulk with prepared statements.
 */
export async function seed(
  path: string,
  { contacts, orgCount, historyDays = 90 }: { contacts: number; orgCount: number; historyDays?: number },
): Promise<Seed> {
  const store = openStore(path)
  await migrateToLatest(store.db)
  const now = new Date()
  const orgs: SeededOrg[] = []
  for (let o = 0; o < orgCount; o++) {
    const pageName = `bench_page_${o}`
    const org = await store.write((trx) => createOrganization(trx, { name: `Bench Agency ${o}`, pageName }, now.toISOString()))
    orgs.push({ id: org.id, token: org.token.token, pageName })
  }
  await store.close()

  const db = new Database(path)
  db.exec('pragma synchronous = off; pragma cache_size = -1000000; pragma foreign_keys = off')
  const stages = db.query<{ inbound: number; outreach: number }, [string]>(
    'select inbound_stage_id as inbound, outreach_stage_id as outreach from organizations where id = ?',
  )
  const entry = orgs.map((o) => stages.get(o.id)!)
  const iso = new Date(now.getTime()).toISOString()
  const tagIds = orgs.map((org, o) => {
    const insert = db.query<{ id: number }, [string, number, string, string, string]>(
      'insert into tags (organization_id, number, name, color, created_at) values (?, ?, ?, ?, ?) returning id',
    )
    return TAG_NAMES.map((name, t) => insert.get(org.id, t + 1, name, SEED_COLORS[(t + o) % SEED_COLORS.length]!, iso)!.id)
  })

  const insertContact = db.prepare(
    `insert into contacts (id, organization_id, username, manychat_id, ig_id, had_outreach, outreach_reason, outreach_text,
       last_response_at, last_message_content, follow_up_needed, follow_up_count, next_follow_up_at, lead_status_id,
       pipeline_stage_id, contact_ingestion_type, outreach_at, first_reply_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?, 1, ?, ?, ?, ?, ?, ?)`,
  )
  // Each contact's open follow-up, as the server records it (table follow_ups, for analytics).
  const insertFollowUp = db.prepare('insert into follow_ups (organization_id, contact_id, due_at, outreach_reason) values (?, ?, ?, ?)')
  // Messages are numbered per organization, as the server numbers them (src/db/id-numbers.ts).
  const insertMessage = db.prepare(
    `insert into messages (contact_id, number, direction, content, sent_at, source, created_at) values (?, ?, 'inbound', ?, ?, 'manychat', ?)`,
  )
  const messageNumbers = orgs.map(() => 0)
  const insertTag = db.prepare('insert into contact_tags (contact_id, tag_id, created_at) values (?, ?, ?)')
  const chunk = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const o = i % orgs.length
      const outreach = i % 4 === 0 ? OUTREACH[i % OUTREACH.length]! : undefined
      const at = new Date(now.getTime() - (i % historyDays) * DAY_MS - (i % 86_400) * 1000).toISOString()
      const message = MESSAGES[i % MESSAGES.length]!
      const id = contactId(i)
      insertContact.run(
        id,
        orgs[o]!.id,
        username(i),
        manychatId(i),
        i % 2 ? igId(i) : null,
        outreach ? 1 : 0,
        outreach?.reason ?? null,
        outreach?.text ?? null,
        at,
        message,
        at,
        outreach ? entry[o]!.outreach : entry[o]!.inbound,
        i % 5 === 0 ? 'custom-api-import' : 'manychat',
        outreach ? at : null,
        // A third of the outreach replied an hour after it.
        outreach && i % 3 === 0 ? new Date(Date.parse(at) + 3_600_000).toISOString() : null,
        at,
        at,
      )
      insertMessage.run(id, ++messageNumbers[o]!, message, at, at)
      insertFollowUp.run(orgs[o]!.id, id, at, outreach?.reason ?? null)
      const tag = seededTag(i)
      if (tag !== undefined) insertTag.run(id, tagIds[o]![tag]!, at)
    }
  })
  for (let from = 0; from < contacts; from += CHUNK) chunk(from, Math.min(contacts, from + CHUNK))
  const last = db.prepare('insert into id_numbers (organization_id, kind, last) values (?, ?, ?)')
  orgs.forEach((org, o) => {
    last.run(org.id, 'tags', TAG_NAMES.length)
    if (messageNumbers[o]! > 0) last.run(org.id, 'messages', messageNumbers[o]!)
  })
  db.exec('pragma wal_checkpoint(truncate)')
  db.close()
  return { orgs, contacts }
}
