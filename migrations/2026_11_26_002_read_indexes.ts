import { type Kysely, sql } from 'kysely'

// Indexes for the read API (contact lists, the follow-up board, the pipeline). All are partial on
// active contacts, because archived contacts appear in no list. Each list's ORDER BY is the tail
// of its index, so the first page is a short index walk whatever the organization's size.
// archived_at is always null in them, yet listed last where a count runs over the index: SQLite
// still tests `archived_at is null` per row and would otherwise read every table row to do so.

export async function up(db: Kysely<any>): Promise<void> {
  // The board orders by due time, ties broken by id: the id in the index makes that order (and the
  // keyset cursor over it) an index walk instead of a sort. It replaces the initial board index.
  await sql`drop index if exists contacts_org_followup`.execute(db)
  await sql`create index contacts_org_due on contacts (organization_id, next_follow_up_at, id, archived_at) where follow_up_needed = 1 and archived_at is null`.execute(
    db,
  )
  // The default contact list and the filters that narrow it, newest first.
  await sql`create index contacts_org_created on contacts (organization_id, created_at, id) where archived_at is null`.execute(db)
  await sql`create index contacts_org_stage_created on contacts (organization_id, pipeline_stage_id, created_at, id, archived_at) where archived_at is null`.execute(
    db,
  )
  await sql`create index contacts_org_status_created on contacts (organization_id, lead_status_id, created_at, id) where archived_at is null`.execute(
    db,
  )
  // `updated_since`: a sync client walking the contacts changed since its last visit, in change order.
  await sql`create index contacts_org_updated on contacts (organization_id, updated_at, id) where archived_at is null`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of [
    'contacts_org_updated',
    'contacts_org_status_created',
    'contacts_org_stage_created',
    'contacts_org_created',
    'contacts_org_due',
  ]) {
    await sql.raw(`drop index if exists ${name}`).execute(db)
  }
  await sql`create index contacts_org_followup on contacts (organization_id, next_follow_up_at) where follow_up_needed = 1 and archived_at is null`.execute(
    db,
  )
}
