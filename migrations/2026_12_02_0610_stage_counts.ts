import { type Kysely, sql } from 'kysely'
import { engineOf } from './dialect.ts'

// Each stage's number of active contacts, kept by triggers, so the pipeline's column counts stay
// exact without counting a 200,000-contact organization on every page view (a covering index scan
// of that size costs 30-180 ms). Every way a contact enters or leaves a stage is a row insert,
// delete or an update of pipeline_stage_id or archived_at, whichever code path does it (services,
// CLI stage removal, bulk imports), so triggers are the one place that cannot miss one.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table pipeline_stages add column contact_count integer not null default 0`.execute(db)
  await sql`update pipeline_stages set contact_count = (
      select count(*) from contacts c
      where c.organization_id = pipeline_stages.organization_id and c.pipeline_stage_id = pipeline_stages.id and c.archived_at is null)`.execute(
    db,
  )
  if (engineOf(db) === 'postgres') await postgresTriggers(db)
  else await sqliteTriggers(db)
}

async function sqliteTriggers(db: Kysely<any>) {
  await sql`create trigger contacts_stage_count_insert after insert on contacts
    when new.archived_at is null and new.pipeline_stage_id is not null
    begin
      update pipeline_stages set contact_count = contact_count + 1 where id = new.pipeline_stage_id;
    end`.execute(db)
  await sql`create trigger contacts_stage_count_delete after delete on contacts
    when old.archived_at is null and old.pipeline_stage_id is not null
    begin
      update pipeline_stages set contact_count = contact_count - 1 where id = old.pipeline_stage_id;
    end`.execute(db)
  await sql`create trigger contacts_stage_count_update after update of pipeline_stage_id, archived_at on contacts
    when old.pipeline_stage_id is not new.pipeline_stage_id or (old.archived_at is null) <> (new.archived_at is null)
    begin
      update pipeline_stages set contact_count = contact_count - 1 where id = old.pipeline_stage_id and old.archived_at is null;
      update pipeline_stages set contact_count = contact_count + 1 where id = new.pipeline_stage_id and new.archived_at is null;
    end`.execute(db)
}

/** The same counting in PostgreSQL's form: one trigger function, fired per row. */
async function postgresTriggers(db: Kysely<any>) {
  await sql`create function contacts_stage_count() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' and old.archived_at is null and old.pipeline_stage_id is not null then
        update pipeline_stages set contact_count = contact_count - 1 where id = old.pipeline_stage_id;
      end if;
      if tg_op <> 'DELETE' and new.archived_at is null and new.pipeline_stage_id is not null then
        update pipeline_stages set contact_count = contact_count + 1 where id = new.pipeline_stage_id;
      end if;
      return null;
    end $$`.execute(db)
  await sql`create trigger contacts_stage_count_insert_delete after insert or delete on contacts
    for each row execute function contacts_stage_count()`.execute(db)
  await sql`create trigger contacts_stage_count_update after update of pipeline_stage_id, archived_at on contacts
    for each row when (old.pipeline_stage_id is distinct from new.pipeline_stage_id or (old.archived_at is null) <> (new.archived_at is null))
    execute function contacts_stage_count()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === 'postgres') {
    for (const name of ['contacts_stage_count_update', 'contacts_stage_count_insert_delete'])
      await sql.raw(`drop trigger if exists ${name} on contacts`).execute(db)
    await sql`drop function if exists contacts_stage_count()`.execute(db)
  } else {
    for (const name of ['contacts_stage_count_update', 'contacts_stage_count_delete', 'contacts_stage_count_insert'])
      await sql.raw(`drop trigger if exists ${name}`).execute(db)
  }
  await sql`alter table pipeline_stages drop column contact_count`.execute(db)
}
