import type { Selectable } from 'kysely'
import type { NoteTable } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'

export type Note = Selectable<NoteTable>

/** Stores a note on a contact. The caller logs the activity (it knows the organization and how). */
export function addNote(trx: Trx, contactId: string, body: string, userId: string | null, now: string): Promise<Note> {
  return trx
    .insertInto('notes')
    .values({ contact_id: contactId, body, created_by_user_id: userId, created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow()
}
