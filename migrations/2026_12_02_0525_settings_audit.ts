import { type Kysely, sql } from 'kysely'
import { autoIncrementKey, integer } from './dialect.ts'

// Settings in the web app (issue 16): an audit trail of settings actions, and the last ManyChat
// webhook (default-reply) each organization received with its result.

export async function up(db: Kysely<any>): Promise<void> {
  // Who changed which setting, and when: one row per action, from the web app or the CLI. Kept
  // apart from activity_log, which is about contacts (its rows name a contact and feed analytics).
  await db.schema
    .createTable('audit_log')
    .addColumn('id', integer(db), autoIncrementKey(db))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    // The person (null from the CLI, or once the user was deleted); `actor` keeps their email or "cli".
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull().check(sql`via in ('web', 'cli')`))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('audit_log_org').on('audit_log').columns(['organization_id', 'id']).execute()

  // One row per organization, overwritten by each default-reply call (at most every few seconds).
  await db.schema
    .createTable('manychat_status')
    .addColumn('organization_id', 'text', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('status_code', integer(db), (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .execute()
}
