import type { Cursor } from '../core/cursor.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { type ContactFilter, resolveFilter } from './filter.ts'
import { type CountedPage, contactPage, countByStage, countedFirstPage, cursorPosition, nextCursor } from './page.ts'
import type { ContactFilterInput } from './schemas.ts'
import { type ContactView, contactViews } from './view.ts'

/** A stage; continue its contacts with GET /contacts?stage=<name>&cursor=<next_cursor>. */
export interface PipelineColumn extends CountedPage {
  id: number
  name: string
  color: string
  position: number
  active: boolean
}

/**
 * The pipeline as a Kanban: every stage in order (inactive ones flagged, since they may still
 * hold contacts), each with its active-contact count and the newest contacts first.
 */
export async function pipelineBoard(db: ReadDb, organizationId: string, limit: number): Promise<PipelineColumn[]> {
  const stages = await db
    .selectFrom('pipeline_stages')
    .select(['id', 'number', 'name', 'color', 'position', 'active'])
    .where('organization_id', '=', organizationId)
    .orderBy('position')
    .execute()
  const columns: PipelineColumn[] = []
  // A stage is shown by its number within the organization (see takeNumbers), not its internal id.
  for (const { id, number, ...stage } of stages) {
    columns.push({
      id: number,
      ...stage,
      active: stage.active === 1,
      ...(await countedFirstPage(db, organizationId, { stageId: id }, limit)),
    })
  }
  return columns
}

/** One column of the web app's pipeline: an active stage, its exact count and a page of its cards. */
export interface PipelineLane {
  /** The stage's number within the organization (what pages and the API show). */
  number: number
  name: string
  color: string
  count: number
  items: ContactView[]
  /** Continues this column (with the same filters), or null on its last page. */
  next: string | null
}

/**
 * The web app's pipeline: the active stages in order, each with the exact number of contacts the
 * filters keep in it and its first `pageSize` cards (newest first; by username when searching).
 * `assignedUserId` keeps one setter's contacts. With `more`, only that stage's column, continuing after its cursor ("load more"). `stages`
 * names every active stage (where a card can move).
 */
export async function pipelineLanes(
  db: ReadDb,
  org: Organization,
  input: ContactFilterInput,
  now: number,
  pageSize: number,
  more?: { stage: number; cursor: Cursor },
  assignedUserId?: string,
): Promise<{ stages: string[]; lanes: PipelineLane[] }> {
  const filter = { ...(await resolveFilter(db, org, { ...input, stage: undefined }, now)), assignedUserId }
  const active = await db
    .selectFrom('pipeline_stages')
    .select(['id', 'number', 'name', 'color', 'contact_count'])
    .where('organization_id', '=', org.id)
    .where('active', '=', 1)
    .orderBy('position')
    .execute()
  const stages = more ? active.filter((s) => s.number === more.stage) : active
  const counts = await laneCounts(db, org.id, active, filter)
  const lanes: PipelineLane[] = []
  for (const stage of stages) {
    const laneFilter = { ...filter, stageId: stage.id }
    const count = counts.get(stage.id) ?? 0
    // An empty column has no page to look for: under a rare filter that search would walk the whole stage.
    const page =
      count === 0
        ? { contacts: [] }
        : await contactPage(db, org.id, laneFilter, more ? cursorPosition(laneFilter, more.cursor) : undefined, pageSize)
    lanes.push({
      number: stage.number,
      name: stage.name,
      color: stage.color,
      count,
      items: await contactViews(db, page.contacts),
      next: nextCursor(laneFilter, page.next),
    })
  }
  return { stages: active.map((s) => s.name), lanes }
}

/**
 * Each stage's exact number of contacts the filter keeps. Unfiltered: the stages' own counts; by
 * lead status, type and assigned setter (any of them): the sums of stage_filter_counts' groups,
 * both kept by triggers, a few rows whatever the organization's size; with a tag or a username
 * search (which narrow to few contacts): one grouped count over the matching contacts.
 */
async function laneCounts(
  db: ReadDb,
  organizationId: string,
  stages: { id: number; contact_count: number }[],
  filter: ContactFilter,
): Promise<Map<number, number>> {
  const { stageId: _stage, leadStatusId, hadOutreach, assignedUserId, ...others } = filter
  if (Object.values(others).some((value) => value !== undefined)) return countByStage(db, organizationId, filter)
  if (leadStatusId === undefined && hadOutreach === undefined && assignedUserId === undefined)
    return new Map(stages.map((s) => [s.id, s.contact_count]))
  if (stages.length === 0) return new Map()
  let query = db
    .selectFrom('stage_filter_counts')
    .select(['stage_id', (eb) => eb.fn.sum<number>('contacts').as('n')])
    .where(
      'stage_id',
      'in',
      stages.map((s) => s.id),
    )
  if (leadStatusId !== undefined) query = query.where('lead_status_id', '=', leadStatusId)
  if (hadOutreach !== undefined) query = query.where('had_outreach', '=', hadOutreach)
  if (assignedUserId !== undefined) query = query.where('assigned_user_id', '=', assignedUserId)
  const rows = await query.groupBy('stage_id').execute()
  return new Map(rows.map((r) => [r.stage_id, Number(r.n)]))
}
