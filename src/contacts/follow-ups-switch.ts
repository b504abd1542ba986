import { logActivity } from '../activity/repo.ts'
import type { ContactUpdate, Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { resolveMember } from '../users/service.ts'
import { trackFollowUp } from './follow-up-log.ts'
import { assertVersion, findActiveContact, updateContact } from './repo.ts'

/**
 * Turns a contact's follow-ups on or off (create-contact's activate_followups, later). Off also
 * takes the contact off the board: its waiting follow-up is cancelled. On schedules nothing by
 * itself: the next reply (or outreach) does, as for any contact with follow-ups on.
 */
export async function setFollowUpsActive(
  trx: Trx,
  org: Organization,
  id: string,
  change: { active: boolean; version?: number },
  email: string,
  now: string,
) {
  const contact = await findActiveContact(trx, org.id, id)
  assertVersion(contact, change.version)
  const user = await resolveMember(trx, org.id, email)
  if ((contact.followups_active === 1) === change.active) return contact
  const patch: ContactUpdate = change.active
    ? { followups_active: 1 }
    : { followups_active: 0, follow_up_needed: 0, next_follow_up_at: null }
  const updated = await updateContact(trx, contact.id, patch, now)
  if (!change.active) await trackFollowUp(trx, updated, 'cancelled', now)
  const [from, to] = change.active ? ['off', 'on'] : ['on', 'off']
  await logActivity(
    trx,
    [{ organizationId: org.id, contactId: contact.id, action: 'follow_ups', oldValue: from, newValue: to, via: 'api', userId: user.id }],
    now,
  )
  return updated
}
