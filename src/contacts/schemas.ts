import * as v from 'valibot'
import { DEFAULT_TAG_COLOR } from '../core/colors.ts'
import { cursorParam } from '../core/cursor.ts'
import {
  email,
  igId,
  instagramUsername,
  isoDate,
  looseUsername,
  MAX_NOTE_LENGTH,
  MAX_SHORT_TEXT,
  MAX_TEXT,
  manychatId,
  pageSize,
  stageName,
  tagColor,
  tagName,
  tagNames,
  text,
  uuid,
} from '../core/fields.ts'
import { LEAD_STATUSES, leadStatus } from '../core/lead-status.ts'
import { queryParams } from '../core/query.ts'

// The requests of every contact endpoint, as valibot schemas: what routes.ts validates with and
// what the OpenAPI document is generated from.

// POST /organization/create-contact

/** A real JSON boolean: scripts that send "true" as a string get told so instead of a guess. */
const jsonBoolean = v.boolean('must be a JSON boolean (true or false, without quotes)')

// Spreadsheet and CRM exports send empty columns as "" or null: for these text fields that means
// "not given", so an empty outreach column on an inbound row is not "set", and a blank required
// one is "required".
const BLANK_MEANS_ABSENT = [
  'last_response_at',
  'last_message_content',
  'outreach_reason',
  'outreach_text',
  'outreach_reason_label',
  'outreach_message_label',
  'note',
] as const

function dropBlanks(body: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...body }
  for (const key of BLANK_MEANS_ABSENT) {
    const value = copy[key]
    if (value === null || (typeof value === 'string' && value.trim() === '')) delete copy[key]
  }
  return copy
}

const fields = v.object({
  organization_id: uuid,
  username: instagramUsername,
  had_outreach: jsonBoolean,
  last_response_at: v.optional(isoDate),
  last_message_content: v.optional(text(MAX_TEXT)),
  outreach_reason: v.optional(text(MAX_SHORT_TEXT)),
  outreach_text: v.optional(text(MAX_TEXT)),
  outreach_reason_label: v.optional(text(MAX_SHORT_TEXT)),
  outreach_message_label: v.optional(text(MAX_SHORT_TEXT)),
  email: v.nullish(email),
  manychat_id: v.nullish(manychatId),
  ig_id: v.nullish(igId),
  activate_followups: v.nullish(jsonBoolean),
  note: v.optional(text(MAX_NOTE_LENGTH)),
  tags: v.nullish(tagNames),
  tag_color: v.nullish(tagColor),
})

type Fields = v.InferOutput<typeof fields>
type ModeField = 'last_response_at' | 'last_message_content' | 'outreach_reason' | 'outreach_text'

/** The reference's matrix: each mode's fields are required in it and cannot be set in the other. */
const MODE_FIELDS: Record<'inbound' | 'outreach', ModeField[]> = {
  inbound: ['last_response_at', 'last_message_content'],
  outreach: ['outreach_reason', 'outreach_text'],
}

// One check per field and direction, each forwarded to its field, so one 400 names every field
// that breaks the matrix alongside any other invalid field. A partial check still runs when other
// fields are invalid, as long as had_outreach and its own field are valid.
function modeCheck(field: ModeField, requirement: (input: Fields) => boolean, message: string) {
  const paths = [['had_outreach'], [field]] as const
  return v.forward(v.partialCheck<Fields, typeof paths, Fields, string>(paths, requirement, message), [field])
}

const modeRules = (['inbound', 'outreach'] as const).flatMap((mode) => {
  const hadOutreach = mode === 'outreach'
  const other = hadOutreach ? 'inbound' : 'outreach'
  return MODE_FIELDS[mode].flatMap((field) => [
    modeCheck(
      field,
      (i) => i.had_outreach !== hadOutreach || i[field] !== undefined,
      `is required when had_outreach is ${hadOutreach} (${mode})`,
    ),
    modeCheck(
      field,
      (i) => i.had_outreach === hadOutreach || i[field] === undefined,
      `cannot be set when had_outreach is ${!hadOutreach} (${other})`,
    ),
  ])
})

/** What a create-contact request asks for, once valid. */
export type CreateContactRequest = {
  organizationId: string
  username: string
  email?: string
  manychatId?: string
  igId?: string
  activateFollowups: boolean
  note?: string
  tags: string[]
  tagColor: string
} & (
  | { type: 'inbound'; reply: { content: string; sentAt: string }; outreach?: undefined }
  | {
      type: 'outreach'
      outreach: { reason: string; text: string; reasonLabel: string | null; messageLabel: string | null }
      reply?: undefined
    }
)

