// Every read that runs in a read worker (src/read-worker.ts), by name. The rule for what goes
// here is in docs/architecture.md ("Reads and the write path"): lists, details, boards and exports,
// anything whose cost grows with the organization's data.
import { contactsCsv } from './contacts/csv.ts'
import { contactDetail } from './contacts/detail.ts'
import { resolveFilter } from './contacts/filter.ts'
import { contactPage, cursorPosition, nextCursor } from './contacts/page.ts'
import type { contactDetailQuery, contactExportQuery, contactListQuery } from './contacts/schemas.ts'
import { contactViews } from './contacts/view.ts'
import type { ReadPool, RunTasks, StreamTasks } from './db/read-pool.ts'
import type { ReadDb } from './db/write.ts'
import { followUpBoard } from './follow-ups/board.ts'
import type { Caller } from './core/actor.ts'
import { callerOrganization } from './organizations/access.ts'
import { pipelineBoard } from './contacts/pipeline-board.ts'
import type { InferOutput } from 'valibot'

/** Rows per page while streaming an export: the worker holds one page at a time. */
export const EXPORT_PAGE_SIZE = 500

export const runTasks = {
  async contactList(db: ReadDb, { caller, query, now }: { caller: Caller; query: InferOutput<typeof contactListQuery>; now: number }) {
    const org = await callerOrganization(db, caller)
    const filter = await resolveFilter(db, org, query, now)
    const page = await contactPage(db, org.id, filter, cursorPosition(filter, query.cursor), query.limit)
    return { data: await contactViews(db, page.contacts), next_cursor: nextCursor(filter, page.next) }
  },
  contactDetail: (db: ReadDb, { organizationId, id, query }: { organizationId: string; id: string; query: InferOutput<typeof contactDetailQuery> }) =>
    contactDetail(db, organizationId, id, query),
  followUpBoard: async (db: ReadDb, { caller, now, limit }: { caller: Caller; now: number; limit: number }) =>
    followUpBoard(db, await callerOrganization(db, caller), now, limit),
  pipeline: (db: ReadDb, { organizationId, limit }: { organizationId: string; limit: number }) => pipelineBoard(db, organizationId, limit),
} satisfies RunTasks

export const streamTasks = {
  async *contactsCsv(db: ReadDb, { caller, query, now }: { caller: Caller; query: InferOutput<typeof contactExportQuery>; now: number }, { pageSize = EXPORT_PAGE_SIZE }) {
    // A bad filter throws here, before the first chunk: the client gets a JSON 400, not a cut CSV.
    const filter = await resolveFilter(db, await callerOrganization(db, caller), query, now)
    yield* contactsCsv(async (after) => {
      const page = await contactPage(db, caller.organizationId, filter, after, pageSize)
      return { views: await contactViews(db, page.contacts), next: page.next }
    })
  },
} satisfies StreamTasks

/** The read workers, typed by the tasks above. */
export type Reads = ReadPool<typeof runTasks, typeof streamTasks>
