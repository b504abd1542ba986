import { isoTime } from '../core/time.ts'
import type { ContactUpdate } from '../db/schema.ts'

const DAY_MS = 86_400_000
const DEFAULT_CADENCE_DAYS = [1, 2, 4, 7]

/** The organization's follow-up intervals in days, as stored (JSON array of positive numbers). */
export function parseCadence(stored: string): number[] {
  try {
    const days: unknown = JSON.parse(stored)
    if (Array.isArray(days) && days.length > 0 && days.every((d) => typeof d === 'number' && d > 0)) return days
  } catch {
    // fall through: a damaged setting should not stop contacts from being tracked
  }
  return DEFAULT_CADENCE_DAYS
}

function addDays(iso: string, days: number): string {
  return isoTime(Date.parse(iso) + days * DAY_MS)
}

/** A recorded reply: the contact is waiting on the organization from now, counters reset. */
export function replyFollowUp(now: string): ContactUpdate {
  return { follow_up_needed: 1, follow_up_count: 0, last_follow_up_at: null, next_follow_up_at: now }
}

/** New outreach: due one interval after the outreach went out. */
export function outreachFollowUp(cadence: number[], now: string): ContactUpdate {
  return { follow_up_needed: 1, follow_up_count: 0, last_follow_up_at: null, next_follow_up_at: addDays(now, cadence[0] ?? 1) }
}

/**
 * A follow-up marked done. Each message the organization sends waits one interval: the outreach
 * itself waits the first (see outreachFollowUp), so the first follow-up after it waits the second;
 * after a reply the answer is the first message and waits the first interval. When the intervals
 * run out the contact leaves the board.
 */
export function doneFollowUp(
  cadence: number[],
  contact: { follow_up_count: number; last_response_at: string | null },
  now: string,
): ContactUpdate {
  const outreachCycle = contact.last_response_at === null // a reply always starts a new cycle
  const days = cadence[contact.follow_up_count + (outreachCycle ? 1 : 0)]
  const count = contact.follow_up_count + 1
  return days === undefined
    ? { follow_up_needed: 0, follow_up_count: count, last_follow_up_at: now, next_follow_up_at: null }
    : { follow_up_needed: 1, follow_up_count: count, last_follow_up_at: now, next_follow_up_at: addDays(now, days) }
}
