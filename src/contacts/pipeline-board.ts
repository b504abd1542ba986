import type { ReadDb } from '../db/write.ts'
import { type CountedPage, countedFirstPage } from './page.ts'

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
