import { type Kysely, sql } from 'kysely'
import { integer, withoutRowid } from './dialect.ts'

// Tag, message, note, activity, automation and pipeline stage ids were counters shared by all organizations, so
// the ids one organization saw revealed how much the others wrote. Each row now also has a
// `number` counted per organization, which is what answers and the CLI show as its id; the
// global `id` stays the internal key that other tables reference and is never shown.
// `id_numbers` holds each organization's last number per kind, so a number is never reused, even
// after its row is removed (as AUTOINCREMENT never reused ids).

const KINDS = [
  // kind, table, how a row reaches its organization
  ['tags', 'tags', 'tags.organization_id'],
  ['automations', 'automations', 'automations.organization_id'],
  ['activity', 'activity_log', 'activity_log.organization_id'],
  ['messages', 'messages', '(select organization_id from contacts where contacts.id = messages.contact_id)'],
  ['notes', 'notes', '(select organization_id from contacts where contacts.id = notes.contact_id)'],
  ['stages', 'pipeline_stages', 'pipeline_stages.organization_id'],
] as const

export async function up(db: Kysely<any>): Promise<void> {
  const int = sql.raw(integer(db))
  await sql`create table id_numbers (
    organization_id text not null references organizations (id) on delete cascade,
    kind text not null check (kind in ('tags', 'automations', 'activity', 'messages', 'notes', 'stages')),
    last ${int} not null,
    primary key (organization_id, kind)
  )${withoutRowid(db)}`.execute(db)

  for (const [kind, table, organization] of KINDS) {
    await sql.raw(`alter table ${table} add column number ${integer(db)} not null default 0`).execute(db)
    // Existing rows keep their order: numbered 1, 2, 3 ... per organization in id order.
    await sql`create temp table numbering (id ${int} primary key, n ${int} not null, org text not null)`.execute(db)
    await sql
      .raw(`insert into numbering (id, n, org)
      select id, row_number() over (partition by org order by id), org
      from (select ${table}.id as id, ${organization} as org from ${table}) as rows`)
      .execute(db)
    await sql.raw(`update ${table} set number = (select n from numbering where numbering.id = ${table}.id)`).execute(db)
    await sql
      .raw(`insert into id_numbers (organization_id, kind, last) select org, '${kind}', max(n) from numbering group by org`)
      .execute(db)
    await sql`drop table numbering`.execute(db)
  }

  await sql`create unique index tags_org_number on tags (organization_id, number)`.execute(db)
  await sql`create unique index automations_org_number on automations (organization_id, number)`.execute(db)
  await sql`create unique index pipeline_stages_org_number on pipeline_stages (organization_id, number)`.execute(db)
  // A contact's history and activity are read newest first by number, paged by it.
  await sql`drop index activity_log_contact`.execute(db)
  await sql`create index activity_log_contact on activity_log (contact_id, number)`.execute(db)
  await sql`drop index messages_contact_sent`.execute(db)
  await sql`create index messages_contact_sent on messages (contact_id, sent_at, number)`.execute(db)
  await sql`drop index notes_contact`.execute(db)
  await sql`create index notes_contact on notes (contact_id, number)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of [
    'tags_org_number',
    'automations_org_number',
    'pipeline_stages_org_number',
    'activity_log_contact',
    'messages_contact_sent',
    'notes_contact',
  ]) {
    await sql.raw(`drop index ${name}`).execute(db)
  }
  for (const [, table] of KINDS) await sql.raw(`alter table ${table} drop column number`).execute(db)
  await sql`drop table id_numbers`.execute(db)
  await sql`create index activity_log_contact on activity_log (contact_id, id)`.execute(db)
  await sql`create index messages_contact_sent on messages (contact_id, sent_at)`.execute(db)
  await sql`create index notes_contact on notes (contact_id)`.execute(db)
}
