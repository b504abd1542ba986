import type { Contact, Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { outreachFollowUp, parseCadence, replyFollowUp } from './follow-up-cadence.ts'
import { openFollowUp, trackFollowUp } from './follow-up-log.ts'
import { addInboundMessage, type ContactDraft, insertContact, updateContact } from './repo.ts'

// Creating contacts and recording replies: shared by default-reply and create-contact.

export interface Reply {
  content: string
  /** When the lead sent it (ISO 8601 UTC); may be older than what we already have. */
  sentAt: string
  /** Which door it came through, e.g. `manychat` or `custom-api-import`. */
  source: string
}

export interface NewContactInput {
  username: string
  type: 'inbound' | 'outreach'
  ingestionType: string
  manychatId?: string | null
  igId?: string | null
  outreach?: { reason: string; text: string; reasonLabel?: string | null; messageLabel?: string | null }
  followupsActive?: boolean
  /** Who recorded it; also its assigned setter. */
  createdByUserId?: string | null
  /** The reply that made an inbound contact, recorded in its history. */
  reply?: Reply
}

/** A new active contact in its type's entry stage, lead status open, follow-ups started. */
export async function createContact(trx: Trx, org: Organization, input: NewContactInput, now: string): Promise<Contact> {
  const followupsActive = input.followupsActive ?? true
  const draft: ContactDraft = {
    organization_id: org.id,
    username: input.username,
    manychat_id: input.manychatId ?? null,
    ig_id: input.igId ?? null,
    had_outreach: input.type === 'outreach' ? 1 : 0,
    outreach_reason: input.outreach?.reason ?? null,
    outreach_text: input.outreach?.text ?? null,
    outreach_reason_label: input.outreach?.reasonLabel ?? null,
    outreach_message_label: input.outreach?.messageLabel ?? null,
    last_response_at: null,
    last_message_content: null,
    follow_up_needed: 0,
    followups_active: followupsActive ? 1 : 0,
    last_follow_up_at: null,
    next_follow_up_at: null,
    pipeline_stage_id: input.type === 'inbound' ? org.inbound_stage_id : org.outreach_stage_id,
    contact_ingestion_type: input.ingestionType,
    created_by_user_id: input.createdByUserId ?? null,
    assigned_user_id: input.createdByUserId ?? null,
    outreach_at: input.type === 'outreach' ? now : null,
    archived_at: null,
    ...(followupsActive && input.type === 'outreach' ? outreachFollowUp(parseCadence(org.follow_up_cadence_days), now) : {}),
  }
  // An organization whose entry stage is its booking stage books every new contact of that type.
  if (draft.pipeline_stage_id != null && draft.pipeline_stage_id === org.booking_stage_id) draft.booked_at = now
  const contact = await insertContact(trx, draft, now)
  await openFollowUp(trx, contact)
  return input.reply ? recordReply(trx, contact, input.reply, now) : contact
}

/**
 * Keeps the reply in the conversation history, makes it the last message unless it is older
 * than the one we have (last_response_at never moves back), and resets follow-up tracking
 * unless follow-ups are off for this contact. A reply sent after the outreach moment, earlier
 * than any such reply so far, becomes the contact's first reply (analytics).
 */
export async function recordReply(trx: Trx, contact: Contact, reply: Reply, now: string): Promise<Contact> {
  await addInboundMessage(trx, contact, reply, now)
  const isLatest = contact.last_response_at === null || reply.sentAt >= contact.last_response_at
  const isFirstReply =
    contact.outreach_at !== null &&
    reply.sentAt > contact.outreach_at &&
    (contact.first_reply_at === null || reply.sentAt < contact.first_reply_at)
  const updated = await updateContact(
    trx,
    contact.id,
    {
      ...(isLatest ? { last_response_at: reply.sentAt, last_message_content: reply.content } : {}),
      ...(isFirstReply ? { first_reply_at: reply.sentAt } : {}),
      ...(contact.followups_active ? replyFollowUp(now) : {}),
    },
    now,
  )
  // The reply replaces the follow-up that was open with one due now: answer the lead.
  if (contact.followups_active) await trackFollowUp(trx, updated, 'cancelled', now)
  return updated
}
