import { logActivity } from '../activity/repo.ts'
import type { Contact, Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { resolveMember } from '../users/service.ts'
import { copyKeysToFollowUps } from './follow-up-log.ts'
import { findActiveContact, updateContact } from './repo.ts'

/**
 * PATCH /contacts/{id} with `assigned_email`: gives the contact to another setter (a member of the
 * organization), or to nobody with null. Logged as `assigned` with the old and new email; giving
 * it to the setter it already has changes and logs nothing.
 */
export async function assignContact(trx: Trx, org: Organization, id: string, assignedEmail: string | null, now: string): Promise<Contact> {
  const contact = await findActiveContact(trx, org.id, id)
  const user = assignedEmail === null ? null : await resolveMember(trx, org.id, assignedEmail)
  const userId = user?.id ?? null
  if (userId === contact.assigned_user_id) return contact
  const before =
    contact.assigned_user_id === null
      ? undefined
      : await trx.selectFrom('users').select('email').where('id', '=', contact.assigned_user_id).executeTakeFirst()
  const updated = await updateContact(trx, contact.id, { assigned_user_id: userId }, now)
  await copyKeysToFollowUps(trx, updated)
  await logActivity(
    trx,
    [
      {
        organizationId: org.id,
        contactId: contact.id,
        action: 'assigned',
        oldValue: before?.email ?? null,
        newValue: user?.email ?? null,
        via: 'api',
      },
    ],
    now,
  )
  return updated
}
