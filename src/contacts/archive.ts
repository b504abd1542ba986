import { logActivity } from '../activity/repo.ts'
import type { Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { resolveMember } from '../users/service.ts'
import { fromTo, recordContactEvents } from './events.ts'
import { trackFollowUp } from './follow-up-log.ts'
import { findActiveContact, updateContact } from './repo.ts'

/**
 * Archives a contact: it leaves the board and every list; its history, notes and activity stay.
 * The username (and ManyChat id) become free, so the next create-contact or default-reply for
 * them starts a new contact.
 */
export async function archiveContact(trx: Trx, org: Organization, id: string, email: string | undefined, now: string) {
  const contact = await findActiveContact(trx, org.id, id)
  const user = email === undefined ? undefined : await resolveMember(trx, org.id, email)
  const archived = await updateContact(trx, contact.id, { archived_at: now }, now)
  await trackFollowUp(trx, archived, 'cancelled', now)
  await logActivity(
    trx,
    [
      {
        organizationId: org.id,
        contactId: contact.id,
        action: 'archived',
        oldValue: null,
        newValue: now,
        via: 'api',
        userId: user?.id ?? null,
      },
    ],
    now,
  )
  await recordContactEvents(trx, archived, [{ type: 'contact.archived', via: 'api', changes: fromTo('archived_at', null, now) }], now)
  return { id: archived.id, username: archived.username, archived_at: archived.archived_at }
}
