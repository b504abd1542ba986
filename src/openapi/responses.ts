import * as v from 'valibot'
import type { Numbers } from '../analytics/report.ts'
import type { DailyReport, OutreachReport, SettersReport } from '../analytics/service.ts'
import type { StatusView } from '../contacts/contact-status.ts'
import type { RequestIdentifiers } from '../contacts/default-reply.ts'
import type { ContactDetail } from '../contacts/detail.ts'
import { COUNT_LIMIT, type CountedPage } from '../contacts/page.ts'
import type { PipelineColumn } from '../contacts/pipeline-board.ts'
import type { UpdateTagsResult } from '../contacts/update-tags.ts'
import type { ContactView } from '../contacts/view.ts'
import { LEAD_STATUSES } from '../core/lead-status.ts'
import type { Success } from '../http/respond.ts'

// What the endpoints answer, as valibot schemas: the OpenAPI document is generated from them, the
// compile-time checks below fail when they and the types the code returns drift apart, and the
// OpenAPI test parses real responses with them (strict objects: an undocumented key fails).

const text = v.string()
const maybeText = v.nullable(v.string())
const timestamp = v.pipe(v.string(), v.description('ISO 8601 UTC with milliseconds'))
const maybeTimestamp = v.nullable(timestamp)
const success = v.literal('success')
// Tags, notes, messages, activity, rules and stages are numbered per organization: 1, 2, 3 ...
const orgNumber = v.pipe(v.number(), v.description('Counted within the organization (1, 2, 3 ...); says nothing of other organizations'))

export const tagSchema = v.strictObject({ id: orgNumber, name: text, color: v.pipe(v.string(), v.description('#rrggbb')) })

export const contactSchema = v.strictObject({
  id: text,
  manychat_id: maybeText,
  username: text,
  organization_id: text,
  ig_id: v.pipe(maybeText, v.description('Instagram id as a string of digits (they exceed 2^53)')),
  created_at: timestamp,
  updated_at: timestamp,
  last_response_at: maybeTimestamp,
  last_message_content: maybeText,
  contact_type: v.picklist(['outreach', 'inbound']),
  had_outreach: v.boolean(),
  outreach_reason: maybeText,
  outreach_message: v.pipe(maybeText, v.description('The outreach text (the name default-reply uses)')),
  outreach_text: maybeText,
  outreach_reason_label: maybeText,
  outreach_message_label: maybeText,
  follow_up_needed: v.pipe(v.boolean(), v.description('On the follow-up board')),
  follow_up_count: v.pipe(v.number(), v.description('Follow-ups done since the last reply (or the outreach)')),
  next_follow_up_at: maybeTimestamp,
  lead_status: v.picklist(LEAD_STATUSES),
  lead_status_id: v.number(),
  pipeline_stage: v.pipe(maybeText, v.description('The stage name')),
  contact_ingestion_type: text,
  created_by_user_id: maybeText,
  assigned_user_id: v.pipe(maybeText, v.description('The assigned setter (a member); analytics count the contact for them')),
  tags: v.array(tagSchema),
})

const cursor = v.pipe(v.nullable(v.string()), v.description('Pass as the cursor parameter for the next page; null on the last page'))
const itemsPage = <S extends v.GenericSchema>(item: S) => v.strictObject({ items: v.array(item), next_cursor: cursor })

const contactDetailSchema = v.strictObject({
  ...contactSchema.entries,
  archived_at: maybeTimestamp,
  activate_followups: v.boolean(),
  last_follow_up_at: maybeTimestamp,
  notes: v.array(v.strictObject({ id: orgNumber, body: text, created_by_user_id: maybeText, created_at: timestamp })),
  messages: itemsPage(
    v.strictObject({
      id: orgNumber,
      direction: v.picklist(['inbound', 'outbound']),
      content: text,
      sent_at: timestamp,
      source: text,
      created_at: timestamp,
    }),
  ),
  activity: itemsPage(
    v.strictObject({
      id: orgNumber,
      action: v.pipe(text, v.description('e.g. contact_created, lead_status, pipeline_stage, tags_added, follow_up_done, archived')),
      old_value: maybeText,
      new_value: maybeText,
      via: v.picklist(['api', 'automation', 'cli']),
      automation_id: v.pipe(v.nullable(v.number()), v.description('The rule, numbered as `automation list` shows it')),
      user_id: maybeText,
      user_email: maybeText,
      created_at: timestamp,
    }),
  ),
})

