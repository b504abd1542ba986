import { type ActivityEntry, logActivity } from '../activity/repo.ts'
import type { Actor } from '../core/actor.ts'
import { leadStatusName, WON_STATUS_ID } from '../core/lead-status.ts'
import type { Contact, ContactUpdate, PipelineStage } from '../db/schema.ts'
import type { ReadDb, Trx } from '../db/write.ts'
import { findOrganization } from '../organizations/service.ts'
import { stageNameById } from '../pipeline/service.ts'
import { type ContactEvent, fromTo, recordContactEvents } from './events.ts'
import { updateContact } from './repo.ts'
import type { ContactView } from './view.ts'

/** The status and/or stage a contact should have; a field left out stays as it is. */
export interface StatusTarget {
  leadStatusId?: number
  stage?: Pick<PipelineStage, 'id' | 'name'>
}

/** Which fields a change actually altered. */
export interface Changed {
  leadStatus: boolean
  stage: boolean
}

/** A change's result: the contact after it, what it altered, and its view if the webhook events built one. */
export interface StatusChange {
  contact: Contact
  changed: Changed
  view?: ContactView
}

/**
 * Gives the contact the target status and stage, logging one activity row (old and new name) per
 * field that really changed. A field that already has the target value is neither written nor
 * logged, so repeating a request changes nothing.
 */
export async function changeStatusAndStage(
  trx: Trx,
  contact: Contact,
  target: StatusTarget,
  actor: Actor,
  now: string,
): Promise<StatusChange> {
  const patch: ContactUpdate = {}
  const entries: ActivityEntry[] = []
  const events: ContactEvent[] = []
  const entry = (action: string, oldValue: string | null, newValue: string) =>
    entries.push({ organizationId: contact.organization_id, contactId: contact.id, action, oldValue, newValue, ...actor })
  const { leadStatusId, stage } = target
  if (leadStatusId !== undefined && leadStatusId !== contact.lead_status_id) {
    patch.lead_status_id = leadStatusId
    entry('lead_status', leadStatusName(contact.lead_status_id), leadStatusName(leadStatusId))
    events.push({
      type: 'contact.status_changed',
      via: actor.via,
      changes: fromTo('lead_status', leadStatusName(contact.lead_status_id), leadStatusName(leadStatusId)),
    })
  }
  if (stage && stage.id !== contact.pipeline_stage_id) {
    patch.pipeline_stage_id = stage.id
    const from = await stageNameById(trx, contact.pipeline_stage_id)
    entry('pipeline_stage', from, stage.name)
    events.push({ type: 'contact.stage_changed', via: actor.via, changes: fromTo('pipeline_stage', from, stage.name) })
  }
  const changed = { leadStatus: patch.lead_status_id !== undefined, stage: patch.pipeline_stage_id !== undefined }
  if (entries.length === 0) return { contact, changed }
  if (contact.booked_at === null && (await isBooking(trx, contact, patch))) patch.booked_at = now
  await logActivity(trx, entries, now)
  const updated = await updateContact(trx, contact.id, patch, now)
  const view = await recordContactEvents(trx, updated, events, now)
  return { contact: updated, changed, view }
}

/** Whether the change takes the contact to lead status won or into its organization's booking stage. */
async function isBooking(db: ReadDb, contact: Contact, patch: ContactUpdate): Promise<boolean> {
  if (patch.lead_status_id === WON_STATUS_ID) return true
  if (patch.pipeline_stage_id == null) return false
  return (await findOrganization(db, contact.organization_id))?.booking_stage_id === patch.pipeline_stage_id
}
