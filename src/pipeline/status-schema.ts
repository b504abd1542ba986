import * as v from 'valibot'
import { LEAD_STATUSES, leadStatusId } from '../contacts/view.ts'
import { email, manychatId, noNul, uuid } from '../core/fields.ts'
import { MAX_STAGE_NAME } from './service.ts'

const STATUS_LIST = LEAD_STATUSES.join(', ')
const STATUS_IDS = LEAD_STATUSES.map((name, i) => `${i + 1} ${name}`).join(', ')

/** A status name in any case, as its id. */
const leadStatus = v.pipe(
  v.string('must be a string'),
  v.check((name) => leadStatusId(name) !== undefined, `must be one of ${STATUS_LIST}`),
  v.transform((name) => leadStatusId(name)!),
)

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

const stageName = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.nonEmpty('must not be empty'),
  v.maxLength(MAX_STAGE_NAME, `must be at most ${MAX_STAGE_NAME} characters`),
  noNul,
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
    v.partialCheck([['contact_id'], ['manychat_id']], (i) => has(i.contact_id) || has(i.manychat_id), 'or manychat_id is required'),
    ['contact_id'],
  ),
  v.forward(
    v.partialCheck([['lead_status'], ['lead_status_id']], (i) => !(has(i.lead_status) && has(i.lead_status_id)), 'cannot be sent together with lead_status; send one of them'),
    ['lead_status_id'],
  ),
  v.forward(
    v.partialCheck(
      [['lead_status'], ['lead_status_id'], ['pipeline_stage']],
      (i) => has(i.lead_status) || has(i.lead_status_id) || has(i.pipeline_stage),
      'or lead_status_id or pipeline_stage is required',
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
