import { logActivity } from '../activity/repo.ts'
import { type Caller, TOKEN_HEADER } from '../core/actor.ts'
import { AppError } from '../core/errors.ts'
import type { Contact, Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { CANCELLED_MESSAGE, isCancelled, requestOrganization } from '../organizations/access.ts'
import { findOrganizationByPageName, setPageName } from '../organizations/service.ts'
import { type ContactEvent, recordContactEvents, replyChanges } from './events.ts'
import { createContact, type Reply, recordReply } from './lifecycle.ts'
import { findActiveByManychatId, findActiveByUsername, updateContact } from './repo.ts'
import type { DefaultReplyInput } from './schemas.ts'
import { type ContactView, contactView } from './view.ts'

const PROCESSED_MESSAGE = 'Contact processed successfully'
const SKIPPED_MESSAGE =
  'No reply to record (message_content is empty or an unfilled ManyChat variable): treated as outreach and skipped, nothing was written'

/** Messages this endpoint records, and contacts it creates, are marked as coming from ManyChat. */
const SOURCE = 'manychat'

/** What a skipped request returns when the subscriber is not a contact yet. */
export interface RequestIdentifiers
  extends Pick<ContactView, 'manychat_id' | 'username' | 'organization_id' | 'ig_id' | 'contact_type' | 'tags'> {
  id: null
  created_at: null
  last_response_at: null
  last_message_content: null
  outreach_reason: null
  outreach_message: null
  follow_up_needed: false
  lead_status: null
  pipeline_stage: null
}

export interface ReplyOutcome {
  message: string
  data: ContactView | RequestIdentifiers
}

/**
 * Records a ManyChat subscriber's reply: on the contact matched by manychat_id, then by
 * username, or on a new inbound contact. A cancelled organization or a request without a reply
 * writes nothing and gets the contact's current data, so ManyChat routing keeps working.
 */
export async function handleDefaultReply(trx: Trx, caller: Caller, input: DefaultReplyInput, now: string): Promise<ReplyOutcome> {
  const org = await resolveOrganization(trx, caller, input)
  const existing =
    (await findActiveByManychatId(trx, org.id, input.manychatId)) ?? (await findActiveByUsername(trx, org.id, input.username))
  if (isCancelled(org) || input.reply === null) {
    const data = existing ? await contactView(trx, existing) : requestIdentifiers(org.id, input)
    return { message: isCancelled(org) ? CANCELLED_MESSAGE : SKIPPED_MESSAGE, data }
  }
  await updatePageName(trx, org, input.pageName, now)
  const reply: Reply = { content: input.reply, sentAt: input.sentAt ?? now, source: SOURCE }
  const contact = existing
    ? await recordReply(trx, await updateIdentity(trx, existing, input, now), reply, now)
    : await createFromReply(trx, org, input, reply, now)
  const replied: ContactEvent = {
    type: 'contact.replied',
    via: 'api',
    changes: replyChanges(reply, existing?.last_response_at ?? null),
  }
  const view = await recordContactEvents(trx, contact, existing ? [replied] : [{ type: 'contact.created', via: 'api' }, replied], now)
  return { message: PROCESSED_MESSAGE, data: view ?? (await contactView(trx, contact)) }
}

/** organization_id, else the organization holding page_name; either way the token must be its. */
async function resolveOrganization(trx: Trx, caller: Caller, input: DefaultReplyInput): Promise<Organization> {
  if (input.organizationId !== undefined) return requestOrganization(trx, caller, input.organizationId)
  const pageName = input.pageName! // the schema requires organization_id or page_name
  const org = await findOrganizationByPageName(trx, pageName)
  // One answer whether the page name is unknown or another organization's: it reveals neither.
  if (!org || org.id !== caller.organizationId) {
    throw new AppError(
      'unauthorized',
      `The ${TOKEN_HEADER} does not belong to an organization with page_name "${pageName}"; send organization_id`,
    )
  }
  return org
}

async function updatePageName(trx: Trx, org: Organization, pageName: string | undefined, now: string) {
  if (pageName === undefined || pageName === org.page_name) return
  await setPageName(trx, org.id, pageName)
  await logActivity(
    trx,
    [{ organizationId: org.id, contactId: null, action: 'page_name_changed', oldValue: org.page_name, newValue: pageName, via: 'api' }],
    now,
  )
}

/** Fills in a missing manychat_id or ig_id and follows a username change when the new name is free. */
async function updateIdentity(trx: Trx, contact: Contact, input: DefaultReplyInput, now: string): Promise<Contact> {
  const patch: Partial<Record<'manychat_id' | 'ig_id' | 'username', string>> = {}
  if (contact.manychat_id === null) patch.manychat_id = input.manychatId
  if (contact.ig_id === null && input.igId !== undefined) patch.ig_id = input.igId
  if (contact.username !== input.username && !(await findActiveByUsername(trx, contact.organization_id, input.username))) {
    patch.username = input.username
  }
  const changes = Object.entries(patch) as [keyof typeof patch, string][]
  if (changes.length === 0) return contact
  const entries = changes.map(([field, value]) => ({
    organizationId: contact.organization_id,
    contactId: contact.id,
    action: `${field}_changed`,
    oldValue: contact[field],
    newValue: value,
    via: 'api' as const,
  }))
  await logActivity(trx, entries, now)
  return updateContact(trx, contact.id, patch, now)
}

async function createFromReply(trx: Trx, org: Organization, input: DefaultReplyInput, reply: Reply, now: string): Promise<Contact> {
  const contact = await createContact(
    trx,
    org,
    { username: input.username, type: 'inbound', ingestionType: SOURCE, manychatId: input.manychatId, igId: input.igId, reply },
    now,
  )
  await logActivity(
    trx,
    [{ organizationId: org.id, contactId: contact.id, action: 'contact_created', newValue: contact.username, via: 'api' }],
    now,
  )
  return contact
}

function requestIdentifiers(organizationId: string, input: DefaultReplyInput): RequestIdentifiers {
  return {
    id: null,
    manychat_id: input.manychatId,
    username: input.username,
    organization_id: organizationId,
    ig_id: input.igId ?? null,
    created_at: null,
    last_response_at: null,
    last_message_content: null,
    contact_type: 'outreach',
    outreach_reason: null,
    outreach_message: null,
    tags: [],
    follow_up_needed: false,
    lead_status: null,
    pipeline_stage: null,
  }
}
