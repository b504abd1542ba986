// A contact's lead status: four fixed values, stored as their ids.

export const LEAD_STATUSES = ['open', 'won', 'lost', 'abandoned'] as const
export type LeadStatusName = (typeof LEAD_STATUSES)[number]

/** Lead status ids are fixed: open=1, won=2, lost=3, abandoned=4. */
export function leadStatusName(id: number): LeadStatusName {
  return LEAD_STATUSES[id - 1] ?? 'open'
}

/** The id of a lead status name (case-insensitive, trimmed), or undefined if there is none. */
export function leadStatusId(name: string): number | undefined {
  const index = (LEAD_STATUSES as readonly string[]).indexOf(name.trim().toLowerCase())
  return index === -1 ? undefined : index + 1
}
