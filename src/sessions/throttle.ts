import { sql } from 'kysely'
import type { ReadDb, Trx } from '../db/write.ts'

// The sign-in throttle. Failed sign-ins are counted per account (the email typed, whether or not
// it exists, so the throttle itself tells nothing) and per client address. Past a few free
// failures, each further attempt on that key must wait, doubling per failure up to a cap: a
// guesser gets a handful of tries an hour, while the real person is at most MAX_WAIT_MS away
// from trying again, never locked out for good. A success clears the account's count; a day
// without failures forgets a key. Kept in the database, so a restart does not reset it.

const FREE = { account: 5, address: 20 } as const
const FIRST_WAIT_MS = 30_000
export const MAX_WAIT_MS = 15 * 60_000
const FORGET_AFTER_MS = 24 * 3600_000

export type ThrottleKey = `${keyof typeof FREE}:${string}`

export function throttleKeys(email: string, address: string): ThrottleKey[] {
  return [`account:${email.trim().toLowerCase()}`, `address:${address}`]
}

function waitAfter(key: ThrottleKey, failures: number): number {
  const free = FREE[key.startsWith('account:') ? 'account' : 'address']
  if (failures < free) return 0
  return Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(failures - free, 20))
}

/** How long (ms) the caller must still wait before another attempt on these keys; 0 = go ahead. */
export async function throttleWait(db: ReadDb, keys: ThrottleKey[], now: number): Promise<number> {
  const rows = await db.selectFrom('sign_in_failures').selectAll().where('key', 'in', keys).execute()
  let wait = 0
  for (const row of rows) {
    const last = Date.parse(row.last_failure_at)
    if (now - last >= FORGET_AFTER_MS) continue
    wait = Math.max(wait, last + waitAfter(row.key as ThrottleKey, row.failures) - now)
  }
  return Math.max(0, wait)
}

export async function recordFailure(trx: Trx, keys: ThrottleKey[], now: number): Promise<void> {
  const at = new Date(now).toISOString()
  const stale = new Date(now - FORGET_AFTER_MS).toISOString()
  for (const key of keys) {
    await trx
      .insertInto('sign_in_failures')
      .values({ key, failures: 1, last_failure_at: at })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql<number>`case when sign_in_failures.last_failure_at <= ${stale} then 1 else sign_in_failures.failures + 1 end`,
          last_failure_at: at,
        }),
      )
      .execute()
  }
}

export async function clearFailures(trx: Trx, key: ThrottleKey): Promise<void> {
  await trx.deleteFrom('sign_in_failures').where('key', '=', key).execute()
}
