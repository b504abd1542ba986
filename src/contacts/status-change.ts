import { type ActivityEntry, logActivity } from '../activity/repo.ts'
import type { Actor } from '../core/actor.ts'
import { leadStatusName } from '../core/lead-status.ts'
import type { Contact, ContactUpdate, PipelineStage } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { stageNameById } from '../pipeline/service.ts'
import { updateContact } from './repo.ts'

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
): Promise<{ contact: Contact; changed: Changed }> {
  const patch: ContactUpdate = {}
  const entries: ActivityEntry[] = []
  const entry = (action: string, oldValue: string | null, newValue: string) =>
    entries.push({ organizationId: contact.organization_id, contactId: contact.id, action, oldValue, newValue, ...actor })
  const { leadStatusId, stage } = target
  if (leadStatusId !== undefined && leadStatusId !== contact.lead_status_id) {
    patch.lead_status_id = leadStatusId
    entry('lead_status', leadStatusName(contact.lead_status_id), leadStatusName(leadStatusId))
  }
  if (stage && stage.id !== contact.pipeline_stage_id) {
    patch.pipeline_stage_id = stage.id
    entry('pipeline_stage', await stageNameById(trx, contact.pipeline_stage_id), stage.name)
  }
  const changed = { leadStatus: patch.lead_status_id !== undefined, stage: patch.pipeline_stage_id !== undefined }
  if (entries.length === 0) return { contact, changed }
  await logActivity(trx, entries, now)
  return { contact: await updateContact(trx, contact.id, patch, now), changed }
}
