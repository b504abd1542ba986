import { type Kysely, sql } from 'kysely'
import { autoIncrementKey, caseInsensitive, caseInsensitiveText, enableCaseInsensitiveText, integer } from './dialect.ts'

// Migrations take Kysely<any> and never import app types, so they stay frozen in time.
// Timestamps are ISO 8601 UTC strings with milliseconds, which sort as text.
// Booleans are INTEGER 0/1. Instagram ids are TEXT: they exceed 2^53.
// Emails, stage names and tag names are COLLATE NOCASE columns: unique and matched
// case-insensitively (ASCII letters), with plain `=` / `in` using their indexes.
// On PostgreSQL the same through ./dialect.ts: citext for those, bigint for integer, identity ids.

export async function up(db: Kysely<any>): Promise<void> {
  const int = integer(db)
  await enableCaseInsensitiveText(db)
  await db.schema
    .createTable('lead_statuses')
    .addColumn('id', int, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .execute()
  await db
    .insertInto('lead_statuses')
    .values([
      { id: 1, name: 'open' },
      { id: 2, name: 'won' },
      { id: 3, name: 'lost' },
      { id: 4, name: 'abandoned' },
    ])
    .execute()

  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('page_name', 'text', (c) => c.unique())
    .addColumn('subscription_status', 'text', (c) =>
      c.notNull().defaultTo('active').check(sql`subscription_status in ('active', 'cancelled')`),
    )
    // Entry stages for new contacts; null means a new contact starts in no stage.
    .addColumn('inbound_stage_id', int)
    .addColumn('outreach_stage_id', int)
    .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('follow_up_cadence_days', 'text', (c) => c.notNull().defaultTo('[1,2,4,7]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('display_prefix', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute()
  await db.schema.createIndex('api_tokens_org').on('api_tokens').column('organization_id').execute()

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', caseInsensitiveText(db), (c) => caseInsensitive(db, c.notNull()))
    .addColumn('name', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('users_email').unique().on('users').column('email').execute()

  await db.schema
    .createTable('memberships')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'member')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['organization_id', 'user_id'])
    .execute()
  await db.schema.createIndex('memberships_user').on('memberships').column('user_id').execute()

  await db.schema
    .createTable('pipeline_stages')
    .addColumn('id', int, autoIncrementKey(db))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', caseInsensitiveText(db), (c) => caseInsensitive(db, c.notNull()))
    .addColumn('color', 'text', (c) => c.notNull())
    .addColumn('position', int, (c) => c.notNull())
    .addColumn('active', int, (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('pipeline_stages_org_name').unique().on('pipeline_stages').columns(['organization_id', 'name']).execute()

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('manychat_id', 'text')
    .addColumn('ig_id', 'text')
    .addColumn('had_outreach', int, (c) => c.notNull().defaultTo(0))
    .addColumn('outreach_reason', 'text')
    .addColumn('outreach_text', 'text')
    .addColumn('outreach_reason_label', 'text')
    .addColumn('outreach_message_label', 'text')
    .addColumn('last_response_at', 'text')
    .addColumn('last_message_content', 'text')
    .addColumn('follow_up_needed', int, (c) => c.notNull().defaultTo(0))
    .addColumn('followups_active', int, (c) => c.notNull().defaultTo(1))
    .addColumn('follow_up_count', int, (c) => c.notNull().defaultTo(0))
    .addColumn('last_follow_up_at', 'text')
    .addColumn('next_follow_up_at', 'text')
    .addColumn('lead_status_id', int, (c) => c.notNull().defaultTo(1).references('lead_statuses.id'))
    .addColumn('pipeline_stage_id', int, (c) => c.references('pipeline_stages.id'))
    .addColumn('contact_ingestion_type', 'text', (c) => c.notNull())
    .addColumn('created_by_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('archived_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  // Identity among active contacts: one per username, one per ManyChat subscriber.
  await sql`create unique index contacts_org_username on contacts (organization_id, username) where archived_at is null`.execute(db)
  await sql`create unique index contacts_org_manychat on contacts (organization_id, manychat_id) where manychat_id is not null and archived_at is null`.execute(
    db,
  )
  // The follow-up board reads due contacts in next_follow_up_at order.
  await sql`create index contacts_org_followup on contacts (organization_id, next_follow_up_at) where follow_up_needed = 1 and archived_at is null`.execute(
    db,
  )
  await db.schema.createIndex('contacts_stage').on('contacts').column('pipeline_stage_id').execute()

  await db.schema
    .createTable('messages')
    .addColumn('id', int, autoIncrementKey(db))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('direction', 'text', (c) => c.notNull().defaultTo('inbound').check(sql`direction in ('inbound', 'outbound')`))
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('messages_contact_sent').on('messages').columns(['contact_id', 'sent_at']).execute()

  await db.schema
    .createTable('notes')
    .addColumn('id', int, autoIncrementKey(db))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_by_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('notes_contact').on('notes').column('contact_id').execute()

  await db.schema
    .createTable('tags')
    .addColumn('id', int, autoIncrementKey(db))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', caseInsensitiveText(db), (c) => caseInsensitive(db, c.notNull()))
    .addColumn('color', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('tags_org_name').unique().on('tags').columns(['organization_id', 'name']).execute()

  await db.schema
    .createTable('contact_tags')
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('tag_id', int, (c) => c.notNull().references('tags.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_tags_pk', ['contact_id', 'tag_id'])
    .execute()
  await db.schema.createIndex('contact_tags_tag').on('contact_tags').column('tag_id').execute()

  await db.schema
    .createTable('automations')
    .addColumn('id', int, autoIncrementKey(db))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('stage_to_status', 'status_to_stage')`))
    // Removing a stage disables its rules (code does that first) and leaves them without a stage.
    .addColumn('stage_id', int, (c) => c.references('pipeline_stages.id').onDelete('set null'))
    .addColumn('lead_status_id', int, (c) => c.notNull().references('lead_statuses.id'))
    .addColumn('enabled', int, (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('automations_org').on('automations').column('organization_id').execute()

  await db.schema
    .createTable('activity_log')
    .addColumn('id', int, autoIncrementKey(db))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('contact_id', 'text', (c) => c.references('contacts.id').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('old_value', 'text')
    .addColumn('new_value', 'text')
    .addColumn('via', 'text', (c) => c.notNull().check(sql`via in ('api', 'automation', 'cli')`))
    .addColumn('automation_id', int, (c) => c.references('automations.id').onDelete('set null'))
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('activity_log_contact').on('activity_log').columns(['contact_id', 'id']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'activity_log',
    'automations',
    'contact_tags',
    'tags',
    'notes',
    'messages',
    'contacts',
    'pipeline_stages',
    'memberships',
    'users',
    'api_tokens',
    'organizations',
    'lead_statuses',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
