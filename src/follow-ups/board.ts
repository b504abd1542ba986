import { dueRange } from '../contacts/filter.ts'
import { type CountedPage, countedFirstPage } from '../contacts/page.ts'
import { todayBounds } from '../core/time-zone.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { followUpSettings } from './settings.ts'

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
