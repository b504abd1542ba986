import { type Kysely, sql } from 'kysely'
import { integer, serialKey } from './dialect.ts'

// Setter analytics (issue 17, docs/analytics.md). The numbers are read from facts recorded when
// they happen, so a 90-day report is a range read, not a replay of the activity log:
// - contacts.assigned_user_id: the setter the contact's numbers belong to.
// - contacts.outreach_at: the outreach moment (created as outreach, or converted), the cohort day.
// - contacts.first_reply_at: the first reply sent after outreach_at.
// - contacts.booked_at: the first time the contact entered the booking stage or reached `won`.
// - organizations.booking_stage_id: the booking stage, by id so a rename keeps it.
// - follow_ups: one row per scheduled follow-up (due time, when and how it was closed), because a
//   contact row only knows its current follow-up. It carries a copy of its contact's setter and
//   outreach fields (kept equal when they change), so a report reads one index and no contact row.
// Existing data is backfilled as well as it allows; docs/analytics.md says what could not be.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table contacts add column assigned_user_id text references users (id) on delete set null`.execute(db)
  await sql`alter table contacts add column outreach_at text`.execute(db)
  await sql`alter table contacts add column first_reply_at text`.execute(db)
  await sql`alter table contacts add column booked_at text`.execute(db)
  await sql`alter table organizations add column booking_stage_id ${sql.raw(integer(db))} references pipeline_stages (id) on delete set null`.execute(
    db,
  )

  await sql`create table follow_ups (
    id ${serialKey(db, 'integer primary key autoincrement')},
    organization_id text not null references organizations (id) on delete cascade,
    contact_id text not null references contacts (id) on delete cascade,
    due_at text not null,
    closed_at text,
    outcome text check (outcome in ('done', 'cancelled')),
    assigned_user_id text references users (id) on delete set null,
    outreach_reason text,
    outreach_reason_label text,
    outreach_message_label text,
    check ((closed_at is null) = (outcome is null))
  )`.execute(db)
  // Closing the open follow-up, and copying a contact's new setter or labels, are seeks.
  await sql`create index follow_ups_contact on follow_ups (contact_id, closed_at)`.execute(db)
  // The reports' range read, covering.
  await sql`create index follow_ups_org_due on follow_ups (organization_id, due_at, closed_at, outcome, assigned_user_id,
    outreach_reason, outreach_reason_label, outreach_message_label)`.execute(db)

  // Backfill. The assignee is who created the contact (create-contact's email).
  await sql`update contacts set assigned_user_id = created_by_user_id`.execute(db)
  // The outreach moment: the logged conversion, else the creation (a contact created as outreach).
  await sql`update contacts set outreach_at = coalesce(
      (select min(a.created_at) from activity_log a where a.contact_id = contacts.id and a.action = 'converted_to_outreach'),
      created_at)
    where had_outreach = 1`.execute(db)
  await sql`update contacts set first_reply_at =
      (select min(m.sent_at) from messages m where m.contact_id = contacts.id and m.direction = 'inbound' and m.sent_at > contacts.outreach_at)
    where outreach_at is not null`.execute(db)
  // The booking stage is the one named Meeting Booked, where an organization has it.
  await sql`update organizations set booking_stage_id =
      (select s.id from pipeline_stages s where s.organization_id = organizations.id and s.name = 'Meeting Booked')`.execute(db)
  // Booked: the first logged move into the booking stage (by its name at the time, which is today's
  // name unless it was renamed since) or to won; a contact there now without such a row, its last change.
  await sql`update contacts set booked_at = coalesce(
      (select min(a.created_at) from activity_log a where a.contact_id = contacts.id and (
        (a.action = 'lead_status' and a.new_value = 'won') or
        (a.action = 'pipeline_stage' and a.new_value = (select s.name from pipeline_stages s join organizations o on o.booking_stage_id = s.id where o.id = contacts.organization_id)))),
      case when lead_status_id = 2 or pipeline_stage_id = (select o.booking_stage_id from organizations o where o.id = contacts.organization_id)
        then updated_at end)`.execute(db)
  // Follow-ups open today; those done or passed before this migration were not recorded.
  await sql`insert into follow_ups (organization_id, contact_id, due_at, assigned_user_id, outreach_reason, outreach_reason_label, outreach_message_label)
    select organization_id, id, next_follow_up_at, assigned_user_id, outreach_reason, outreach_reason_label, outreach_message_label from contacts
    where follow_up_needed = 1 and archived_at is null and next_follow_up_at is not null`.execute(db)

  // The reports read ranges of these indexes and nothing else (covering: a row lookup per contact
  // would cost more than the whole scan). Cohorts by outreach moment; inbound volume by creation,
  // archived contacts included. Replies
  // and follow-up actions change none of these columns (but a contact's first reply), so the
  // webhooks do not maintain them.
  await sql`create index contacts_org_outreach on contacts (organization_id, outreach_at, assigned_user_id, first_reply_at, booked_at,
    outreach_reason, outreach_reason_label, outreach_message_label) where outreach_at is not null`.execute(db)
  await sql`create index contacts_org_inbound on contacts (organization_id, created_at, assigned_user_id,
    outreach_reason, outreach_reason_label, outreach_message_label, outreach_at) where outreach_at is null or outreach_at > created_at`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['contacts_org_inbound', 'contacts_org_outreach']) await sql.raw(`drop index ${index}`).execute(db)
  await sql`drop table follow_ups`.execute(db)
  await sql`alter table organizations drop column booking_stage_id`.execute(db)
  for (const column of ['booked_at', 'first_reply_at', 'outreach_at', 'assigned_user_id']) {
    await sql.raw(`alter table contacts drop column ${column}`).execute(db)
  }
}
