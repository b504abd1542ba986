import { createHash } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError } from '../core/errors.ts'
import type { Store } from '../db/open.ts'
import type { Trx } from '../db/write.ts'
import { findAnswer, saveAnswer } from '../idempotency/repo.ts'
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
  // One server process owns the database's writes, so requests running now are known here.
  const running = new Set<string>()
  return async function idempotencyKey(c, next) {
    const key = c.req.header(IDEMPOTENCY_HEADER)
    const caller = c.get('caller')
    if (key === undefined || !caller || (c.req.method !== 'POST' && c.req.method !== 'PATCH')) return next()
    if (!VALID_KEY.test(key)) throw new AppError('bad_request', `${IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters`)
    const scope = `${caller.organizationId}\n${key}`
    if (running.has(scope)) {
      throw new AppError(
        'conflict',
        `A request with this ${IDEMPOTENCY_HEADER} is still being processed; repeat it once that one has answered`,
        undefined,
        { 'Retry-After': '1' },
      )
    }
    running.add(scope)
    try {
      const body = await readText(c.req.raw.clone() as typeof c.req.raw, bodyLimitBytes)
      const fingerprint = createHash('sha256')
        .update(`${c.req.method} ${new URL(c.req.url).pathname}\n${body}`)
        .digest('base64')
      const stored = await findAnswer(store.db, caller.organizationId, key, now())
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          throw new AppError(
            'unprocessable',
            `This ${IDEMPOTENCY_HEADER} was already used for a different request (method, path or body); send a new key for a new request`,
          )
        }
        return c.body(stored.body, stored.status as ContentfulStatusCode, {
          'Content-Type': 'application/json',
          'Idempotent-Replayed': 'true',
        })
      }
      c.set('idempotency', { organizationId: caller.organizationId, key, fingerprint })
      await next()
    } finally {
      running.delete(scope)
    }
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
  const { body, status = 200 } = await store.write(async (trx) => {
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
  })
  return c.json(body, status)
}
