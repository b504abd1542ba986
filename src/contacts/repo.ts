import type { Selectable } from 'kysely'
import { AppError } from '../core/errors.ts'
import { noteChange } from '../db/changes.ts'
import { compiled, compiledWrite } from '../db/compiled.ts'
import { takeNumbers } from '../db/id-numbers.ts'
import type { Contact, ContactUpdate, NewContact, NoteTable } from '../db/schema.ts'
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
  db
    .selectFrom('contacts')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('manychat_id', '=', manychatId)
    .where('archived_at', 'is', null),
)
export async function findActiveByManychatId(trx: ReadDb, organizationId: string, manychatId: string): Promise<Contact | undefined> {
  return (await byManychat(trx, organizationId, manychatId))[0]
}

/** `username` must already be normalized (see normalizeUsername). */
const byUsername = compiled((db, organizationId: string, username: string) =>
  db
    .selectFrom('contacts')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('username', '=', username)
    .where('archived_at', 'is', null),
)
export async function findActiveByUsername(trx: ReadDb, organizationId: string, username: string): Promise<Contact | undefined> {
  return (await byUsername(trx, organizationId, username))[0]
}

export type ContactDraft = Omit<NewContact, 'id' | 'created_at' | 'updated_at'>

/** Contact ids are time-ordered, stamped with created_at (see uuidV7): the busiest insert appends to its index. */
export async function insertContact(trx: Trx, draft: ContactDraft, now: string): Promise<Contact> {
  const contact = await trx
    .insertInto('contacts')
    .values({ ...draft, id: uuidV7(Date.parse(now)), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow()
  noteChange(trx, { organizationId: contact.organization_id, contactId: contact.id })
  return contact
}

/** Applies `patch`, stamps updated_at and counts the version up; returns the contact as stored afterwards. */
export async function updateContact(trx: Trx, id: string, patch: ContactUpdate, now: string): Promise<Contact> {
  const contact = await trx
    .updateTable('contacts')
    .set((eb) => ({ ...patch, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  // Live views (the web app's board) hear of it once the transaction commits.
  noteChange(trx, { organizationId: contact.organization_id, contactId: contact.id })
  return contact
}

/** An active contact of the organization, or a 404: archived contacts take no more changes. */
export async function findActiveContact(db: ReadDb, organizationId: string, id: string): Promise<Contact> {
  const contact = await findActiveById(db, organizationId, id)
  if (!contact) throw new AppError('not_found', `No active contact with id ${id}`)
  return contact
}

/**
 * Refuses a change sent from a form rendered before the contact's last change (`version` as the
 * form had it): a 409, so a stale page never silently undoes a teammate's edit. No version: no check.
 */
export function assertVersion(contact: Contact, version: number | undefined): void {
  if (version === undefined || contact.version === version) return
  throw new AppError(
    'conflict',
    `@${contact.username} was changed by someone else after this page was loaded, so nothing was saved. This is the contact as it is now: check it and try again.`,
  )
}

// Runs on every recorded reply: built and compiled once (see compiled()).
const insertMessage = compiledWrite((db, contactId: string, number: number, content: string, sentAt: string, source: string, now: string) =>
  db
    .insertInto('messages')
    .values({ contact_id: contactId, number, direction: 'inbound', content, sent_at: sentAt, source, created_at: now }),
)

/** Keeps a message the lead sent in the contact's conversation history. */
export async function addInboundMessage(
  trx: Trx,
  contact: Pick<Contact, 'id' | 'organization_id'>,
  message: { content: string; sentAt: string; source: string },
  now: string,
) {
  await insertMessage(
    trx,
    contact.id,
    await takeNumbers(trx, contact.organization_id, 'messages'),
    message.content,
    message.sentAt,
    message.source,
    now,
  )
}

export type Note = Selectable<NoteTable>

/** Stores a note on a contact. The caller logs the activity (it knows the organization and how). */
export async function addNote(
  trx: Trx,
  organizationId: string,
  contactId: string,
  body: string,
  userId: string | null,
  now: string,
): Promise<Note> {
  const number = await takeNumbers(trx, organizationId, 'notes')
  return trx
    .insertInto('notes')
    .values({ contact_id: contactId, number, body, created_by_user_id: userId, created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** One way a request names a contact: the field it came in, its value (if sent), and the lookup. */
export interface ContactIdentifier {
  field: string
  value: string | null | undefined
  find: (db: ReadDb, organizationId: string, value: string) => Promise<Contact | undefined>
}

/**
 * The active contact that a request names by one or two identifiers (contact_id and username, or
 * contact_id and manychat_id); when both are sent they must name the same contact. Scoped to the
 * organization, so another organization's contact is simply not found (404).
 */
export async function findNamedContact(
  db: ReadDb,
  organizationId: string,
  first: ContactIdentifier,
  second: ContactIdentifier,
): Promise<Contact> {
  const lookup = async ({ field, value, find }: ContactIdentifier) => {
    if (value == null) return undefined
    const contact = await find(db, organizationId, value)
    if (!contact) throw new AppError('not_found', `Contact not found with ${field} ${value}`)
    return contact
  }
  const byFirst = await lookup(first)
  const bySecond = await lookup(second)
  if (byFirst && bySecond && byFirst.id !== bySecond.id) {
    const message = `and ${first.field} name different contacts (${second.field} ${second.value} belongs to @${bySecond.username})`
    throw new AppError('validation', `${second.field} ${message}`, [
      { field: first.field, message: `names a different contact than ${second.field}` },
      { field: second.field, message },
    ])
  }
  // The request schemas require at least one of the two, so one lookup ran and found a contact.
  return (byFirst ?? bySecond)!
}
