import { compiled } from '../db/compiled.ts'
import type { Contact, ContactUpdate, NewContact } from '../db/schema.ts'
import { uuidV7 } from '../db/uuid-v7.ts'
import type { ReadDb, Trx } from '../db/write.ts'

// Lookups of active (not archived) contacts: the partial unique indexes make each one a seek.
// Every write request runs some of them, so they are compiled once (see compiled()).

const byId = compiled((db, organizationId: string, id: string) =>
  db.selectFrom('contacts').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).where('archived_at', 'is', null),
)
export async function findActiveById(trx: ReadDb, organizationId: string, id: string): Promise<Contact | undefined> {
  return (await byId(trx, organizationId, id))[0]
}

const byManychat = compiled((db, organizationId: string, manychatId: string) =>
  db.selectFrom('contacts').selectAll().where('organization_id', '=', organizationId).where('manychat_id', '=', manychatId).where('archived_at', 'is', null),
)
export async function findActiveByManychatId(trx: ReadDb, organizationId: string, manychatId: string): Promise<Contact | undefined> {
  return (await byManychat(trx, organizationId, manychatId))[0]
}

/** `username` must already be normalized (see normalizeUsername). */
const byUsername = compiled((db, organizationId: string, username: string) =>
  db.selectFrom('contacts').selectAll().where('organization_id', '=', organizationId).where('username', '=', username).where('archived_at', 'is', null),
)
export async function findActiveByUsername(trx: ReadDb, organizationId: string, username: string): Promise<Contact | undefined> {
  return (await byUsername(trx, organizationId, username))[0]
}

export type ContactDraft = Omit<NewContact, 'id' | 'created_at' | 'updated_at'>

/** Contact ids are time-ordered, stamped with created_at (see uuidV7): the busiest insert appends to its index. */
export async function insertContact(trx: Trx, draft: ContactDraft, now: string): Promise<Contact> {
  return trx
    .insertInto('contacts')
    .values({ ...draft, id: uuidV7(Date.parse(now)), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Applies `patch` and stamps updated_at; returns the contact as stored afterwards. */
export async function updateContact(trx: Trx, id: string, patch: ContactUpdate, now: string): Promise<Contact> {
  return trx
    .updateTable('contacts')
    .set({ ...patch, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}
