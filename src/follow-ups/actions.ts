import { type ActivityEntry, logActivity } from '../activity/repo.ts'
import { fromTo, recordContactEvents } from '../contacts/events.ts'
import { doneFollowUp, parseCadence } from '../contacts/follow-up-cadence.ts'
import { trackFollowUp } from '../contacts/follow-up-log.ts'
import { addNote, findActiveContact, updateContact } from '../contacts/repo.ts'
import { AppError } from '../core/errors.ts'
import { invalidField } from '../core/validate.ts'
import type { Contact, Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { resolveMember } from '../users/service.ts'
import type { FollowUpAction } from './schemas.ts'

/**
 * Marks the contact's due follow-up done (the next one is scheduled by the cadence, or the contact
 * leaves the board after the last interval) or snoozes it to `snooze_until`. Logged with the note.
 */
export async function actOnFollowUp(trx: Trx, org: Organization, id: string, action: FollowUpAction, now: string): Promise<Contact> {
  const contact = await findActiveContact(trx, org.id, id)
  const userId = action.email ? (await resolveMember(trx, org.id, action.email)).id : null
  if (!contact.follow_up_needed) {
    throw new AppError('bad_request', `Contact ${id} is not waiting for a follow-up (follow_up_needed is false)`)
  }
  const snooze = action.snoozeUntil
  if (snooze !== undefined && snooze <= now) {
    throw invalidField('snooze_until', 'must be in the future')
  }
  const patch = snooze === undefined ? doneFollowUp(parseCadence(org.follow_up_cadence_days), contact, now) : { next_follow_up_at: snooze }
  const updated = await updateContact(trx, contact.id, patch, now)
  // A snooze replaces the due follow-up with one due at snooze_until.
  await trackFollowUp(trx, updated, snooze === undefined ? 'done' : 'cancelled', now)

  const base = { organizationId: org.id, contactId: contact.id, via: 'api' as const, userId }
  const entries: ActivityEntry[] = [
    snooze === undefined
      ? { ...base, action: 'follow_up_done', oldValue: String(contact.follow_up_count), newValue: String(updated.follow_up_count) }
      : { ...base, action: 'follow_up_snoozed', oldValue: contact.next_follow_up_at, newValue: snooze },
  ]
  if (action.note) {
    await addNote(trx, contact.organization_id, contact.id, action.note, userId, now)
    entries.push({ ...base, action: 'note_added', newValue: action.note })
  }
  await logActivity(trx, entries, now)
  if (snooze === undefined) {
    const changes = {
      ...fromTo('follow_up_count', contact.follow_up_count, updated.follow_up_count),
      ...fromTo('next_follow_up_at', contact.next_follow_up_at, updated.next_follow_up_at),
    }
    await recordContactEvents(trx, updated, [{ type: 'follow_up.done', via: 'api', changes }], now)
  }
  return updated
}
