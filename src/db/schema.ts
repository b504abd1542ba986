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
  follow_ups: FollowUpTable
  webhook_endpoints: WebhookEndpointTable
  webhook_deliveries: WebhookDeliveryTable
  webhook_attempts: WebhookAttemptTable
  idempotency_keys: IdempotencyKeyTable
  sessions: SessionTable
  invites: InviteTable
  sign_in_failures: SignInFailureTable
  audit_log: AuditLogTable
  manychat_status: ManychatStatusTable
  rate_buckets: RateBucketTable
  stage_filter_counts: StageFilterCountTable
  tagged_contacts: TaggedContactTable
  stage_tag_counts: StageTagCountTable
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
  /** The stage whose contacts count as booked (analytics); kept by id across renames. */
  booking_stage_id: number | null
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
  /** scrypt, see sessions/password.ts; null until the user sets a password. */
  password_hash: string | null
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
  /** Its active contacts, kept by triggers (migration stage_counts): the pipeline's unfiltered counts. */
  contact_count: Generated<number>
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
  /** The setter the contact's numbers are attributed to (docs/analytics.md). */
  assigned_user_id: string | null
  /** When the outreach was recorded: created as outreach, or converted. Null for inbound. */
  outreach_at: string | null
  /** The first reply sent after outreach_at. */
  first_reply_at: string | null
  /** The first time the contact entered the booking stage or reached lead status won. */
  booked_at: string | null
  /** One more on every change (updateContact): the web app's forms send it back to detect a conflicting edit. */
  version: Generated<number>
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

/** One scheduled follow-up: due at due_at, closed as done or cancelled (replaced by a reply, a snooze, an archive). */
export interface FollowUpTable {
  id: Generated<number>
  organization_id: string
  contact_id: string
  due_at: string
  closed_at: string | null
  outcome: 'done' | 'cancelled' | null
  /** Copies of the contact's fields (follow-up-log.ts keeps them equal), so reports read no contact row. */
  assigned_user_id: string | null
  outreach_reason: string | null
  outreach_reason_label: string | null
  outreach_message_label: string | null
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

export interface WebhookEndpointTable {
  id: string
  organization_id: string
  url: string
  /** A JSON array of event types, or `*` for every event. */
  events: string
  secret: string
  previous_secret: string | null
  previous_secret_expires_at: string | null
  allow_private: Flag
  enabled: Generated<Flag>
  disabled_reason: string | null
  failing_since: string | null
  /** Deliveries of this endpoint still waiting to be sent. */
  pending: Generated<number>
  created_at: string
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

export interface WebhookDeliveryTable {
  id: string
  endpoint_id: string
  message_id: string
  event_type: string
  payload: string
  status: DeliveryStatus
  attempts: Generated<number>
  next_attempt_at: string | null
  last_attempt_at: string | null
  created_at: string
}

export interface WebhookAttemptTable {
  id: Generated<number>
  delivery_id: string
  attempted_at: string
  status_code: number | null
  duration_ms: number
  error: string | null
  response_body: string | null
}

export interface IdempotencyKeyTable {
  organization_id: string
  key: string
  fingerprint: string
  status: number
  body: string
  created_at: string
}

export type WebhookEndpoint = Selectable<WebhookEndpointTable>
export type WebhookDelivery = Selectable<WebhookDeliveryTable>
export type Contact = Selectable<ContactTable>
export type NewContact = Insertable<ContactTable>
export type ContactUpdate = Updateable<ContactTable>
export type Organization = Selectable<OrganizationTable>
export type Tag = Selectable<TagTable>
export type PipelineStage = Selectable<PipelineStageTable>

/** A browser session of the web app; the cookie holds the id, the table only its SHA-256. */
export interface SessionTable {
  id_hash: string
  user_id: string
  organization_id: string | null
  created_at: string
  last_seen_at: string
  /** The absolute expiry; the idle one is last_seen_at plus the idle limit. */
  expires_at: string
}

/** A one-time link to set a password and join an organization. */
export interface InviteTable {
  token_hash: string
  email: string
  organization_id: string
  role: Role
  created_at: string
  expires_at: string
  used_at: string | null
}

export interface SignInFailureTable {
  key: string
  failures: number
  last_failure_at: string
}

/** One settings action (web app or CLI): who, what, when. */
export interface AuditLogTable {
  id: Generated<number>
  organization_id: string
  user_id: string | null
  /** The person's email, or "cli". */
  actor: string
  via: 'web' | 'cli'
  action: string
  detail: string
  created_at: string
}

/** The last default-reply (ManyChat webhook) an organization received, and how it went. */
export interface ManychatStatusTable {
  organization_id: string
  received_at: string
  status_code: number
  result: string
}

/** A stage's active contacts of one lead status, type and assigned setter ('' for nobody), kept by triggers (migration filter_counts). */
export interface StageFilterCountTable {
  stage_id: number
  lead_status_id: number
  had_outreach: Flag
  assigned_user_id: string
  contacts: number
}

/** One tag on an active contact with a stage, kept by triggers (the pipeline filtered by a tag). */
export interface TaggedContactTable {
  tag_id: number
  stage_id: number
  /** The contact's created_at (the column's order). */
  created_at: string
  contact_id: string
  lead_status_id: number
  had_outreach: Flag
  /** '' for nobody. */
  assigned_user_id: string
}

/** tagged_contacts counted per tag, stage, lead status, type and setter, kept by triggers. */
export interface StageTagCountTable {
  tag_id: number
  stage_id: number
  lead_status_id: number
  had_outreach: Flag
  assigned_user_id: string
  contacts: number
}
