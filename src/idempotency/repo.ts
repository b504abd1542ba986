import type { ReadDb, Trx } from '../db/write.ts'

/** How long a key's answer is kept and replayed. */
export const KEEP_MS = 24 * 60 * 60 * 1000

/**
 * The status of a key whose request is still running (PostgreSQL only, see claimKey): never an
 * HTTP status, so never replayed.
 */
const RUNNING = 0
/** A running claim older than this was left by an instance that stopped mid-request: taken over. */
const RUNNING_LEASE_MS = 60_000

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
    .where('status', '<>', RUNNING)
    .executeTakeFirst()
}

/**
 * Claims a key for a request about to run, in the database, so that every instance on it sees the
 * claim: 'running' when a request with the key is under way anywhere; the stored answer when one
 * finished; 'claimed' when this request is now the one running (until saveAnswer replaces the
 * claim with its answer, or releaseKey removes it).
 */
export async function claimKey(
  trx: Trx,
  organizationId: string,
  key: string,
  fingerprint: string,
  now: number,
): Promise<'running' | 'claimed' | StoredAnswer> {
  const row = await trx
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'status', 'body', 'created_at'])
    .where('organization_id', '=', organizationId)
    .where('key', '=', key)
    .executeTakeFirst()
  if (row && row.created_at > new Date(now - KEEP_MS).toISOString()) {
    if (row.status !== RUNNING) return row
    if (row.created_at > new Date(now - RUNNING_LEASE_MS).toISOString()) return 'running'
  }
  const claim = { fingerprint, status: RUNNING, body: '', created_at: new Date(now).toISOString() }
  await trx
    .insertInto('idempotency_keys')
    .values({ organization_id: organizationId, key, ...claim })
    .onConflict((oc) => oc.columns(['organization_id', 'key']).doUpdateSet(claim))
    .execute()
  return 'claimed'
}

/** Removes a claim whose request stored no answer (it failed, or answered other than 2xx). */
export async function releaseKey(trx: Trx, organizationId: string, key: string): Promise<void> {
  await trx
    .deleteFrom('idempotency_keys')
    .where('organization_id', '=', organizationId)
    .where('key', '=', key)
    .where('status', '=', RUNNING)
    .execute()
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
