import type { Cursor } from '../core/cursor.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { resolveFilter } from './filter.ts'
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
  // Unfiltered, the stages' own counts (kept by triggers); filtered, one grouped count.
  const filtered = Object.entries(filter).some(([key, value]) => key !== 'stageId' && value !== undefined)
  const counts = filtered ? await countByStage(db, org.id, filter) : new Map(active.map((s) => [s.id, s.contact_count]))
  const lanes: PipelineLane[] = []
  for (const stage of stages) {
    const laneFilter = { ...filter, stageId: stage.id }
    const page = await contactPage(db, org.id, laneFilter, more ? cursorPosition(laneFilter, more.cursor) : undefined, pageSize)
    lanes.push({
      number: stage.number,
      name: stage.name,
      color: stage.color,
      count: counts.get(stage.id) ?? 0,
      items: await contactViews(db, page.contacts),
      next: nextCursor(laneFilter, page.next),
    })
  }
  return { stages: active.map((s) => s.name), lanes }
}
