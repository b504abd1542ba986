// The baseline: what this runtime and SQLite can physically do on this machine. Bun.serve and
// bun:sqlite prepared statements performing the same SQL writes as each endpoint, in one
// transaction per request, with the same pragmas as the server: no framework, no validation,
// no authentication, no group commit.
// Usage: bun scripts/bench/baseline.ts --db PATH --port N [--durability normal|full]
import { Database } from 'bun:sqlite'
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { type Durability, pragmas } from '../../src/db/open.ts'

const { values } = parseArgs({
  options: { db: { type: 'string' }, port: { type: 'string' }, durability: { type: 'string', default: 'normal' } },
})
const db = new Database(values.db!)
for (const statement of pragmas({ durability: values.durability as Durability })) db.exec(statement)

type Row = Record<string, any>
type Body = Record<string, any>

const entryStages = new Map(
  db
    .query<{ id: string; inbound: number; outreach: number }, []>(
      'select id, inbound_stage_id as inbound, outreach_stage_id as outreach from organizations',
    )
    .all()
    .map((o) => [o.id, o]),
)
const stageIds = new Map(
  db
    .query<{ organization_id: string; name: string; id: number }, []>('select organization_id, name, id from pipeline_stages')
    .all()
    .map((s) => [`${s.organization_id}/${s.name.toLowerCase()}`, s.id]),
)
const LEAD_STATUSES = ['open', 'won', 'lost', 'abandoned']

const q = {
  upsertReply: db.prepare<Row, any[]>(
    `insert into contacts (id, organization_id, username, manychat_id, had_outreach, last_response_at, last_message_content,
       follow_up_needed, follow_up_count, next_follow_up_at, pipeline_stage_id, contact_ingestion_type, created_at, updated_at)
     values (?1, ?2, ?3, ?4, 0, ?5, ?6, 1, 0, ?7, ?8, 'manychat', ?7, ?7)
     on conflict (organization_id, username) where archived_at is null do update set
       last_response_at = excluded.last_response_at, last_message_content = excluded.last_message_content,
       follow_up_needed = 1, follow_up_count = 0, last_follow_up_at = null, next_follow_up_at = excluded.next_follow_up_at,
       updated_at = excluded.updated_at
     returning *`,
  ),
  insertContact: db.prepare<Row, any[]>(
    `insert into contacts (id, organization_id, username, manychat_id, had_outreach, outreach_reason, outreach_text,
       last_response_at, last_message_content, follow_up_needed, next_follow_up_at, pipeline_stage_id, contact_ingestion_type,
       created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 'custom-api-import', ?, ?)
     on conflict do nothing returning *`,
  ),
  byUsername: db.prepare<Row, any[]>('select * from contacts where organization_id = ? and username = ? and archived_at is null'),
  byManychat: db.prepare<Row, any[]>('select * from contacts where organization_id = ? and manychat_id = ? and archived_at is null'),
  byId: db.prepare<Row, any[]>('select * from contacts where id = ? and organization_id = ? and archived_at is null'),
  convert: db.prepare<Row, any[]>(
    `update contacts set had_outreach = 1, outreach_reason = ?, outreach_text = ?, updated_at = ? where id = ? returning *`,
  ),
  reply: db.prepare<Row, any[]>(
    `update contacts set last_response_at = max(coalesce(last_response_at, ''), ?1), last_message_content = ?2, follow_up_needed = 1,
       follow_up_count = 0, last_follow_up_at = null, next_follow_up_at = ?3, updated_at = ?3 where id = ?4 returning *`,
  ),
  status: db.prepare<Row, any[]>(
    'update contacts set lead_status_id = coalesce(?, lead_status_id), pipeline_stage_id = coalesce(?, pipeline_stage_id), updated_at = ? where id = ? returning *',
  ),
  touch: db.prepare('update contacts set updated_at = ? where id = ?'),
  message: db.prepare(
    `insert into messages (contact_id, direction, content, sent_at, source, created_at) values (?, 'inbound', ?, ?, ?, ?)`,
  ),
  note: db.prepare('insert into notes (contact_id, body, created_at) values (?, ?, ?)'),
  activity: db.prepare(
    `insert into activity_log (organization_id, contact_id, action, old_value, new_value, via, created_at) values (?, ?, ?, ?, ?, 'api', ?)`,
  ),
  ensureTag: db.prepare(
    'insert into tags (organization_id, number, name, color, created_at) values (?1, (select coalesce(max(number), 0) + 1 from tags where organization_id = ?1), ?2, ?3, ?4) on conflict do nothing',
  ),
  tagByName: db.prepare<{ id: number }, any[]>('select id from tags where organization_id = ? and name = ?'),
  attachTag: db.prepare('insert into contact_tags (contact_id, tag_id, created_at) values (?, ?, ?) on conflict do nothing'),
  detachTag: db.prepare('delete from contact_tags where contact_id = ? and tag_id = ?'),
  clearTags: db.prepare('delete from contact_tags where contact_id = ?'),
  tagsOf: db.prepare<Row, any[]>(
    'select t.id, t.name, t.color from contact_tags ct join tags t on t.id = ct.tag_id where ct.contact_id = ? order by t.name, t.id',
  ),
}

const username = (raw: unknown) => String(raw).trim().replace(/^@+/, '').toLowerCase()

