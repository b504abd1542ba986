import type { Actor, Caller } from '../core/actor.ts'
import type { Contact, Organization, PipelineStage } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { isCancelled, requestOrganization } from '../organizations/access.ts'
import { findActiveStage } from '../pipeline/service.ts'
import { resolveMember } from '../users/service.ts'
import { assertVersion, findActiveById, findActiveByManychatId, findActiveContact, findNamedContact } from './repo.ts'
import { runAutomations } from './run-automations.ts'
import type { ContactStatusInput } from './schemas.ts'
import { changeStatusAndStage, type StatusChange } from './status-change.ts'
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
  const after = await setStatus(trx, contact, { leadStatusId: input.leadStatusId, stage }, { via: 'api', userId: user?.id }, now)
  // The webhook events' view of the final contact, when they built one, is the answer's too.
  const view = after.view ?? (await contactView(trx, after.contact))
  const { id, username, lead_status, pipeline_stage, lead_status_id, manychat_id } = view
  return { id, username, lead_status, pipeline_stage, lead_status_id, manychat_id }
}

/** A status/stage change from the web app: by stage name, as a member, optionally checked against a version. */
export interface StatusEdit {
  leadStatusId?: number
  stageName?: string
  /** The contact's version the form was rendered from; a different current one is a 409 (nothing written). */
  version?: number
}

/**
 * The web app's status and stage changes (the pipeline's moves, the contact page's form): the
 * same change and automations as contact-status, logged as the signed-in member.
 */
export async function changeContactStatus(trx: Trx, org: Organization, id: string, edit: StatusEdit, email: string, now: string) {
  const contact = await findActiveContact(trx, org.id, id)
  assertVersion(contact, edit.version)
  const stage = edit.stageName === undefined ? undefined : await findActiveStage(trx, org.id, edit.stageName)
  const user = await resolveMember(trx, org.id, email)
  return (await setStatus(trx, contact, { leadStatusId: edit.leadStatusId, stage }, { via: 'api', userId: user.id }, now)).contact
}

/** The one status/stage path: change what differs, then the automations for what changed. */
async function setStatus(
  trx: Trx,
  contact: Contact,
  target: { leadStatusId?: number; stage?: PipelineStage },
  actor: Actor,
  now: string,
): Promise<StatusChange> {
  const result = await changeStatusAndStage(trx, contact, target, actor, now)
  const requested = { leadStatus: target.leadStatusId !== undefined, stage: target.stage !== undefined }
  return runAutomations(trx, result, requested, now)
}
