import * as v from 'valibot'
import { LEAD_STATUSES } from '../contacts/view.ts'
import { cursorParam } from '../core/cursor.ts'
import { queryParams } from '../core/query.ts'
import { email, isoDate, MAX_USERNAME, normalizeUsername, pageSize, tagName, uuid } from '../core/fields.ts'

export const FOLLOW_UP_GROUPS = ['overdue', 'today', 'upcoming', 'any'] as const
export type FollowUpGroup = (typeof FOLLOW_UP_GROUPS)[number]
export const CONTACT_TYPES = ['inbound', 'outreach'] as const
export const MAX_TAG_FILTERS = 20

const oneOf = <const T extends readonly string[]>(values: T) => v.picklist(values, `must be one of ${values.join(', ')}`)

const nonEmpty = (max: number) =>
  v.pipe(v.string('must be a string'), v.trim(), v.nonEmpty('must not be empty'), v.maxLength(max, `must be at most ${max} characters`))

/** The filters of GET /contacts, shared by its CSV export. */
const contactFilterEntries = {
  follow_up: v.optional(oneOf(FOLLOW_UP_GROUPS)),
  stage: v.optional(nonEmpty(50)),
  lead_status: v.optional(v.pipe(v.string('must be a string'), v.trim(), v.toLowerCase(), oneOf(LEAD_STATUSES))),
  tag: v.optional(v.pipe(v.array(tagName), v.maxLength(MAX_TAG_FILTERS, `must be given at most ${MAX_TAG_FILTERS} times`))),
  type: v.optional(oneOf(CONTACT_TYPES)),
  q: v.optional(
    v.pipe(
      v.string('must be a string'),
      v.transform(normalizeUsername),
      v.nonEmpty('must not be empty'),
      v.maxLength(MAX_USERNAME, `must be at most ${MAX_USERNAME} characters`),
    ),
  ),
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