function tagIds(orgId: string, names: string[], create: boolean, now: string): number[] {
  return names.flatMap((name) => {
    if (create) q.ensureTag.run(orgId, name, '#374151', now)
    const tag = q.tagByName.get(orgId, name)
    return tag ? [tag.id] : []
  })
}

/** Applies the tags; returns how many contact_tags rows changed. */
function applyTags(contactId: string, orgId: string, mode: string, names: string[], now: string): number {
  let changes = mode === 'set' ? q.clearTags.run(contactId).changes : 0
  for (const id of tagIds(orgId, names, mode !== 'remove', now)) {
    changes += (mode === 'remove' ? q.detachTag.run(contactId, id) : q.attachTag.run(contactId, id, now)).changes
  }
  return changes
}

const handlers: Record<string, (b: Body, now: string) => unknown> = {
  '/api/v1/contact/default-reply': (b, now) => {
    const orgId = b.organization_id
    const contact = q.upsertReply.get(
      randomUUID(),
      orgId,
      username(b.username),
      String(b.manychat_id),
      b.message_date ?? now,
      b.message_content,
      now,
      entryStages.get(orgId)!.inbound,
    )!
    q.message.run(contact.id, b.message_content, b.message_date ?? now, 'manychat', now)
    if (contact.created_at === now) q.activity.run(orgId, contact.id, 'contact_created', null, contact.username, now)
    return contact
  },
  '/api/v1/organization/create-contact': (b, now) => {
    const orgId = b.organization_id
    const name = username(b.username)
    const outreach = b.had_outreach === true
    let contact =
      q.insertContact.get(
        randomUUID(),
        orgId,
        name,
        b.manychat_id ?? null,
        outreach ? 1 : 0,
        b.outreach_reason ?? null,
        b.outreach_text ?? null,
        b.last_response_at ?? null,
        b.last_message_content ?? null,
        now,
        outreach ? entryStages.get(orgId)!.outreach : entryStages.get(orgId)!.inbound,
        now,
        now,
      ) ?? q.byUsername.get(orgId, name)!
    if (contact.created_at !== now)
      contact = outreach
        ? q.convert.get(b.outreach_reason, b.outreach_text, now, contact.id)!
        : q.reply.get(b.last_response_at, b.last_message_content, now, contact.id)!
    if (!outreach) q.message.run(contact.id, b.last_message_content, b.last_response_at, 'custom-api-import', now)
    if (Array.isArray(b.tags)) applyTags(contact.id, orgId, 'add', b.tags, now)
    if (b.note) q.note.run(contact.id, b.note, now)
    q.activity.run(orgId, contact.id, contact.created_at === now ? 'contact_created' : 'reply_recorded', null, null, now)
    return { ...contact, tags: q.tagsOf.all(contact.id) }
  },
  '/api/v1/contact/update-tags-external': (b, now) => {
    const orgId = b.organization_id
    const contact = b.contact_id ? q.byId.get(b.contact_id, orgId) : q.byUsername.get(orgId, username(b.username))
    if (!contact) return undefined
    if (applyTags(contact.id, orgId, b.mode, b.tag_names, now) > 0) {
      q.activity.run(orgId, contact.id, `tags_${b.mode}`, null, b.tag_names.join(', '), now)
      q.touch.run(now, contact.id)
    }
    return { contact_id: contact.id, username: contact.username, tags: q.tagsOf.all(contact.id) }
  },
  '/api/v1/contact/contact-status': (b, now) => {
    const orgId = b.organization_id
    const contact = b.contact_id ? q.byId.get(b.contact_id, orgId) : q.byManychat.get(orgId, String(b.manychat_id))
    if (!contact) return undefined
    const wanted = b.lead_status_id ?? (b.lead_status ? LEAD_STATUSES.indexOf(b.lead_status) + 1 : null)
    const wantedStage = b.pipeline_stage ? (stageIds.get(`${orgId}/${String(b.pipeline_stage).toLowerCase()}`) ?? null) : null
    // Only real changes are written and logged, as the endpoint does.
    const status = wanted !== contact.lead_status_id ? wanted : null
    const stage = wantedStage !== contact.pipeline_stage_id ? wantedStage : null
    const updated = status === null && stage === null ? contact : q.status.get(status, stage, now, contact.id)!
    if (status !== null) q.activity.run(orgId, contact.id, 'lead_status', contact.lead_status_id, status, now)
    if (stage !== null) q.activity.run(orgId, contact.id, 'pipeline_stage', contact.pipeline_stage_id, stage, now)
    return {
      id: updated.id,
      username: updated.username,
      lead_status: LEAD_STATUSES[(updated.lead_status_id as number) - 1],
      pipeline_stage: b.pipeline_stage ?? null,
    }
  },
}

// One transaction per request: BEGIN IMMEDIATE ... COMMIT, as the server's writer does.
const transactions = Object.fromEntries(Object.entries(handlers).map(([path, handle]) => [path, db.transaction(handle).immediate]))

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(values.port ?? 0),
  development: false,
  async fetch(request) {
    const run = transactions[new URL(request.url).pathname]
    if (!run) return Response.json({ error: 'Not Found' }, { status: 404 })
    const data = run((await request.json()) as Body, new Date().toISOString())
    return data ? Response.json({ status: 'success', data }) : Response.json({ error: 'Not Found' }, { status: 404 })
  },
})
process.on('SIGTERM', () => {
  server.stop(true)
  db.close()
  process.exit(0)
})
console.log(`baseline listening on ${server.port}`)
