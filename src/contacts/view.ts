import { type LeadStatusName, leadStatusName } from '../core/lead-status.ts'
import type { Contact } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { stageNameById, stageNamesById } from '../pipeline/service.ts'
import { contactTags, type TagView, tagsOfContacts } from '../tags/repo.ts'

/**
 * A contact as every endpoint returns it: the fields the reference shows for default-reply and
 * create-contact, plus id, ig_id (a string), tags, lead status and the stage's name.
 */
export interface ContactView {
  id: string
  manychat_id: string | null
  username: string
  organization_id: string
  ig_id: string | null
  created_at: string
  updated_at: string
  last_response_at: string | null
  last_message_content: string | null
  contact_type: 'outreach' | 'inbound'
  had_outreach: boolean
  outreach_reason: string | null
  outreach_message: string | null
  outreach_text: string | null
  outreach_reason_label: string | null
  outreach_message_label: string | null
  follow_up_needed: boolean
  follow_up_count: number
  next_follow_up_at: string | null
  lead_status: LeadStatusName
  lead_status_id: number
  pipeline_stage: string | null
  contact_ingestion_type: string
  created_by_user_id: string | null
  /** The setter the contact's numbers count for (analytics); PATCH /contacts/{id} changes it. */
  assigned_user_id: string | null
  tags: TagView[]
}

export async function contactView(trx: ReadDb, contact: Contact): Promise<ContactView> {
  return toContactView(contact, await stageNameById(trx, contact.pipeline_stage_id), await contactTags(trx, contact.id))
}

/** Views of many contacts with two queries in all (stage names, tags), for lists. */
export async function contactViews(trx: ReadDb, contacts: Contact[]): Promise<ContactView[]> {
  if (contacts.length === 0) return []
  const stageName = await stageNamesById(
    trx,
    contacts.flatMap((c) => (c.pipeline_stage_id === null ? [] : [c.pipeline_stage_id])),
  )
  const tags = await tagsOfContacts(
    trx,
    contacts.map((c) => c.id),
  )
  return contacts.map((c) =>
    toContactView(c, c.pipeline_stage_id === null ? null : (stageName.get(c.pipeline_stage_id) ?? null), tags.get(c.id) ?? []),
  )
}

function toContactView(contact: Contact, stageName: string | null, tags: TagView[]): ContactView {
  return {
    id: contact.id,
    manychat_id: contact.manychat_id,
    username: contact.username,
    organization_id: contact.organization_id,
    ig_id: contact.ig_id,
    created_at: contact.created_at,
    updated_at: contact.updated_at,
    last_response_at: contact.last_response_at,
    last_message_content: contact.last_message_content,
    contact_type: contact.had_outreach ? 'outreach' : 'inbound',
    had_outreach: contact.had_outreach === 1,
    outreach_reason: contact.outreach_reason,
    // The reference calls the outreach text `outreach_message` in default-reply's answer.
    outreach_message: contact.outreach_text,
    outreach_text: contact.outreach_text,
    outreach_reason_label: contact.outreach_reason_label,
    outreach_message_label: contact.outreach_message_label,
    follow_up_needed: contact.follow_up_needed === 1,
    follow_up_count: contact.follow_up_count,
    next_follow_up_at: contact.next_follow_up_at,
    lead_status: leadStatusName(contact.lead_status_id),
    lead_status_id: contact.lead_status_id,
    pipeline_stage: stageName,
    contact_ingestion_type: contact.contact_ingestion_type,
    created_by_user_id: contact.created_by_user_id,
    assigned_user_id: contact.assigned_user_id,
    tags,
  }
}
