import type { Cursor } from '../core/cursor.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { type ContactFilter, resolveFilter } from './filter.ts'
import {
  type CountedPage,
  contactPage,
  countByStage,
  countedFirstPage,
  countInStages,
  cursorPosition,
  groupConditions,
  nextCursor,
  type Start,
} from './page.ts'
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
  const ids = active.map((s) => s.id)
  const byTag =
    filter.due === undefined && filter.updatedSince === undefined && filter.usernamePrefix === undefined && filter.tagIds?.length
  const tag = byTag ? await rarestTag(db, filter.tagIds!, ids) : undefined
  const counts = await laneCounts(db, org.id, active, filter, tag)
  const lanes: PipelineLane[] = []
  for (const stage of stages) {
    const laneFilter = { ...filter, stageId: stage.id }
    const count = counts.get(stage.id) ?? 0
    // An empty column has no page to look for: under a rare filter that search would walk the whole stage.
    const page =
      count === 0
        ? { contacts: [] }
        : await contactPage(
            db,
            org.id,
            laneFilter,
            more ? cursorPosition(laneFilter, more.cursor) : undefined,
            pageSize,
            laneStart(laneFilter, stage.id, tag),
          )
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
 * Where a column's page starts (see Start): under a tag (newest first), that tag's contacts in the
 * stage in created order; under a username search (by username), the stage's matching usernames
 * (rather than a rare tag's contacts, rareStart's choice, which each column would read whole);
 * otherwise as the lists choose (rareStart).
 */
function laneStart(filter: ContactFilter, stageId: number, tag: number | undefined): Start | undefined {
  if (tag !== undefined) return { taggedIn: { tag, stage: stageId } }
  if (filter.usernamePrefix !== undefined && filter.due === undefined)
    return { namedIn: { usernamePrefix: filter.usernamePrefix, stage: stageId } }
  return undefined
}

/** Of the filter's tags (all of which a contact must carry), the one on the fewest contacts in these stages. */
async function rarestTag(db: ReadDb, tagIds: number[], stageIds: number[]): Promise<number> {
  if (tagIds.length === 1 || stageIds.length === 0) return tagIds[0]!
  const totals = await db
    .selectFrom('stage_tag_counts')
    .select(['tag_id', (eb) => eb.fn.sum<number>('contacts').as('n')])
    .where('tag_id', 'in', tagIds)
    .where('stage_id', 'in', stageIds)
    .groupBy('tag_id')
    .execute()
  const total = new Map(totals.map((t) => [t.tag_id, Number(t.n)]))
  return tagIds.reduce((rarest, id) => ((total.get(id) ?? 0) < (total.get(rarest) ?? 0) ? id : rarest))
}

/**
 * Each stage's exact number of contacts the filter keeps, from counts kept by triggers or indexes
 * that hold what a filter tests, never by reading each matching contact's row:
 * - unfiltered: the stages' own counts;
 * - by lead status, type and assigned setter (any of them): the sums of stage_filter_counts' groups;
 * - by one tag (`tag`, with or without those): the sums of stage_tag_counts' groups; by several
 *   tags, the rarest one's tagged_contacts rows counted, each probed for the other tags;
 * - by username search (with any other filter): a range of contacts_org_stage_username per stage;
 * - by follow-up time or updated_since (not on the pipeline's form, only in a hand-made link): one
 *   grouped count over the matching contacts.
 */
async function laneCounts(
  db: ReadDb,
  organizationId: string,
  stages: { id: number; contact_count: number }[],
  filter: ContactFilter,
  tag: number | undefined,
): Promise<Map<number, number>> {
  const { stageId: _stage, leadStatusId, hadOutreach, assignedUserId, tagIds, usernamePrefix, ...others } = filter
  if (Object.values(others).some((value) => value !== undefined)) return countByStage(db, organizationId, filter)
  const ids = stages.map((s) => s.id)
  if (usernamePrefix !== undefined) return countInStages(db, organizationId, filter, ids)
  if (tag === undefined && leadStatusId === undefined && hadOutreach === undefined && assignedUserId === undefined)
    return new Map(stages.map((s) => [s.id, s.contact_count]))
  if (ids.length === 0) return new Map()
  const group = groupConditions(filter, 't')
  const counted = (rows: { stage: number; n: number | string }[]) => new Map(rows.map((r) => [r.stage, Number(r.n)]))
  if (tag === undefined) {
    let query = db
      .selectFrom('stage_filter_counts as t')
      .select(['t.stage_id as stage', (eb) => eb.fn.sum<number>('t.contacts').as('n')])
      .where('t.stage_id', 'in', ids)
    for (const condition of group) query = query.where(condition)
    return counted(await query.groupBy('t.stage_id').execute())
  }
  if (tagIds!.length === 1) {
    let query = db
      .selectFrom('stage_tag_counts as t')
      .select(['t.stage_id as stage', (eb) => eb.fn.sum<number>('t.contacts').as('n')])
      .where('t.tag_id', '=', tag)
      .where('t.stage_id', 'in', ids)
    for (const condition of group) query = query.where(condition)
    return counted(await query.groupBy('t.stage_id').execute())
  }
  let query = db
    .selectFrom('tagged_contacts as t')
    .select(['t.stage_id as stage', (eb) => eb.fn.countAll<number>().as('n')])
    .where('t.tag_id', '=', tag)
    .where('t.stage_id', 'in', ids)
  for (const other of tagIds!.filter((id) => id !== tag))
    query = query.where((eb) =>
      eb.exists(
        eb.selectFrom('contact_tags as o').select('o.tag_id').whereRef('o.contact_id', '=', 't.contact_id').where('o.tag_id', '=', other),
      ),
    )
  for (const condition of group) query = query.where(condition)
  return counted(await query.groupBy('t.stage_id').execute())
}
