import { type Kysely, sql } from 'kysely'

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

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of ['contacts_stage_count_update', 'contacts_stage_count_delete', 'contacts_stage_count_insert'])
    await sql.raw(`drop trigger if exists ${name}`).execute(db)
  await sql`alter table pipeline_stages drop column contact_count`.execute(db)
}
