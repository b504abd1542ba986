import type { Caller } from '../core/actor.ts'
import type { Trx } from '../db/write.ts'
import { isCancelled, requestOrganization } from '../organizations/access.ts'
import { findActiveStage } from '../pipeline/service.ts'
import { resolveMember } from '../users/service.ts'
import { findActiveById, findActiveByManychatId, findNamedContact } from './repo.ts'
import { runAutomations } from './run-automations.ts'
import type { ContactStatusInput } from './schemas.ts'
import { changeStatusAndStage } from './status-change.ts'
import { type ContactView, contactView } from './view.ts'

/** What contact-status answers: the reference's four fields plus lead_status_id and manychat_id. */
export type StatusView = Pick<ContactView, 'id' | 'username' | 'lead_status' | 'pipeline_stage' | 'lead_status_id' | 'manychat_id'>

/**
 * Sets a contact's lead status and/or pipeline stage, logs each real change via `api`, then runs
 * the organization's smart automations for those changes. Returns the contact as it is after
 * the automations, or null for a cancelled organization (nothing is written).
 */
export async function updateContactStatus(trx: Trx, caller: Caller, input: ContactStatusInput, now: string): Promise<StatusView | null> {
  const org = await requestOrganization(trx, caller, input.organizationId)
  if (isCancelled(org)) return null
  const stage = input.pipelineStage === undefined ? undefined : await findActiveStage(trx, org.id, input.pipelineStage, 'pipeline_stage')
  const user = input.email === undefined ? undefined : await resolveMember(trx, org.id, input.email)
  const contact = await findNamedContact(
    trx,
    org.id,
    { field: 'contact_id', value: input.contactId, find: findActiveById },
    { field: 'manychat_id', value: input.manychatId, find: findActiveByManychatId },
  )
  const result = await changeStatusAndStage(
    trx,
    contact,
    { leadStatusId: input.leadStatusId, stage },
    { via: 'api', userId: user?.id },
    now,
  )
  const requested = { leadStatus: input.leadStatusId !== undefined, stage: stage !== undefined }
  const after = await runAutomations(trx, result.contact, result.changed, requested, now)
  const { id, username, lead_status, pipeline_stage, lead_status_id, manychat_id } = await contactView(trx, after)
  return { id, username, lead_status, pipeline_stage, lead_status_id, manychat_id }
}
