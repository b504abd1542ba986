import * as v from 'valibot'
import { email, igId, instagramUsername, isoDate, manychatId, MAX_NOTE_LENGTH, MAX_SHORT_TEXT, MAX_TEXT, tagColor, tagNames, text, uuid } from '../core/fields.ts'
import { DEFAULT_TAG_COLOR } from '../core/colors.ts'


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
    modeCheck(field, (i) => i.had_outreach !== hadOutreach || i[field] !== undefined, `is required when had_outreach is ${hadOutreach} (${mode})`),
    modeCheck(field, (i) => i.had_outreach === hadOutreach || i[field] === undefined, `cannot be set when had_outreach is ${!hadOutreach} (${other})`),
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
  | { type: 'outreach'; outreach: { reason: string; text: string; reasonLabel: string | null; messageLabel: string | null }; reply?: undefined }
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
        outreach: { reason: f.outreach_reason!, text: f.outreach_text!, reasonLabel: f.outreach_reason_label ?? null, messageLabel: f.outreach_message_label ?? null },
      }
    : { ...common, type: 'inbound', reply: { content: f.last_message_content!, sentAt: f.last_response_at! } }
}

/** The body of POST /organization/create-contact. */
// Nested pipes because valibot types a spread of checks only as the tail of a pipe.
export const createContactSchema = v.pipe(
  v.pipe(v.pipe(v.looseObject({}), v.transform(dropBlanks), fields), ...modeRules),
  v.transform(toRequest),
)
