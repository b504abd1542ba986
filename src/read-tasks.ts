// Every read that runs in a read worker (src/read-worker.ts), by name. The rule for what goes
// here is in docs/architecture.md ("Reads and the write path"): lists, details, boards and exports,
// anything whose cost grows with the organization's data.

import type { InferOutput } from 'valibot'
import type { dailyQuery, OutreachGrouping, outreachQuery, RangeInput, settersQuery } from './analytics/schemas.ts'
import { dailyReport, outreachReport, pageReports, settersReport } from './analytics/service.ts'
import { contactsCsv } from './contacts/csv.ts'
import { contactDetail } from './contacts/detail.ts'
import { resolveFilter } from './contacts/filter.ts'
import { contactPage, cursorPosition, nextCursor } from './contacts/page.ts'
import { pipelineBoard, pipelineLanes } from './contacts/pipeline-board.ts'
import type { contactDetailQuery, contactExportQuery, contactListQuery } from './contacts/schemas.ts'
import { contactViews } from './contacts/view.ts'
import type { Caller } from './core/actor.ts'
import type { Cursor } from './core/cursor.ts'
import { invalidField } from './core/validate.ts'
import type { ReadPool, RunTasks, StreamTasks } from './db/read-pool.ts'
import type { ReadDb } from './db/write.ts'
import { filteredBoard, followUpBoard } from './follow-ups/board.ts'
import { callerOrganization } from './organizations/access.ts'
import { getOrganization } from './organizations/service.ts'
import { listStages } from './pipeline/service.ts'

/** Rows per page while streaming an export: the worker holds one page at a time. */
export const EXPORT_PAGE_SIZE = 500

type AnalyticsArgs<Query> = { organizationId: string; query: Query; now: number }

