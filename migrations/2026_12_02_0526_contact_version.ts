import { type Kysely, sql } from 'kysely'

// A contact's version: one more on every change to its row (contacts/repo.ts updateContact). The
// web app's edit forms carry the version they were rendered from, so a form sent after a teammate
// changed the contact is refused instead of silently undoing their change (docs/decisions.md).
// Adding a column with a constant default is a schema change only: no row is rewritten.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table contacts add column version integer not null default 0`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table contacts drop column version`.execute(db)
}
