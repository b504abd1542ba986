import type { InferOutput } from 'valibot'
import { dueRange, resolveFilter } from '../contacts/filter.ts'
import { type CountedPage, contactPage, countedFirstPage, cursorPosition, nextCursor, rareStart } from '../contacts/page.ts'
import type { contactListQuery } from '../contacts/schemas.ts'
import { type ContactView, contactViews } from '../contacts/view.ts'
import { todayBounds } from '../core/time-zone.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { getOrganization } from '../organizations/service.ts'
import { activeStageNames } from '../pipeline/service.ts'
import { followUpSettings } from './settings.ts'

type ContactListInput = InferOutput<typeof contactListQuery>

const BOARD_GROUPS = ['overdue', 'today', 'upcoming'] as const

/**
 * The follow-up board: contacts waiting on the organization, grouped by their next follow-up
 * time against the organization's calendar day (overdue: before today; today; upcoming: after
 * today), most pressing first. Continue a group with GET /contacts?follow_up=<group>&cursor=...
 */
export async function followUpBoard(db: ReadDb, org: Organization, now: number, limit: number) {
  const day = todayBounds(org.timezone, now)
  const groups = {} as Record<(typeof BOARD_GROUPS)[number], CountedPage>
  for (const group of BOARD_GROUPS) groups[group] = await countedFirstPage(db, org.id, { due: dueRange(group, org.timezone, now) }, limit)
  return { ...followUpSettings(org), day_start: day.start, day_end: day.end, ...groups }
}

export const BOARD_GROUPS_HEADED = [
  { key: 'overdue', heading: 'Overdue' },
  { key: 'today', heading: 'Today' },
  { key: 'upcoming', heading: 'Upcoming' },
] as const

export interface BoardSection {
  key: (typeof BOARD_GROUPS)[number]
  heading: string
  /** 0 on a continuation page (`cursor`), where counts are not read again. */
  count: number
  exact: boolean
  items: ContactView[]
  next: string | null
}

export interface BoardSections {
  sections: BoardSection[]
  /** The active stages' names, for the stage filter. */
  stages: string[]
}

/**
 * Where the web board's section counts stop ("1000+"). Each count walks the due index entry by
 * entry, and at 200,000 waiting contacts two sections reached the API's COUNT_LIMIT (10,000) on
 * every render: most of the page's read time. A setter acts on the first cards; past a thousand the
 * exact number changes nothing (docs/decisions.md, "Board counts"). The API keeps COUNT_LIMIT.
 */
export const BOARD_COUNT_LIMIT = 1_000

/**
 * The web app's board: the three groups with GET /contacts' filters (`follow_up` picks one group,
 * continued from `cursor`), each with its count and first `pageSize` cards.
 */
export async function filteredBoard(
  db: ReadDb,
  organizationId: string,
  query: ContactListInput,
  now: number,
  pageSize: number,
): Promise<BoardSections> {
  const org = await getOrganization(db, organizationId)
  const filter = await resolveFilter(db, org, { ...query, follow_up: undefined }, now)
  const only = query.follow_up && query.follow_up !== 'any' ? query.follow_up : undefined
  // Where the lists start (a rare tag, a few matching usernames) does not depend on the group: asked once.
  const start = (await rareStart(db, org.id, { ...filter, due: {} })) ?? null
  const sections: BoardSection[] = []
  for (const { key, heading } of BOARD_GROUPS_HEADED) {
    if (only && only !== key) continue
    const groupFilter = { ...filter, due: dueRange(key, org.timezone, now) }
    if (only && query.cursor) {
      const page = await contactPage(db, org.id, groupFilter, cursorPosition(groupFilter, query.cursor), query.limit, start)
      sections.push({
        key,
        heading,
        count: 0,
        exact: false,
        items: await contactViews(db, page.contacts),
        next: nextCursor(groupFilter, page.next),
      })
      continue
    }
    const page = await countedFirstPage(db, org.id, groupFilter, only ? query.limit : pageSize, {
      start,
      countLimit: BOARD_COUNT_LIMIT,
    })
    sections.push({ key, heading, count: page.count, exact: page.count_exact, items: page.items, next: page.next_cursor })
  }
  return { sections, stages: await activeStageNames(db, org.id) }
}
