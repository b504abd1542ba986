import { logActivity } from '../activity/repo.ts'
import type { Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { resolveMember } from '../users/service.ts'
import { addNote, findActiveContact, updateContact } from './repo.ts'

/** A member's note on a contact (the web app's contact page), in the activity log like every note. */
export async function addContactNote(trx: Trx, org: Organization, id: string, body: string, email: string, now: string) {
  const contact = await findActiveContact(trx, org.id, id)
  const user = await resolveMember(trx, org.id, email)
  await addNote(trx, org.id, contact.id, body, user.id, now)
  await logActivity(
    trx,
    [{ organizationId: org.id, contactId: contact.id, action: 'note_added', newValue: body, via: 'api', userId: user.id }],
    now,
  )
  // Stamps updated_at and the version, and tells open pages (a note is part of the contact).
  await updateContact(trx, contact.id, {}, now)
}