const countedPageSchema = v.strictObject({
  count: v.pipe(v.number(), v.description(`Exact up to ${COUNT_LIMIT}; past it ${COUNT_LIMIT} with count_exact false`)),
  count_exact: v.boolean(),
  items: v.array(contactSchema),
  next_cursor: cursor,
})

const pipelineColumnSchema = v.strictObject({
  id: orgNumber,
  name: text,
  color: text,
  position: v.number(),
  active: v.boolean(),
  ...countedPageSchema.entries,
})

export const contactListResponse = v.strictObject({ status: success, data: v.array(contactSchema), next_cursor: cursor })
export const contactDetailResponse = v.strictObject({ status: success, data: contactDetailSchema })

export const boardResponse = v.strictObject({
  status: success,
  data: v.strictObject({
    timezone: text,
    cadence_days: v.array(v.number()),
    day_start: v.pipe(timestamp, v.description('Where "today" starts in the organization’s time zone')),
    day_end: timestamp,
    overdue: countedPageSchema,
    today: countedPageSchema,
    upcoming: countedPageSchema,
  }),
})

export const pipelineResponse = v.strictObject({ status: success, data: v.strictObject({ stages: v.array(pipelineColumnSchema) }) })

/** The contact after the action; without data when the organization is cancelled (nothing done). */
export const followUpResponse = v.strictObject({ status: success, message: text, data: v.optional(contactSchema) })

/** The contact after the change; without data when the organization is cancelled (nothing done). */
export const updateContactResponse = v.strictObject({ status: success, message: text, data: v.optional(contactSchema) })

export const archiveResponse = v.strictObject({
  status: success,
  message: text,
  data: v.optional(v.strictObject({ id: text, username: text, archived_at: timestamp })),
})

const count = v.pipe(v.number(), v.integer())
const maybeRate = v.pipe(v.nullable(v.number()), v.description('0 to 1, rounded to 4 decimals; null when the denominator is 0'))

/** The numbers every analytics row carries (docs/analytics.md has the definitions). */
export const analyticsNumbers = {
  outreach_count: v.pipe(count, v.description('Outreach contacts whose outreach was recorded in the range (the cohort)')),
  replied_count: v.pipe(count, v.description('Of those, the ones with a reply sent after the outreach, until now')),
  reply_rate: maybeRate,
  booked_count: v.pipe(count, v.description('Replied contacts that ever entered the booking stage or reached lead status won')),
  booking_rate: maybeRate,
  follow_ups_due: v.pipe(
    count,
    v.description('Follow-ups due in the range (a snooze or reply before the due day ended moves or replaces one)'),
  ),
  follow_ups_done_on_time: v.pipe(count, v.description('Of those, the ones marked done on or before their due day')),
  follow_up_consistency: maybeRate,
  median_hours_to_first_reply: v.pipe(
    v.nullable(v.number()),
    v.description('Median hours from outreach to first reply over replied contacts, 2 decimals'),
  ),
  inbound_count: v.pipe(count, v.description('Contacts created as inbound in the range (ManyChat and API)')),
}
const numbersSchema = v.strictObject(analyticsNumbers)
const rangeFields = { from: v.pipe(text, v.description('YYYY-MM-DD')), to: v.pipe(text, v.description('YYYY-MM-DD')), timezone: text }

export const analyticsSettersResponse = v.strictObject({
  status: success,
  data: v.strictObject({
    ...rangeFields,
    setters: v.array(
      v.strictObject({
        user_id: v.pipe(maybeText, v.description('null on the unassigned row')),
        email: maybeText,
        name: maybeText,
        ...analyticsNumbers,
      }),
    ),
    totals: numbersSchema,
  }),
})

