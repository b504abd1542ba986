import { compiledWrite } from '../db/compiled.ts'
import type { Contact } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'

// Every scheduled follow-up as its own row (table follow_ups), so follow-up consistency can ask
// "was the follow-up due on day D done on or before D?" after the contact has moved on to the
// next one. docs/analytics.md says how each outcome counts. Every recorded reply runs these:
// compiled once (see compiled()).

const closeOpen = compiledWrite((db, contactId: string, now: string, outcome: 'done' | 'cancelled') =>
  db.updateTable('follow_ups').set({ closed_at: now, outcome }).where('contact_id', '=', contactId).where('closed_at', 'is', null),
)

const insertOpen = compiledWrite(
  (
    db,
    organizationId: string,
    contactId: string,
    dueAt: string,
    userId: string | null,
    reason: string | null,
    reasonLabel: string | null,
    messageLabel: string | null,
  ) =>
    db.insertInto('follow_ups').values({
      organization_id: organizationId,
      contact_id: contactId,
      due_at: dueAt,
      assigned_user_id: userId,
      outreach_reason: reason,
      outreach_reason_label: reasonLabel,
      outreach_message_label: messageLabel,
    }),
)

/**
 * Call after a change to the contact's follow-up state: closes the follow-up it had open, as
 * `done` (marked done) or `cancelled` (replaced by a reply or a snooze, or ended by an archive),
 * and opens the one the contact is now waiting for, if any.
 */
export async function trackFollowUp(trx: Trx, after: Contact, closedAs: 'done' | 'cancelled', now: string): Promise<void> {
  await closeOpen(trx, after.id, now, closedAs)
  await openFollowUp(trx, after)
}

/** Opens the follow-up a contact is now waiting for, if any (a new contact has none open yet). */
export async function openFollowUp(trx: Trx, contact: Contact): Promise<void> {
  if (contact.follow_up_needed !== 1 || contact.next_follow_up_at === null || contact.archived_at !== null) return
  const c = contact
  await insertOpen(
    trx,
    c.organization_id,
    c.id,
    c.next_follow_up_at!,
    c.assigned_user_id,
    c.outreach_reason,
    c.outreach_reason_label,
    c.outreach_message_label,
  )
}

/**
 * Call after a change to the contact's setter or outreach fields: its follow-ups, past ones too,
 * count for its current setter and fields (docs/analytics.md).
 */
export async function copyKeysToFollowUps(trx: Trx, contact: Contact): Promise<void> {
  await trx
    .updateTable('follow_ups')
    .set({
      assigned_user_id: contact.assigned_user_id,
      outreach_reason: contact.outreach_reason,
      outreach_reason_label: contact.outreach_reason_label,
      outreach_message_label: contact.outreach_message_label,
    })
    .where('contact_id', '=', contact.id)
    .execute()
}
