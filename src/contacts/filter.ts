import { todayBounds } from '../core/time-zone.ts'
import { invalidField } from '../core/validate.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { findStageByName } from '../pipeline/service.ts'
import { findExistingTags } from '../tags/repo.ts'
import type { ContactFilterInput, FollowUpGroup } from './schemas.ts'

/** Which active contacts a list holds, resolved to ids and times the query can use directly. */
export interface ContactFilter {
  /** On the board, due in [from, before); `{}` is the whole board. */
  due?: { from?: string; before?: string }
  stageId?: number
  leadStatusId?: number
  /** Contacts carrying every one of these tags. */
  tagIds?: number[]
  hadOutreach?: 0 | 1
  usernamePrefix?: string
  updatedSince?: string
  /** The contact's assigned setter (the web app's pipeline filter). */
  assignedUserId?: string
}

/** The board's groups in the organization's time zone: before today, today, after today. */
export function dueRange(group: FollowUpGroup, timeZone: string, now: number): NonNullable<ContactFilter['due']> {
  if (group === 'any') return {}
  const today = todayBounds(timeZone, now)
  if (group === 'overdue') return { before: today.start }
  if (group === 'today') return { from: today.start, before: today.end }
  return { from: today.end }
}

/** Resolves names to ids; a stage or tag the organization does not have is a 400 naming it. */
export async function resolveFilter(db: ReadDb, org: Organization, input: ContactFilterInput, now: number): Promise<ContactFilter> {
  const filter: ContactFilter = {
    leadStatusId: input.lead_status,
    hadOutreach: input.type === undefined ? undefined : input.type === 'outreach' ? 1 : 0,
    usernamePrefix: input.q,
    updatedSince: input.updated_since,
  }
  if (input.follow_up) filter.due = dueRange(input.follow_up, org.timezone, now)
  if (input.stage !== undefined) {
    const stage = await findStageByName(db, org.id, input.stage)
    if (!stage) {
      const names = await db
        .selectFrom('pipeline_stages')
        .select('name')
        .where('organization_id', '=', org.id)
        .orderBy('position')
        .execute()
      throw invalidField('stage', `"${input.stage}" is not a pipeline stage; stages: ${names.map((s) => s.name).join(', ')}`)
    }
    filter.stageId = stage.id
  }
  if (input.tag?.length) filter.tagIds = (await findExistingTags(db, org.id, input.tag, 'tag')).map((t) => t.id)
  return filter
}
