import type { ContactUpdate } from '../db/schema.ts'

const DAY_MS = 86_400_000
export const DEFAULT_CADENCE_DAYS = [1, 2, 4, 7]

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

export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString()
}

/** A recorded reply: the contact is waiting on the organization from now, counters reset. */
export function replyFollowUp(now: string): ContactUpdate {
  return { follow_up_needed: 1, follow_up_count: 0, last_follow_up_at: null, next_follow_up_at: now }
}

/** New outreach: due one interval after the outreach went out. */
export function outreachFollowUp(cadence: number[], now: string): ContactUpdate {
  return { follow_up_needed: 1, follow_up_count: 0, last_follow_up_at: null, next_follow_up_at: addDays(now, cadence[0] ?? 1) }
}
