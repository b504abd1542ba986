import { logActivity } from '../activity/repo.ts'
import type { Caller } from '../core/actor.ts'
import { AppError } from '../core/errors.ts'
import type { Contact, Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { CANCELLED_MESSAGE, isCancelled, requestOrganization } from '../organizations/access.ts'
import { attachTags, ensureTags, tagNamesForLog } from '../tags/repo.ts'
import { resolveMember } from '../users/service.ts'
import { type ContactEvent, recordContactEvents, replyChanges } from './events.ts'
import { copyKeysToFollowUps } from './follow-up-log.ts'
import { createContact, recordReply } from './lifecycle.ts'
import { addNote, findActiveByManychatId, findActiveByUsername, updateContact } from './repo.ts'
import type { CreateContactRequest } from './schemas.ts'
import { type ContactView, contactView } from './view.ts'

/** How contacts made by this endpoint came in, and the source of the replies it records. */
const CUSTOM_API_IMPORT = 'custom-api-import'

export interface CreateContactResult {
  httpStatus: 200 | 201
  message: string
  /** Absent only when nothing was processed (cancelled organization). */
  data?: ContactView
}

interface Change {
  action: string
  oldValue?: string | null
  newValue?: string | null
}

interface Outcome {
  httpStatus: 200 | 201
  message: string
  contact: Contact
  changes: Change[]
  /** Whether the request's tags and note go onto the contact (not when it is returned as-is). */
  applyExtras: boolean
}

/**
 * POST /organization/create-contact: creates the contact, or acts on the existing active one
 * with the same username as the reference's table says. Runs inside the request's transaction,
 * so concurrent requests for one new username see each other's contact and make exactly one.
 */
export async function createContactFromApi(trx: Trx, caller: Caller, req: CreateContactRequest, now: string): Promise<CreateContactResult> {
  const org = await requestOrganization(trx, caller, req.organizationId)
  if (isCancelled(org)) return { httpStatus: 200, message: CANCELLED_MESSAGE }
  const userId = req.email ? (await resolveMember(trx, org.id, req.email)).id : null

  const existing = await findActiveByUsername(trx, org.id, req.username)
  const outcome = existing ? await updateExisting(trx, existing, req, now) : await createNew(trx, org, req, userId, now)
  const { contact, changes } = outcome
  const events = changes.flatMap((c) => eventsOf(c, req))
  if (outcome.applyExtras) {
    if (req.tags.length > 0) {
      const added = await attachTags(trx, contact.id, await ensureTags(trx, org.id, req.tags, req.tagColor, now), now)
      if (added.length > 0) {
        changes.push({ action: 'tags_added', newValue: tagNamesForLog(added) })
        events.push({ type: 'contact.tags_changed', via: 'api', changes: { tags: { added: added.map((t) => t.name), removed: [] } } })
      }
    }
    if (req.note !== undefined) {
      await addNote(trx, org.id, contact.id, req.note, userId, now)
      changes.push({ action: 'note_added', newValue: req.note })
    }
  }
  await logActivity(
    trx,
    changes.map((c) => ({ ...c, organizationId: org.id, contactId: contact.id, via: 'api' as const, userId })),
    now,
  )
  const view = await recordContactEvents(trx, contact, events, now)
  return { httpStatus: outcome.httpStatus, message: outcome.message, data: view ?? (await contactView(trx, contact)) }
}

/** The webhook events an activity entry of this endpoint stands for. */
function eventsOf(change: Change, req: CreateContactRequest): ContactEvent[] {
  const via = 'api' as const
  switch (change.action) {
    case 'contact_created':
      return req.reply
        ? [
            { type: 'contact.created', via },
            { type: 'contact.replied', via, changes: replyChanges(req.reply, null) },
          ]
        : [{ type: 'contact.created', via }]
    case 'reply_recorded':
      return req.reply ? [{ type: 'contact.replied', via, changes: replyChanges(req.reply, change.oldValue ?? null) }] : []
    default:
      return []
  }
}

async function createNew(trx: Trx, org: Organization, req: CreateContactRequest, userId: string | null, now: string): Promise<Outcome> {
  if (req.manychatId !== undefined) {
    // manychat_id identifies one active contact; a different username cannot take it over here.
    const holder = await findActiveByManychatId(trx, org.id, req.manychatId)
    if (holder) {
      const message = `already belongs to contact @${holder.username}`
      throw new AppError('validation', `manychat_id ${message}`, [{ field: 'manychat_id', message }])
    }
  }
  const contact = await createContact(
    trx,
    org,
    {
      username: req.username,
      type: req.type,
      ingestionType: CUSTOM_API_IMPORT,
      manychatId: req.manychatId,
      igId: req.igId,
      outreach: req.outreach,
      followupsActive: req.activateFollowups,
      createdByUserId: userId,
      reply: req.reply && { ...req.reply, source: CUSTOM_API_IMPORT },
    },
    now,
  )
  return {
    httpStatus: 201,
    message: 'Contact created successfully',
    contact,
    changes: [{ action: 'contact_created', newValue: contact.username }],
    applyExtras: true,
  }
}

async function updateExisting(trx: Trx, existing: Contact, req: CreateContactRequest, now: string): Promise<Outcome> {
  let contact = existing
  const changes: Change[] = []
  if (req.igId !== undefined && req.igId !== contact.ig_id) {
    contact = await updateContact(trx, contact.id, { ig_id: req.igId }, now)
    changes.push({ action: 'ig_id_changed', oldValue: existing.ig_id, newValue: req.igId })
  }
  if ((contact.had_outreach === 1) === (req.type === 'outreach')) {
    return { httpStatus: 200, message: 'Contact already exists', contact, changes, applyExtras: false }
  }
  if (req.type === 'outreach') {
    // History, last reply, follow-up state and stage stay as they are: only the type and outreach change.
    const { reason, text, reasonLabel, messageLabel } = req.outreach
    contact = await updateContact(
      trx,
      contact.id,
      {
        had_outreach: 1,
        outreach_at: now,
        first_reply_at: null,
        outreach_reason: reason,
        outreach_text: text,
        outreach_reason_label: reasonLabel,
        outreach_message_label: messageLabel,
      },
      now,
    )
    await copyKeysToFollowUps(trx, contact)
    changes.push({ action: 'converted_to_outreach', oldValue: 'inbound', newValue: 'outreach' })
    return { httpStatus: 200, message: 'Contact converted to outreach', contact, changes, applyExtras: true }
  }
  // An outreach contact answered: the reply is recorded and the contact stays outreach.
  const before = contact.last_response_at
  contact = await recordReply(trx, contact, { ...req.reply, source: CUSTOM_API_IMPORT }, now)
  changes.push({ action: 'reply_recorded', oldValue: before, newValue: req.reply.sentAt })
  return { httpStatus: 200, message: 'Reply recorded', contact, changes, applyExtras: true }
}
