import { type Kysely, sql } from 'kysely'
import { caseInsensitive, caseInsensitiveText } from './dialect.ts'

// The web app's sign-in (issue 15): a password per user, browser sessions, one-time invites and
// the sign-in throttle. Secrets are stored only as hashes: a password as scrypt, a session id
// and an invite token as SHA-256 (they are 256 random bits, so a fast hash is enough).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users add column password_hash text`.execute(db)

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // The organization the user is looking at; null until chosen (or after it was deleted).
    .addColumn('organization_id', 'text', (c) => c.references('organizations.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute()

  await db.schema
    .createTable('invites')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('email', caseInsensitiveText(db), (c) => caseInsensitive(db, c.notNull()))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'member')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute()

  // One row per throttled key ("account:<email>" or "address:<ip>"), removed after a success.
  await db.schema
    .createTable('sign_in_failures')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sign_in_failures').execute()
  await db.schema.dropTable('invites').execute()
  await db.schema.dropTable('sessions').execute()
  await sql`alter table users drop column password_hash`.execute(db)
}
