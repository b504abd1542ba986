import { isoTime } from '../core/time.ts'
import type { Store } from '../db/open.ts'

/** Deliveries removed in one write: small enough that a request arriving meanwhile hardly waits. */
export const PRUNE_BATCH = 500

/**
 * Removes up to `batch` finished deliveries (delivered or failed), oldest first, with their
 * attempts (the foreign key cascades): those created before `beforeMs` and not attempted since
 * (a delivery retried by hand lately stays as long as a new one would). Pending deliveries are
 * never removed, however old: they are still to be sent (a disabled endpoint's wait for it to be
 * enabled again). Returns how many went; fewer than `batch` means none is left to remove.
 *
 * Delivery ids are UUIDv7s made at their creation time, so "created before" is a range of the
 * primary key: the walk reads only the old end of the outbox, with no index of its own.
 */
export async function pruneDeliveries(store: Store, beforeMs: number, batch = PRUNE_BATCH): Promise<number> {
  const before = isoTime(beforeMs)
  return store.write(async (trx) => {
    const old = trx
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('id', '<', idFloor(beforeMs))
      .where('status', '<>', 'pending')
      .where((eb) => eb.or([eb('last_attempt_at', 'is', null), eb('last_attempt_at', '<', before)]))
      .orderBy('id')
      .limit(batch)
    const gone = await trx.deleteFrom('webhook_deliveries').where('id', 'in', old).executeTakeFirst()
    return Number(gone.numDeletedRows)
  })
}

/**
 * The smallest UUIDv7 text of `ms`: every id made earlier sorts below it, every id made then or
 * later not. A time before 1970 (a keep period longer than the clock's age) gives 1970's floor,
 * below every id: written out, its minus sign would sort above them all under a collation that
 * ignores punctuation (en_US on PostgreSQL).
 */
export function idFloor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-`
}
