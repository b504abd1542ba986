import type { ActivityVia } from '../core/actor.ts'
import { takeNumbers } from '../db/id-numbers.ts'
import type { Trx } from '../db/write.ts'

/** One change to a contact: what changed, from what, to what, and who or what did it. */
export interface ActivityEntry {
  organizationId: string
  contactId: string | null
  /** What changed, e.g. `lead_status`, `pipeline_stage`, `tags_added`, `contact_created`. */
  action: string
  oldValue?: string | null
  newValue?: string | null
  via: ActivityVia
  automationId?: number | null
  userId?: string | null
}

/** Writes activity-log rows in the caller's transaction, all stamped with `at`. */
export async function logActivity(trx: Trx, entries: ActivityEntry[], at: string): Promise<void> {
  if (entries.length === 0) return
  // Every caller logs the changes of one organization at a time.
  const organizationId = entries[0]!.organizationId
  if (entries.some((e) => e.organizationId !== organizationId)) throw new Error('logActivity: entries of several organizations')
  const first = await takeNumbers(trx, organizationId, 'activity', entries.length)
  await trx
    .insertInto('activity_log')
    .values(
      entries.map((e, i) => ({
        organization_id: organizationId,
        number: first + i,
        contact_id: e.contactId,
        action: e.action,
        old_value: e.oldValue ?? null,
        new_value: e.newValue ?? null,
        via: e.via,
        automation_id: e.automationId ?? null,
        user_id: e.userId ?? null,
        created_at: at,
      })),
    )
    .execute()
}
