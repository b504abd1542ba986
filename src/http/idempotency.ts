import { createHash } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError } from '../core/errors.ts'
import type { Store } from '../db/open.ts'
import type { Trx } from '../db/write.ts'
import { claimKey, findAnswer, releaseKey, type StoredAnswer, saveAnswer } from '../idempotency/repo.ts'
import { readText } from './body.ts'
import type { AppEnv } from './context.ts'

/** The header, as in the IETF httpapi draft and Stripe's API. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key'
const VALID_KEY = /^[\x20-\x7e]{1,255}$/

/**
 * Idempotency-Key on POST and PATCH (after authentication, before the route's rate limit): a
 * repeat of a finished request with the same key gets the stored answer with
 * `Idempotent-Replayed: true` and runs nothing; the same key on a different request is a 422; a
 * repeat while the first is still running is a 409. Keys belong to the caller's organization.
 * Requests without the header pass through untouched.
 */
export function idempotency(store: Store, bodyLimitBytes: number, now: () => number): MiddlewareHandler<AppEnv> {
  const claims = store.engine === 'postgres' ? databaseClaims(store, now) : memoryClaims(store, now)
  return async function idempotencyKey(c, next) {
    const key = c.req.header(IDEMPOTENCY_HEADER)
    const caller = c.get('caller')
    if (key === undefined || !caller || (c.req.method !== 'POST' && c.req.method !== 'PATCH')) return next()
    if (!VALID_KEY.test(key)) throw new AppError('bad_request', `${IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters`)
    const body = await readText(c.req.raw.clone() as typeof c.req.raw, bodyLimitBytes)
    const fingerprint = createHash('sha256')
      .update(`${c.req.method} ${new URL(c.req.url).pathname}\n${body}`)
      .digest('base64')
    const claim = await claims.claim(caller.organizationId, key, fingerprint)
    if (claim === 'running') {
      throw new AppError(
        'conflict',
        `A request with this ${IDEMPOTENCY_HEADER} is still being processed; repeat it once that one has answered`,
        undefined,
        { 'Retry-After': '1' },
      )
    }
    if (claim !== 'claimed') {
      if (claim.fingerprint !== fingerprint) {
        throw new AppError(
          'unprocessable',
          `This ${IDEMPOTENCY_HEADER} was already used for a different request (method, path or body); send a new key for a new request`,
        )
      }
      return c.body(claim.body, claim.status as ContentfulStatusCode, {
        'Content-Type': 'application/json',
        'Idempotent-Replayed': 'true',
      })
    }
    const pending = { organizationId: caller.organizationId, key, fingerprint, saved: false }
    c.set('idempotency', pending)
    try {
      await next()
    } finally {
      await claims.release(caller.organizationId, key, pending.saved)
    }
  }
}

/** Who is running a key now: 'running', a stored answer, or 'claimed' (this request runs it). */
interface Claims {
  claim(organizationId: string, key: string, fingerprint: string): Promise<'running' | 'claimed' | StoredAnswer>
  /** Ends this request's claim; `saved`: its answer was stored in its write. */
  release(organizationId: string, key: string, saved: boolean): Promise<void>
}

/** SQLite: one server process owns the database's writes, so requests running now are known here. */
function memoryClaims(store: Store, now: () => number): Claims {
  const running = new Set<string>()
  return {
    async claim(organizationId, key) {
      const scope = `${organizationId}\n${key}`
      if (running.has(scope)) return 'running'
      running.add(scope)
      try {
        const stored = await findAnswer(store.db, organizationId, key, now())
        if (stored) running.delete(scope)
        return stored ?? 'claimed'
      } catch (error) {
        running.delete(scope)
        throw error
      }
    },
    async release(organizationId, key) {
      running.delete(`${organizationId}\n${key}`)
    },
  }
}

/**
 * PostgreSQL: several instances serve one database, so the claim is a row every instance sees
 * (idempotency/repo.ts claimKey), taken in the organization's turn like its writes.
 */
function databaseClaims(store: Store, now: () => number): Claims {
  return {
    claim: (organizationId, key, fingerprint) =>
      store.write((trx) => claimKey(trx, organizationId, key, fingerprint, now()), { serializeBy: organizationId }),
    async release(organizationId, key, saved) {
      if (saved) return // the answer replaced the claim in the same transaction
      // Should this fail, the claim lapses after its lease (repo.ts); the request's own outcome stands.
      await store.write((trx) => releaseKey(trx, organizationId, key), { serializeBy: organizationId }).catch(() => {})
    },
  }
}

export interface Answer {
  body: unknown
  status?: ContentfulStatusCode
}

/**
 * Runs a write and answers it: with an Idempotency-Key, the answer is stored in the same
 * transaction as the change, so a stored answer exists exactly when the change does.
 */
export async function writeAndAnswer<T>(
  c: Context<AppEnv>,
  store: Store,
  now: number,
  work: (trx: Trx) => Promise<T>,
  answer: (value: T) => Answer,
): Promise<Response> {
  const pending = c.get('idempotency')
  const { body, status = 200 } = await store.write(
    async (trx) => {
      const result = answer(await work(trx))
      if (pending)
        await saveAnswer(
          trx,
          pending.organizationId,
          pending.key,
          { fingerprint: pending.fingerprint, status: result.status ?? 200, body: JSON.stringify(result.body) },
          now,
        )
      return result
      // On PostgreSQL the caller's organization's writes take turns (store.write's serializeBy).
    },
    { serializeBy: c.get('caller')?.organizationId },
  )
  if (pending) pending.saved = true
  return c.json(body, status)
}
