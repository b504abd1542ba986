import * as v from 'valibot'

// A contact's lead status: four fixed values, stored as their ids.

export const LEAD_STATUSES = ['open', 'won', 'lost', 'abandoned'] as const
export type LeadStatusName = (typeof LEAD_STATUSES)[number]

/** Lead status ids are fixed: open=1, won=2, lost=3, abandoned=4. */
export const WON_STATUS_ID = 2

export function leadStatusName(id: number): LeadStatusName {
  return LEAD_STATUSES[id - 1] ?? 'open'
}

/** The id of a lead status name (case-insensitive, trimmed), or undefined if there is none. */
export function leadStatusId(name: string): number | undefined {
  const index = (LEAD_STATUSES as readonly string[]).indexOf(name.trim().toLowerCase())
  return index === -1 ? undefined : index + 1
}

/** A lead status name in a request (any case, trimmed), as its id: the one schema for it. */
export const leadStatus = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.toLowerCase(),
  v.picklist(LEAD_STATUSES, `must be one of ${LEAD_STATUSES.join(', ')}`),
  v.transform((name) => leadStatusId(name)!),
)
