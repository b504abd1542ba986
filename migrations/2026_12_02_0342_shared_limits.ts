import type { Kysely } from 'kysely'

// Request limits that several server processes must share (the create-contact limit per
// organization, failed authentications per client address). On SQLite, with one process, they stay
// in memory and this table stays empty; on PostgreSQL, where several instances serve one database,
// they live here (src/http/shared-buckets.ts). A bucket is the time, in milliseconds since the
// epoch, at which it will be full again; a row whose time has passed is a full bucket.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_buckets')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('full_at', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_buckets_pk', ['scope', 'key'])
    .execute()
  await db.schema.createIndex('rate_buckets_full_at').on('rate_buckets').column('full_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_buckets').execute()
}
