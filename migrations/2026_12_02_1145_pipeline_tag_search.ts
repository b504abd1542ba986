import { type Kysely, sql } from 'kysely'
import { engineOf, integer, withoutRowid } from './dialect.ts'

// The pipeline filtered by a tag or a username search, fast at 200,000 contacts with exact counts
// (issue 16). Before this, both read every matching contact's row (a lookup by id each, thousands
// per column) for its stage.
//
// - tagged_contacts: one row per tag on an active contact with a stage, carrying the contact's
//   stage, created time and filter groups (lead status, type, assigned setter; '' for nobody). In
//   its key order (tag, stage, created_at, contact) a column's newest cards under a tag are an index
//   walk of one page, whatever the tag's or the stage's size.
// - stage_tag_counts: those rows counted per tag and group (as stage_filter_counts counts the
//   contacts), so a column's exact count under a tag, with or without lead status, type and setter,
//   sums a few rows.
// - contacts_org_stage_username: a username search (a prefix of the normalized username) counts
//   and pages each column as an index-only range of (organization, stage, username), the other
//   filters' columns checked in the index too, and the id to read a card's row (or test its tags).
//
// Both tables are kept by triggers only, so no code path can miss a change: a tag added or removed
// (contact_tags insert/delete, also by cascade), a contact's stage, status, type, setter or
// archive change (contacts update), a contact deleted. tagged_contacts' own inserts and deletes
// keep stage_tag_counts. A contact's created_at never changes. No foreign keys on tagged_contacts:
// its rows go when their contact_tags row goes, and a key on the stage would make every stage
// removal scan it.

const GROUP = 'stage_id, lead_status_id, had_outreach, assigned_user_id'
const TAGGED = `tag_id, created_at, contact_id, ${GROUP}`

export async function up(db: Kysely<any>): Promise<void> {
  const int = sql.raw(integer(db))
  await sql`create table tagged_contacts (
      tag_id ${int} not null,
      stage_id ${int} not null,
      created_at text not null,
      contact_id text not null,
      lead_status_id ${int} not null,
      had_outreach ${int} not null,
      assigned_user_id text not null,
      primary key (tag_id, stage_id, created_at, contact_id))${withoutRowid(db)}`.execute(db)
  await sql`create index tagged_contacts_contact on tagged_contacts (contact_id)`.execute(db)
  await sql`create table stage_tag_counts (
      tag_id ${int} not null references tags (id) on delete cascade,
      stage_id ${int} not null references pipeline_stages (id) on delete cascade,
      lead_status_id ${int} not null,
      had_outreach ${int} not null,
      assigned_user_id text not null,
      contacts ${int} not null,
      primary key (tag_id, ${sql.raw(GROUP)}))${withoutRowid(db)}`.execute(db)
  await sql`create index contacts_org_stage_username on contacts
      (organization_id, pipeline_stage_id, username, lead_status_id, had_outreach, assigned_user_id, archived_at, id)
      where archived_at is null`.execute(db)
  await recountTagCounts(db)
  if (engineOf(db) === 'postgres') await postgresTriggers(db)
  else await sqliteTriggers(db)
}

/** Both tables again from contact_tags and the contacts (the migration's backfill, and after `dmtracker copy`). */
export async function recountTagCounts(db: Kysely<any>): Promise<void> {
  await sql`delete from tagged_contacts`.execute(db)
  await sql`insert into tagged_contacts (${sql.raw(TAGGED)})
    select t.tag_id, c.created_at, c.id, c.pipeline_stage_id, c.lead_status_id, c.had_outreach, coalesce(c.assigned_user_id, '')
    from contact_tags t join contacts c on c.id = t.contact_id
    where c.archived_at is null and c.pipeline_stage_id is not null`.execute(db)
  // Counted once more from the rows themselves: the insert above also counted through the
  // triggers when they exist (after a copy), not when they do not yet (the migration).
  await sql`delete from stage_tag_counts`.execute(db)
  await sql`insert into stage_tag_counts (tag_id, ${sql.raw(GROUP)}, contacts)
    select tag_id, ${sql.raw(GROUP)}, count(*) from tagged_contacts group by tag_id, ${sql.raw(GROUP)}`.execute(db)
}

// A contact row (`c`, or `new` in a trigger) as it is grouped, in TAGGED's order after the tag.
const fromContact = (c: string) =>
  `${c}.created_at, ${c}.id, ${c}.pipeline_stage_id, ${c}.lead_status_id, ${c}.had_outreach, coalesce(${c}.assigned_user_id, '')`
const shown = (c: string) => `${c}.archived_at is null and ${c}.pipeline_stage_id is not null`
const sameGroup = (row: string) =>
  `tag_id = ${row}.tag_id and stage_id = ${row}.stage_id and lead_status_id = ${row}.lead_status_id and had_outreach = ${row}.had_outreach and assigned_user_id = ${row}.assigned_user_id`
const CONTACT_COLUMNS = 'pipeline_stage_id, lead_status_id, had_outreach, assigned_user_id, archived_at'

