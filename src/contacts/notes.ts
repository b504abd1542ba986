import type { Selectable } from 'kysely'
import type { NoteTable } from '../db/schema.ts'
import { takeNumbers } from '../db/id-numbers.ts'
import type { Trx } from '../db/write.ts'

export type Note = Selectable<NoteTable>

/** Stores a note on a contact. The caller logs the activity (it knows the organization and how). */
export async function addNote(trx: Trx, organizationId: string, contactId: string, body: string, userId: string | null, now: string): Promise<Note> {
  const number = await takeNumbers(trx, organizationId, 'notes')
  return trx
    .insertInto('notes')
    .values({ contact_id: contactId, number, body, created_by_user_id: userId, created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow()
}
