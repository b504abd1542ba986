import type { ReadDb, Trx } from '../db/write.ts'

/** How long a key's answer is kept and replayed. */
export const KEEP_MS = 24 * 60 * 60 * 1000

export interface StoredAnswer {
  fingerprint: string
  status: number
  body: string
}

/** The answer stored for this organization's key, unless it is older than KEEP_MS. */
export function findAnswer(db: ReadDb, organizationId: string, key: string, now: number): Promise<StoredAnswer | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'status', 'body'])
    .where('organization_id', '=', organizationId)
    .where('key', '=', key)
    .where('created_at', '>', new Date(now - KEEP_MS).toISOString())
    .executeTakeFirst()
}

/** Stores the answer in the request's own transaction, and forgets answers past KEEP_MS. */
export async function saveAnswer(trx: Trx, organizationId: string, key: string, answer: StoredAnswer, now: number): Promise<void> {
  const at = new Date(now).toISOString()
  await trx
    .deleteFrom('idempotency_keys')
    .where('created_at', '<=', new Date(now - KEEP_MS).toISOString())
    .execute()
  await trx
    .insertInto('idempotency_keys')
    .values({ organization_id: organizationId, key, ...answer, created_at: at })
    .onConflict((oc) => oc.columns(['organization_id', 'key']).doUpdateSet({ ...answer, created_at: at }))
    .execute()
}