function toRequest(f: Fields): CreateContactRequest {
  const common = {
    organizationId: f.organization_id,
    username: f.username,
    email: f.email ?? undefined,
    manychatId: f.manychat_id ?? undefined,
    igId: f.ig_id ?? undefined,
    activateFollowups: f.activate_followups ?? true,
    note: f.note,
    tags: f.tags ?? [],
    tagColor: f.tag_color ?? DEFAULT_TAG_COLOR,
  }
  // The mode rules above have made sure each mode's fields are present. Labels describe
  // outreach, so an inbound contact has none until it is converted.
  return f.had_outreach
    ? {
        ...common,
        type: 'outreach',
        outreach: {
          reason: f.outreach_reason!,
          text: f.outreach_text!,
          reasonLabel: f.outreach_reason_label ?? null,
          messageLabel: f.outreach_message_label ?? null,
        },
      }
    : { ...common, type: 'inbound', reply: { content: f.last_message_content!, sentAt: f.last_response_at! } }
}

/** The body of POST /organization/create-contact. */
// Nested pipes because valibot types a spread of checks only as the tail of a pipe.
export const createContactSchema = v.pipe(
  v.pipe(v.pipe(v.looseObject({}), v.transform(dropBlanks), fields), ...modeRules),
  v.transform(toRequest),
)

// POST /contact/default-reply

