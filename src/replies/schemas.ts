import * as v from 'valibot'
import { igId, isoDate, looseUsername, manychatId, MAX_SHORT_TEXT, MAX_TEXT, text, uuid } from '../core/fields.ts'

// A ManyChat variable that was not filled in arrives as its template, "{{name}}" or "##{{name}}".
const UNFILLED = /^(?:##)?\{\{[^{}]*\}\}$/

const isUnfilled = (value: unknown) => typeof value === 'string' && UNFILLED.test(value.replace(/\s+/g, ''))

/** Null, blank, or an unfilled ManyChat variable: what ManyChat sends when it has no value. */
const isEmpty = (value: unknown) => value === null || (typeof value === 'string' && value.trim() === '') || isUnfilled(value)

/** An optional field: an empty value counts as not given rather than invalid. */
const optionalField = <S extends v.GenericSchema>(schema: S) =>
  v.optional(v.pipe(v.unknown(), v.transform((value) => (isEmpty(value) ? undefined : value)), v.optional(schema)))

/** A required identifier: an unfilled variable would merge every such subscriber into one contact. */
const filledField = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(v.unknown(), v.check((value) => !isUnfilled(value), 'is a ManyChat variable that was not filled in'), schema)

/** The body of POST /contact/default-reply, as the reference's field table describes it. */
export const defaultReplySchema = v.pipe(
  v.object({
    manychat_id: filledField(manychatId),
    username: filledField(looseUsername),
    organization_id: optionalField(uuid),
    page_name: optionalField(v.pipe(text(MAX_SHORT_TEXT), v.trim())),
    // Null when there is no reply to record: such a request is "treated as outreach and skipped".
    message_content: v.pipe(
      v.nullish(text(MAX_TEXT), null),
      v.transform((content) => (content === null || isEmpty(content) ? null : content)),
    ),
    message_date: optionalField(isoDate),
    ig_id: optionalField(igId),
    manychat_data: optionalField(v.object({ ig_id: optionalField(igId) }, 'must be an object')),
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
    reply: input.message_content,
    sentAt: input.message_date,
    igId: input.ig_id ?? input.manychat_data?.ig_id,
  })),
)

export type DefaultReplyInput = v.InferOutput<typeof defaultReplySchema>