// The statements the triggers run, the same on both engines.
const tagAdded = `insert into tagged_contacts (${TAGGED})
    select new.tag_id, ${fromContact('c')} from contacts c where c.id = new.contact_id and ${shown('c')}`
const tagRemoved = 'delete from tagged_contacts where contact_id = old.contact_id and tag_id = old.tag_id'
const contactGone = 'delete from tagged_contacts where contact_id = old.id'
const contactBack = `insert into tagged_contacts (${TAGGED})
    select t.tag_id, ${fromContact('new')} from contact_tags t where t.contact_id = new.id and ${shown('new')}`
const countDown = `update stage_tag_counts set contacts = contacts - 1 where ${sameGroup('old')}`

async function sqliteTriggers(db: Kysely<any>) {
  const countUp = `insert into stage_tag_counts (tag_id, ${GROUP}, contacts)
      values (new.tag_id, new.stage_id, new.lead_status_id, new.had_outreach, new.assigned_user_id, 1)
      on conflict (tag_id, ${GROUP}) do update set contacts = contacts + 1`
  const changed = `old.pipeline_stage_id is not new.pipeline_stage_id or old.lead_status_id is not new.lead_status_id
      or old.had_outreach is not new.had_outreach or old.assigned_user_id is not new.assigned_user_id
      or (old.archived_at is null) <> (new.archived_at is null)`
  for (const statement of [
    `create trigger contact_tags_tagged_insert after insert on contact_tags begin ${tagAdded}; end`,
    `create trigger contact_tags_tagged_delete after delete on contact_tags begin ${tagRemoved}; end`,
    `create trigger contacts_tagged_update after update of ${CONTACT_COLUMNS} on contacts when ${changed}
      begin ${contactGone}; ${contactBack}; end`,
    `create trigger contacts_tagged_delete after delete on contacts begin ${contactGone}; end`,
    `create trigger tagged_contacts_count_insert after insert on tagged_contacts begin ${countUp}; end`,
    `create trigger tagged_contacts_count_delete after delete on tagged_contacts begin ${countDown}; end`,
  ])
    await sql.raw(statement).execute(db)
}

/** The same in PostgreSQL's form: trigger functions, fired per row. */
async function postgresTriggers(db: Kysely<any>) {
  const countUp = `insert into stage_tag_counts (tag_id, ${GROUP}, contacts)
      values (new.tag_id, new.stage_id, new.lead_status_id, new.had_outreach, new.assigned_user_id, 1)
      on conflict (tag_id, ${GROUP}) do update set contacts = stage_tag_counts.contacts + 1`
  const changed = `old.pipeline_stage_id is distinct from new.pipeline_stage_id or old.lead_status_id is distinct from new.lead_status_id
      or old.had_outreach is distinct from new.had_outreach or old.assigned_user_id is distinct from new.assigned_user_id
      or (old.archived_at is null) <> (new.archived_at is null)`
  const fn = (name: string, body: string) =>
    sql.raw(`create function ${name}() returns trigger language plpgsql as $$
      begin
        ${body}
        return null;
      end $$`)
  await fn('contact_tags_tagged', `if tg_op = 'DELETE' then ${tagRemoved}; else ${tagAdded}; end if;`).execute(db)
  await fn('contacts_tagged', `${contactGone}; if tg_op = 'UPDATE' then ${contactBack}; end if;`).execute(db)
  await fn('tagged_contacts_count', `if tg_op = 'DELETE' then ${countDown}; else ${countUp}; end if;`).execute(db)
  for (const statement of [
    'create trigger contact_tags_tagged after insert or delete on contact_tags for each row execute function contact_tags_tagged()',
    `create trigger contacts_tagged_update after update of ${CONTACT_COLUMNS} on contacts
      for each row when (${changed}) execute function contacts_tagged()`,
    'create trigger contacts_tagged_delete after delete on contacts for each row execute function contacts_tagged()',
    'create trigger tagged_contacts_count after insert or delete on tagged_contacts for each row execute function tagged_contacts_count()',
  ])
    await sql.raw(statement).execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === 'postgres') {
    for (const [trigger, table] of [
      ['contact_tags_tagged', 'contact_tags'],
      ['contacts_tagged_update', 'contacts'],
      ['contacts_tagged_delete', 'contacts'],
      ['tagged_contacts_count', 'tagged_contacts'],
    ])
      await sql.raw(`drop trigger if exists ${trigger} on ${table}`).execute(db)
    for (const name of ['contact_tags_tagged', 'contacts_tagged', 'tagged_contacts_count'])
      await sql.raw(`drop function if exists ${name}()`).execute(db)
  } else {
    for (const name of [
      'contact_tags_tagged_insert',
      'contact_tags_tagged_delete',
      'contacts_tagged_update',
      'contacts_tagged_delete',
      'tagged_contacts_count_insert',
      'tagged_contacts_count_delete',
    ])
      await sql.raw(`drop trigger if exists ${name}`).execute(db)
  }
  await sql`drop index if exists contacts_org_stage_username`.execute(db)
  await sql`drop table stage_tag_counts`.execute(db)
  await sql`drop table tagged_contacts`.execute(db)
}