// A ManyChat variable that was not filled in arrives as its template, "{{name}}" or "##{{name}}".
const UNFILLED = /^(?:##)?\{\{[^{}]*\}\}$/

const isUnfilled = (value: unknown) => typeof value === 'string' && UNFILLED.test(value.replace(/\s+/g, ''))

/** Null, blank, or an unfilled ManyChat variable: what ManyChat sends when it has no value. */
const isEmpty = (value: unknown) => value === null || (typeof value === 'string' && value.trim() === '') || isUnfilled(value)

/** An optional field: an empty value counts as not given rather than invalid. */
const optionalField = <S extends v.GenericSchema>(schema: S) =>
  v.optional(
    v.pipe(
      v.unknown(),
      v.transform((value) => (isEmpty(value) ? undefined : value)),
      v.optional(schema),
    ),
  )

/** A required identifier: an unfilled variable would merge every such subscriber into one contact. */
const filledField = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(
    v.unknown(),
    v.check((value) => !isUnfilled(value), 'is a ManyChat variable that was not filled in'),
    schema,
  )

/** A reply's text; null when there is none to record ("treated as outreach and skipped"). */
const replyText = v.pipe(
  v.nullish(text(MAX_TEXT), null),
  v.transform((content) => (content === null || isEmpty(content) ? null : content)),
)

/** The body of POST /contact/default-reply, as the reference's field table describes it. */
export const defaultReplySchema = v.pipe(
  v.object({
    manychat_id: filledField(manychatId),
    username: filledField(looseUsername),
    organization_id: optionalField(uuid),
    page_name: optionalField(v.pipe(text(MAX_SHORT_TEXT), v.trim())),
    message_content: replyText,
    message_date: optionalField(isoDate),
    ig_id: optionalField(igId),
    // ManyChat's Full Contact Data object, which ManyChat serializes itself (docs/manychat.md).
    manychat_data: optionalField(
      v.object({ ig_id: optionalField(igId), last_input_text: v.optional(replyText, null) }, 'must be an object'),
    ),
  }),
  v.forward(
    v.partialCheck(
      [['organization_id'], ['page_name']],
      (input) => input.organization_id !== undefined || input.page_name !== undefined,
      'is required unless page_name is given',
    ),
    ['organization_id'],
  ),
  v.transform((input) => ({
    manychatId: input.manychat_id,
    username: input.username,
    organizationId: input.organization_id,
    pageName: input.page_name,
    // ManyChat pastes a variable into a JSON body unescaped, so a reply with a quote or a line break
    // breaks `"message_content": "{{last_input_text}}"`; inside Full Contact Data it arrives escaped.
    reply: input.message_content ?? input.manychat_data?.last_input_text ?? null,
    sentAt: input.message_date,
    igId: input.ig_id ?? input.manychat_data?.ig_id,
  })),
)

export type DefaultReplyInput = v.InferOutput<typeof defaultReplySchema>

// POST /contact/update-tags-external

const TAG_MODES = ['set', 'add', 'remove'] as const
export type TagMode = (typeof TAG_MODES)[number]

// ManyChat sends an unset custom field as null; an optional field that is null counts as not given.
export const updateTagsSchema = v.pipe(
  v.object({
    organization_id: uuid,
    contact_id: v.nullish(uuid),
    username: v.nullish(looseUsername),
    mode: v.picklist(TAG_MODES, `must be one of ${TAG_MODES.join(', ')}`),
    tag_names: tagNames,
    tag_color: v.nullish(tagColor, DEFAULT_TAG_COLOR),
    email: v.nullish(email),
  }),
  // partialCheck runs even when other fields are invalid, so one 400 names every problem.
  v.forward(
    v.partialCheck(
      [['contact_id'], ['username']],
      (input) => input.contact_id != null || input.username != null,
      'is required when username is not given',
    ),
    ['contact_id'],
  ),
  v.forward(
    v.partialCheck(
      [['mode'], ['tag_names']],
      (input) => input.mode === 'set' || input.tag_names.length > 0,
      'must not be empty when mode is add or remove',
    ),
    ['tag_names'],
  ),
  v.transform((i) => ({
    organizationId: i.organization_id,
    contactId: i.contact_id ?? undefined,
    username: i.username ?? undefined,
    mode: i.mode,
    tagNames: i.tag_names,
    tagColor: i.tag_color,
    email: i.email ?? undefined,
  })),
)

export type UpdateTagsInput = v.InferOutput<typeof updateTagsSchema>

// PATCH /contact/contact-status

const STATUS_IDS = LEAD_STATUSES.map((name, i) => `${i + 1} ${name}`).join(', ')

const ID_MESSAGE = `must be a whole number from 1 to ${LEAD_STATUSES.length} (${STATUS_IDS})`

function statusIdOf(value: number | string): number | undefined {
  const id = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN
  return Number.isInteger(id) && id >= 1 && id <= LEAD_STATUSES.length ? id : undefined
}

/** A status id; the reference says number, and "2" is accepted too because templated bodies quote values. */
const leadStatusIdField = v.pipe(
  v.union([v.number(), v.string()], ID_MESSAGE),
  v.check((value) => statusIdOf(value) !== undefined, ID_MESSAGE),
  v.transform((value) => statusIdOf(value)!),
)

const has = (value: unknown) => value !== undefined

/**
 * PATCH /contact/contact-status. Cross-field rules are reported on a field (so the 400 names
 * it) and only when the fields involved are valid on their own.
 */
export const contactStatusSchema = v.pipe(
  v.object({
    organization_id: uuid,
    contact_id: v.optional(uuid),
    manychat_id: v.optional(manychatId),
    lead_status: v.optional(leadStatus),
    lead_status_id: v.optional(leadStatusIdField),
    pipeline_stage: v.optional(stageName),
    email: v.optional(email),
  }),
  v.forward(
    v.partialCheck(
      [['contact_id'], ['manychat_id']],
      (i) => has(i.contact_id) || has(i.manychat_id),
      'is required unless manychat_id is sent',
    ),
    ['contact_id'],
  ),
  v.forward(
    v.partialCheck(
      [['lead_status'], ['lead_status_id']],
      (i) => !(has(i.lead_status) && has(i.lead_status_id)),
      'cannot be sent together with lead_status; send one of them',
    ),
    ['lead_status_id'],
  ),
  v.forward(
    v.partialCheck(
      [['lead_status'], ['lead_status_id'], ['pipeline_stage']],
      (i) => has(i.lead_status) || has(i.lead_status_id) || has(i.pipeline_stage),
      'is required unless lead_status_id or pipeline_stage is sent',
    ),
    ['lead_status'],
  ),
  v.transform((i) => ({
    organizationId: i.organization_id,
    contactId: i.contact_id,
    manychatId: i.manychat_id,
    leadStatusId: i.lead_status ?? i.lead_status_id,
    pipelineStage: i.pipeline_stage,
    email: i.email,
  })),
)

export type ContactStatusInput = v.InferOutput<typeof contactStatusSchema>

// GET /contacts, its CSV export, GET and DELETE /contacts/{id}, and the boards

const FOLLOW_UP_GROUPS = ['overdue', 'today', 'upcoming', 'any'] as const
export type FollowUpGroup = (typeof FOLLOW_UP_GROUPS)[number]
const CONTACT_TYPES = ['inbound', 'outreach'] as const
const MAX_TAG_FILTERS = 20

const oneOf = <const T extends readonly string[]>(values: T) => v.picklist(values, `must be one of ${values.join(', ')}`)

/** The filters of GET /contacts, shared by its CSV export. */
const contactFilterEntries = {
  follow_up: v.optional(oneOf(FOLLOW_UP_GROUPS)),
  stage: v.optional(stageName),
  lead_status: v.optional(leadStatus),
  tag: v.optional(v.pipe(v.array(tagName), v.maxLength(MAX_TAG_FILTERS, `must be given at most ${MAX_TAG_FILTERS} times`))),
  type: v.optional(oneOf(CONTACT_TYPES)),
  q: v.optional(looseUsername),
  updated_since: v.optional(isoDate),
}

export const contactListQuery = queryParams({ ...contactFilterEntries, cursor: cursorParam, limit: pageSize })
export const contactExportQuery = queryParams(contactFilterEntries)
export type ContactFilterInput = v.InferOutput<typeof contactExportQuery>

export const contactIdParam = v.object({ id: uuid })

export const contactDetailQuery = queryParams({ limit: pageSize, messages_cursor: cursorParam, activity_cursor: cursorParam })

/** Boards that show the first page of several lists (follow-ups, pipeline) take only the page size. */
export const boardQuery = queryParams({ limit: pageSize })

export const archiveQuery = queryParams({ email: v.optional(email) })

/**
 * PATCH /contacts/{id}: the fields that may change. Strict, so a field this endpoint does not
 * change is a 400 rather than silently ignored. `assigned_email: null` unassigns.
 */
export const updateContactSchema = v.strictObject({ assigned_email: v.nullable(email) }, 'is not a field this endpoint changes')
