import { runAutomations } from './run-automations.ts'
import { findActiveById, findActiveByManychatId } from './repo.ts'
import { contactView, type ContactView } from './view.ts'
import type { Contact } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import type { Caller } from '../core/actor.ts'
import { AppError } from '../core/errors.ts'
import { isCancelled, requestOrganization } from '../organizations/access.ts'
import { resolveMember } from '../users/service.ts'
import { changeStatusAndStage } from './status-change.ts'
import type { ContactStatusInput } from './schemas.ts'
import { findActiveStage } from '../pipeline/service.ts'

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
  const contact = await findRequestedContact(trx, org.id, input)
  const result = await changeStatusAndStage(trx, contact, { leadStatusId: input.leadStatusId, stage }, { via: 'api', userId: user?.id }, now)
  const requested = { leadStatus: input.leadStatusId !== undefined, stage: stage !== undefined }
  const after = await runAutomations(trx, result.contact, result.changed, requested, now)
  const { id, username, lead_status, pipeline_stage, lead_status_id, manychat_id } = await contactView(trx, after)
  return { id, username, lead_status, pipeline_stage, lead_status_id, manychat_id }
}

/** The active contact named by contact_id and/or manychat_id; both given must name the same one. */
async function findRequestedContact(trx: Trx, organizationId: string, { contactId, manychatId }: ContactStatusInput): Promise<Contact> {
  const lookup = async (field: string, value: string | undefined, find: (trx: Trx, orgId: string, value: string) => Promise<Contact | undefined>) => {
    if (value === undefined) return undefined
    const contact = await find(trx, organizationId, value)
    if (!contact) throw new AppError('not_found', `Contact not found with ${field} ${value}`)
    return contact
  }
  const byId = await lookup('contact_id', contactId, findActiveById)
  const byManychat = await lookup('manychat_id', manychatId, findActiveByManychatId)
  if (byId && byManychat && byId.id !== byManychat.id) {
    const message = `and contact_id name different contacts (manychat_id ${manychatId} belongs to @${byManychat.username})`
    throw new AppError('validation', `manychat_id ${message}`, [{ field: 'manychat_id', message }])
  }
  // The schema guarantees at least one of the two, so one lookup ran and found a contact.
  return (byId ?? byManychat)!
}