export const runTasks = {
  async contactList(db: ReadDb, { caller, query, now }: { caller: Caller; query: InferOutput<typeof contactListQuery>; now: number }) {
    const org = await callerOrganization(db, caller)
    const filter = await resolveFilter(db, org, query, now)
    const page = await contactPage(db, org.id, filter, cursorPosition(filter, query.cursor), query.limit)
    return { data: await contactViews(db, page.contacts), next_cursor: nextCursor(filter, page.next) }
  },
  contactDetail: (
    db: ReadDb,
    { organizationId, id, query }: { organizationId: string; id: string; query: InferOutput<typeof contactDetailQuery> },
  ) => contactDetail(db, organizationId, id, query),
  followUpBoard: async (db: ReadDb, { caller, now, limit }: { caller: Caller; now: number; limit: number }) =>
    followUpBoard(db, await callerOrganization(db, caller), now, limit),
  pipeline: (db: ReadDb, { organizationId, limit }: { organizationId: string; limit: number }) => pipelineBoard(db, organizationId, limit),
  // Setter analytics: range reads over a 90-day (up to 366-day) window of the organization. The
  // API passes its token's organization, the web app the signed-in person's.
  analyticsSetters: async (db: ReadDb, { organizationId, query, now }: AnalyticsArgs<InferOutput<typeof settersQuery>>) =>
    settersReport(db, await getOrganization(db, organizationId), query, now),
  analyticsOutreach: async (db: ReadDb, { organizationId, query, now }: AnalyticsArgs<InferOutput<typeof outreachQuery>>) =>
    outreachReport(db, await getOrganization(db, organizationId), query, now),
  analyticsDaily: async (db: ReadDb, { organizationId, query, now }: AnalyticsArgs<InferOutput<typeof dailyQuery>>) =>
    dailyReport(db, await getOrganization(db, organizationId), query, now),
  /** The /analytics page: its three reports in one read, so the table and the charts show one snapshot. */
  webAnalytics: async (
    db: ReadDb,
    { organizationId, range, by, now }: { organizationId: string; range: RangeInput; by: OutreachGrouping; now: number },
  ) => pageReports(db, await getOrganization(db, organizationId), { ...range, by }, now),
  // The web app's pages (src/web/), for the signed-in person's organization.
  webBoard: (
    db: ReadDb,
    {
      organizationId,
      query,
      now,
      pageSize,
    }: { organizationId: string; query: InferOutput<typeof contactListQuery>; now: number; pageSize: number },
  ) => filteredBoard(db, organizationId, query, now, pageSize),
  async webContacts(
    db: ReadDb,
    { organizationId, query, now }: { organizationId: string; query: InferOutput<typeof contactListQuery>; now: number },
  ) {
    const filter = await resolveFilter(db, await getOrganization(db, organizationId), query, now)
    const page = await contactPage(db, organizationId, filter, cursorPosition(filter, query.cursor), query.limit)
    return { items: await contactViews(db, page.contacts), next: nextCursor(filter, page.next) }
  },
  // Settings: the stages with their contact counts (a count over the organization's contacts).
  webSettingsStages: (db: ReadDb, { organizationId }: { organizationId: string }) => listStages(db, organizationId),
  webPipeline: async (
    db: ReadDb,
    {
      organizationId,
      query,
      now,
      pageSize,
      more,
      assigned,
    }: {
      organizationId: string
      query: InferOutput<typeof contactExportQuery>
      now: number
      pageSize: number
      more?: { stage: number; cursor: Cursor }
      /** A setter's email: only the contacts assigned to them. */
      assigned?: string
    },
  ) => {
    const setters = await db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.id', 'u.email'])
      .where('m.organization_id', '=', organizationId)
      .orderBy('u.email')
      .execute()
    const setter = assigned === undefined ? undefined : setters.find((s) => s.email.toLowerCase() === assigned.toLowerCase())
    if (assigned !== undefined && !setter) throw invalidField('assigned', `${assigned} is not a member of this organization`)
    const view = await pipelineLanes(db, await getOrganization(db, organizationId), query, now, pageSize, more, setter?.id)
    return { ...view, setters: setters.map((s) => s.email) }
  },
  async webContact(
    db: ReadDb,
    { organizationId, id, query }: { organizationId: string; id: string; query: InferOutput<typeof contactDetailQuery> },
  ) {
    // The version first: if the contact changes between this and the detail, the page's forms carry
    // the older version and a submit is refused, never the other way round (a newer version with
    // older contents would let a stale form through).
    const row = await db
      .selectFrom('contacts')
      .select('version')
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst()
    const detail = await contactDetail(db, organizationId, id, query)
    const tags = await db
      .selectFrom('tags')
      .select(['name', 'color'])
      .where('organization_id', '=', organizationId)
      .orderBy('name')
      .limit(500)
      .execute()
    const stages = await db
      .selectFrom('pipeline_stages')
      .select('name')
      .where('organization_id', '=', organizationId)
      .where('active', '=', 1)
      .orderBy('position')
      .execute()
    return { detail, version: row?.version ?? 0, tags, stages: stages.map((s) => s.name) }
  },
} satisfies RunTasks

export const streamTasks = {
  async *contactsCsv(
    db: ReadDb,
    { caller, query, now }: { caller: Caller; query: InferOutput<typeof contactExportQuery>; now: number },
    { pageSize = EXPORT_PAGE_SIZE },
  ) {
    // A bad filter throws here, before the first chunk: the client gets a JSON 400, not a cut CSV.
    const filter = await resolveFilter(db, await callerOrganization(db, caller), query, now)
    yield* contactsCsv(async (after) => {
      const page = await contactPage(db, caller.organizationId, filter, after, pageSize)
      return { views: await contactViews(db, page.contacts), next: page.next }
    })
  },
  async *webContactsCsv(
    db: ReadDb,
    { organizationId, query, now }: { organizationId: string; query: InferOutput<typeof contactExportQuery>; now: number },
    { pageSize = EXPORT_PAGE_SIZE },
  ) {
    const filter = await resolveFilter(db, await getOrganization(db, organizationId), query, now)
    yield* contactsCsv(async (after) => {
      const page = await contactPage(db, organizationId, filter, after, pageSize)
      return { views: await contactViews(db, page.contacts), next: page.next }
    })
  },
} satisfies StreamTasks

/** The read workers, typed by the tasks above. */
export type Reads = ReadPool<typeof runTasks, typeof streamTasks>
