import { type Kysely, sql } from 'kysely'

// Setter analytics, faster by setter (issue 17, docs/performance.md#analytics): a report split by
// setter (the setters report, one setter's days, the web page) counts each setter's day as one
// short range read, so each table it reads gets a covering index that starts (organization,
// setter, time). Without them such a report sorted every row of each day by setter. The reports
// by day or by outreach field keep reading the time-first indexes of 2026_12_02_0325.
//
// Partial like those: an outreach contact by its outreach moment, a contact created as inbound
// by its creation (outreach_at is there for the partial condition, so the read stays covering).

const INDEXES = ['contacts_org_setter_outreach', 'contacts_org_setter_inbound', 'follow_ups_org_setter_due']

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index contacts_org_setter_outreach on contacts (organization_id, assigned_user_id, outreach_at, first_reply_at,
    booked_at, outreach_reason, outreach_reason_label, outreach_message_label) where outreach_at is not null`.execute(db)
  await sql`create index contacts_org_setter_inbound on contacts (organization_id, assigned_user_id, created_at,
    outreach_reason, outreach_reason_label, outreach_message_label, outreach_at) where outreach_at is null or outreach_at > created_at`.execute(
    db,
  )
  await sql`create index follow_ups_org_setter_due on follow_ups (organization_id, assigned_user_id, due_at, closed_at, outcome,
    outreach_reason, outreach_reason_label, outreach_message_label)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of INDEXES) await sql.raw(`drop index ${index}`).execute(db)
}
