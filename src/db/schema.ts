import type { Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { ActivityVia } from '../core/actor.ts'

/** Kysely's view of the tables made by migrations/. Booleans are 0 | 1, times ISO 8601 UTC text. */
export interface Database {
  lead_statuses: LeadStatusTable
  organizations: OrganizationTable
  api_tokens: ApiTokenTable
  users: UserTable
  memberships: MembershipTable
  pipeline_stages: PipelineStageTable
  contacts: ContactTable
  messages: MessageTable
  notes: NoteTable
  tags: TagTable
  contact_tags: ContactTagTable
  automations: AutomationTable
  activity_log: ActivityLogTable
  id_numbers: IdNumberTable
  rate_buckets: RateBucketTable
}

export type Flag = 0 | 1

export interface LeadStatusTable {
  id: number
  name: string
}

export interface OrganizationTable {
  id: string
  name: string
  page_name: string | null
  subscription_status: 'active' | 'cancelled'
  inbound_stage_id: number | null
  outreach_stage_id: number | null
  timezone: Generated<string>
  follow_up_cadence_days: Generated<string>
  created_at: string
}

export interface ApiTokenTable {
  id: string
  organization_id: string
  token_hash: string
  display_prefix: string
  label: string | null
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface UserTable {
  id: string
  email: string
  name: string | null
  created_at: string
}

export type Role = 'owner' | 'admin' | 'member'

export interface MembershipTable {
  organization_id: string
  user_id: string
  role: Role
  created_at: string
}

export interface PipelineStageTable {
  id: Generated<number>
  /** Shown as its id: counted per organization (id-numbers.ts); `id` is internal. */
  number: number
  organization_id: string
  name: string
  color: string
  position: number
  active: Generated<Flag>
  created_at: string
}

export interface ContactTable {
  id: string
  organization_id: string
  username: string
  manychat_id: string | null
  ig_id: string | null
  had_outreach: Flag
  outreach_reason: string | null
  outreach_text: string | null
  outreach_reason_label: string | null
  outreach_message_label: string | null
  last_response_at: string | null
  last_message_content: string | null
  follow_up_needed: Flag
  followups_active: Flag
  follow_up_count: Generated<number>
  last_follow_up_at: string | null
  next_follow_up_at: string | null
  lead_status_id: Generated<number>
  pipeline_stage_id: number | null
  contact_ingestion_type: string
  created_by_user_id: string | null
  archived_at: string | null
  created_at: string
  updated_at: string
}

export interface MessageTable {
  id: Generated<number>
  /** Shown as its id: counted per organization (id-numbers.ts); `id` is internal. */
  number: number
  contact_id: string
  direction: Generated<'inbound' | 'outbound'>
  content: string
  sent_at: string
  source: string
  created_at: string
}

export interface NoteTable {
  id: Generated<number>
  /** Shown as its id: counted per organization (id-numbers.ts); `id` is internal. */
  number: number
  contact_id: string
  body: string
  created_by_user_id: string | null
  created_at: string
}

export interface TagTable {
  id: Generated<number>
  /** Shown as its id: counted per organization (id-numbers.ts); `id` is internal. */
  number: number
  organization_id: string
  name: string
  color: string
  created_at: string
}

export interface ContactTagTable {
  contact_id: string
  tag_id: number
  created_at: string
}

export type AutomationKind = 'stage_to_status' | 'status_to_stage'

export interface AutomationTable {
  id: Generated<number>
  /** Shown as its id: counted per organization (id-numbers.ts); `id` is internal. */
  number: number
  organization_id: string
  kind: AutomationKind
  /** Null once the stage was removed; such a rule stays disabled. */
  stage_id: number | null
  lead_status_id: number
  enabled: Generated<Flag>
  created_at: string
}


export interface ActivityLogTable {
  id: Generated<number>
  /** Shown as its id: counted per organization (id-numbers.ts); `id` is internal. */
  number: number
  organization_id: string
  contact_id: string | null
  action: string
  old_value: string | null
  new_value: string | null
  via: ActivityVia
  automation_id: number | null
  user_id: string | null
  created_at: string
}

/** Each organization's last `number` per kind of row. */
export interface IdNumberTable {
  organization_id: string
  kind: NumberedKind
  last: number
}

/** Request limits shared by the server processes of one PostgreSQL database (http/shared-buckets.ts). */
export interface RateBucketTable {
  scope: string
  key: string
  /** Milliseconds since the epoch at which the bucket is full again. */
  full_at: number
}

export type NumberedKind = 'tags' | 'automations' | 'activity' | 'messages' | 'notes' | 'stages'

export type Contact = Selectable<ContactTable>
export type NewContact = Insertable<ContactTable>
export type ContactUpdate = Updateable<ContactTable>
export type Organization = Selectable<OrganizationTable>
export type Tag = Selectable<TagTable>
export type PipelineStage = Selectable<PipelineStageTable>