export const analyticsOutreachResponse = v.strictObject({
  status: success,
  data: v.strictObject({
    ...rangeFields,
    by: v.picklist(['reason', 'reason_label', 'message_label']),
    rows: v.array(
      v.strictObject({
        outreach_reason: v.optional(maybeText),
        outreach_reason_label: v.optional(maybeText),
        outreach_message_label: v.optional(maybeText),
        ...analyticsNumbers,
      }),
    ),
    totals: numbersSchema,
  }),
})

export const analyticsDailyResponse = v.strictObject({
  status: success,
  data: v.strictObject({
    ...rangeFields,
    assigned_email: maybeText,
    days: v.array(v.strictObject({ day: text, ...analyticsNumbers })),
    totals: numbersSchema,
  }),
})

export const errorResponse = v.strictObject({
  error: v.pipe(text, v.description('The HTTP reason phrase, or "Validation Error"')),
  message: v.pipe(text, v.description('Human-readable; names every offending field')),
  details: v.optional(v.array(v.strictObject({ field: text, message: text }))),
  request_id: text,
})

// The reference's four endpoints.

const identifiersSchema = v.strictObject({
  ...v.pick(contactSchema, ['manychat_id', 'username', 'organization_id', 'ig_id', 'contact_type', 'tags']).entries,
  id: v.null(),
  created_at: v.null(),
  last_response_at: v.null(),
  last_message_content: v.null(),
  outreach_reason: v.null(),
  outreach_message: v.null(),
  follow_up_needed: v.literal(false),
  lead_status: v.null(),
  pipeline_stage: v.null(),
})

export const defaultReplyResponse = v.strictObject({
  status: success,
  message: text,
  data: v.pipe(
    v.union([contactSchema, identifiersSchema]),
    v.description('The contact, or the request’s identifiers when a skipped reply names nobody known'),
  ),
})

export const createContactResponse = v.strictObject({ status: success, message: text, data: v.optional(contactSchema) })

export const updateTagsResponse = v.strictObject({
  status: success,
  message: text,
  data: v.optional(v.strictObject({ contact_id: text, username: text, tags: v.array(tagSchema) })),
})

export const contactStatusResponse = v.strictObject({
  status: success,
  message: v.optional(text),
  data: v.optional(v.pick(contactSchema, ['id', 'username', 'lead_status', 'pipeline_stage', 'lead_status_id', 'manychat_id'])),
})

export const healthResponse = v.strictObject({ status: v.literal('ok') })
export const versionResponse = v.strictObject({
  name: text,
  version: text,
  commit: text,
  built: text,
  runtime: v.picklist(['bun', 'node']),
})
export const openApiResponse = v.looseObject({
  openapi: v.literal('3.1.0'),
  info: v.looseObject({}),
  paths: v.record(v.string(), v.unknown()),
})

// Compile-time drift checks: this fails to type-check if a schema and the type the code returns disagree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Holds<T extends true> = T
export type ResponseDriftChecks = [
  Holds<Same<v.InferOutput<typeof contactSchema>, ContactView>>,
  Holds<Same<v.InferOutput<typeof contactDetailSchema>, ContactDetail>>,
  Holds<Same<v.InferOutput<typeof countedPageSchema>, CountedPage>>,
  Holds<Same<v.InferOutput<typeof pipelineColumnSchema>, PipelineColumn>>,
  Holds<Same<v.InferOutput<typeof identifiersSchema>, RequestIdentifiers>>,
  Holds<Same<v.InferOutput<typeof updateTagsResponse>, Success<UpdateTagsResult>>>,
  Holds<Same<NonNullable<v.InferOutput<typeof contactStatusResponse>['data']>, StatusView>>,
  Holds<Same<v.InferOutput<typeof numbersSchema>, Numbers>>,
  Holds<Same<v.InferOutput<typeof analyticsSettersResponse>['data'], SettersReport>>,
  Holds<Same<v.InferOutput<typeof analyticsDailyResponse>['data'], DailyReport>>,
  Holds<Same<v.InferOutput<typeof analyticsOutreachResponse>['data']['by'], OutreachReport['by']>>,
]
