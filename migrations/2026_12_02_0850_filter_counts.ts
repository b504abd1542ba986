import { type Kysely, sql } from 'kysely'
import { engineOf, integer, withoutRowid } from './dialect.ts'

// The pipeline's column counts under a filter, kept by triggers like pipeline_stages.contact_count:
// each stage's active contacts by lead status, type (had_outreach) and assigned setter ('' for
// nobody). A pipeline filtered by any of those (or several) sums a few of these rows per stage
// instead of counting up to 200,000 contact rows per page view (seconds at that size). Tag and
// username filters narrow to few contacts and are still counted from the contacts themselves.
// The same triggers' rule as stage_counts: every way a contact enters or leaves one of these
// groups is a row insert, delete or an update of one of the five columns, whatever code does it.

const KEY = 'stage_id, lead_status_id, had_outreach, assigned_user_id'

export async function up(db: Kysely<any>): Promise<void> {
  const int = sql.raw(integer(db))
  await sql`create table stage_filter_counts (
      stage_id ${int} not null references pipeline_stages (id) on delete cascade,
      lead_status_id ${int} not null,
      had_outreach ${int} not null,
      assigned_user_id text not null,
      contacts ${int} not null,
      primary key (${sql.raw(KEY)}))${withoutRowid(db)}`.execute(db)
  await recountFilterCounts(db)
  if (engineOf(db) === 'postgres') await postgresTriggers(db)
  else await sqliteTriggers(db)
}

/** Counts every group again from the contacts (the migration's backfill, and after `dmtracker copy`). */
export async function recountFilterCounts(db: Kysely<any>): Promise<void> {
  await sql`delete from stage_filter_counts`.execute(db)
  await sql`insert into stage_filter_counts (${sql.raw(KEY)}, contacts)
    select pipeline_stage_id, lead_status_id, had_outreach, coalesce(assigned_user_id, ''), count(*) from contacts
    where archived_at is null and pipeline_stage_id is not null
    group by pipeline_stage_id, lead_status_id, had_outreach, coalesce(assigned_user_id, '')`.execute(db)
}

// The group a contact row is in, as `old` or `new` in a trigger.
const group = (row: 'old' | 'new') =>
  sql.raw(
    `stage_id = ${row}.pipeline_stage_id and lead_status_id = ${row}.lead_status_id and had_outreach = ${row}.had_outreach and assigned_user_id = coalesce(${row}.assigned_user_id, '')`,
  )
const counted = (row: 'old' | 'new') => sql.raw(`${row}.archived_at is null and ${row}.pipeline_stage_id is not null`)
const COLUMNS = 'pipeline_stage_id, lead_status_id, had_outreach, assigned_user_id, archived_at'
const changed = sql.raw(`old.pipeline_stage_id is not new.pipeline_stage_id or old.lead_status_id is not new.lead_status_id
      or old.had_outreach is not new.had_outreach or old.assigned_user_id is not new.assigned_user_id or (old.archived_at is null) <> (new.archived_at is null)`)

async function sqliteTriggers(db: Kysely<any>) {
  // `where true`: SQLite's upsert after INSERT ... SELECT needs a WHERE to parse.
  const add = sql`insert into stage_filter_counts (${sql.raw(KEY)}, contacts)
      select new.pipeline_stage_id, new.lead_status_id, new.had_outreach, coalesce(new.assigned_user_id, ''), 1 where ${counted('new')}
      on conflict (${sql.raw(KEY)}) do update set contacts = contacts + 1`
  const remove = sql`update stage_filter_counts set contacts = contacts - 1 where ${group('old')} and ${counted('old')}`
  await sql`create trigger contacts_filter_count_insert after insert on contacts when ${counted('new')}
    begin ${add}; end`.execute(db)
  await sql`create trigger contacts_filter_count_delete after delete on contacts when ${counted('old')}
    begin ${remove}; end`.execute(db)
  await sql`create trigger contacts_filter_count_update after update of ${sql.raw(COLUMNS)} on contacts when ${changed}
    begin ${remove}; ${add}; end`.execute(db)
}

/** The same counting in PostgreSQL's form: one trigger function, fired per row. */
async function postgresTriggers(db: Kysely<any>) {
  await sql`create function contacts_filter_count() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' and ${counted('old')} then
        update stage_filter_counts set contacts = contacts - 1 where ${group('old')};
      end if;
      if tg_op <> 'DELETE' and ${counted('new')} then
        insert into stage_filter_counts (${sql.raw(KEY)}, contacts)
        values (new.pipeline_stage_id, new.lead_status_id, new.had_outreach, coalesce(new.assigned_user_id, ''), 1)
        on conflict (${sql.raw(KEY)}) do update set contacts = stage_filter_counts.contacts + 1;
      end if;
      return null;
    end $$`.execute(db)
  await sql`create trigger contacts_filter_count_insert_delete after insert or delete on contacts
    for each row execute function contacts_filter_count()`.execute(db)
  await sql`create trigger contacts_filter_count_update after update of ${sql.raw(COLUMNS)} on contacts
    for each row when (${sql.raw(
      `old.pipeline_stage_id is distinct from new.pipeline_stage_id or old.lead_status_id is distinct from new.lead_status_id
      or old.had_outreach is distinct from new.had_outreach or old.assigned_user_id is distinct from new.assigned_user_id
      or (old.archived_at is null) <> (new.archived_at is null)`,
    )})
    execute function contacts_filter_count()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === 'postgres') {
    for (const name of ['contacts_filter_count_update', 'contacts_filter_count_insert_delete'])
      await sql.raw(`drop trigger if exists ${name} on contacts`).execute(db)
    await sql`drop function if exists contacts_filter_count()`.execute(db)
  } else {
    for (const name of ['contacts_filter_count_update', 'contacts_filter_count_delete', 'contacts_filter_count_insert'])
      await sql.raw(`drop trigger if exists ${name}`).execute(db)
  }
  await sql`drop table stage_filter_counts`.execute(db)
}
