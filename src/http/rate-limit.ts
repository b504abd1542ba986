import type { Context, MiddlewareHandler } from 'hono'
import { AppError } from '../core/errors.ts'
import type { AppEnv } from './context.ts'

const MINUTE_MS = 60_000

export interface BucketOptions {
  /** Tokens added per minute (the sustained rate). */
  perMinute: number
  /** Most tokens a bucket holds: how many requests may arrive at once. */
  burst: number
  /** Milliseconds; injected so tests move time instead of sleeping. */
  now: () => number
}

export interface Verdict {
  allowed: boolean
  /** Whole tokens left after this request. */
  remaining: number
  /** Whole seconds until another token is added; when refused, the wait before retrying. */
  resetSeconds: number
}

/** Token buckets, one per key: in this process's memory, or shared through the database (shared-buckets.ts). */
export interface Buckets {
  /** Takes one token from `key`'s bucket if it has one. */
  take(key: string): Verdict | Promise<Verdict>
}

/**
 * The verdict for a bucket `deficit` milliseconds of refill short of full (after this request's
 * token, if it was allowed): whole tokens left, and seconds until the next one.
 */
export function verdictFor(allowed: boolean, deficit: number, msPerToken: number, capacityMs: number): Verdict {
  const partial = deficit % msPerToken
  return {
    allowed,
    remaining: Math.floor((capacityMs - deficit) / msPerToken + 1e-9),
    resetSeconds: Math.ceil((partial > 1e-6 ? partial : msPerToken) / 1000),
  }
}

/**
 * In-memory token buckets, one per key. A bucket is stored as the time it will be full again
 * (fewer tokens = further in the future), so refill needs no timer, and a bucket whose time has
 * passed is full, which is the same as having no bucket: such buckets are dropped, so memory
 * holds only the keys used within the last `burst / perMinute` minutes.
 */
export class TokenBuckets implements Buckets {
  // Ordered by last token taken (re-inserted each time), so the stalest bucket is always first.
  private readonly fullAt = new Map<string, number>()
  private readonly msPerToken: number
  private readonly capacityMs: number

  constructor(private readonly options: BucketOptions) {
    if (!(options.perMinute > 0 && options.burst >= 1)) throw new RangeError('perMinute must be > 0 and burst >= 1')
    this.msPerToken = MINUTE_MS / options.perMinute
    this.capacityMs = options.burst * this.msPerToken
  }

  /** Takes one token from `key`'s bucket if it has one. */
  take(key: string): Verdict {
    const now = this.options.now()
    this.evictFull(now)
    let deficit = Math.max(0, (this.fullAt.get(key) ?? now) - now) // ms of refill the bucket is short of full
    const allowed = deficit + this.msPerToken <= this.capacityMs
    if (allowed) {
      deficit += this.msPerToken
      this.fullAt.delete(key)
      this.fullAt.set(key, now + deficit)
    }
    return verdictFor(allowed, deficit, this.msPerToken, this.capacityMs)
  }

  /** How many buckets are kept in memory (for tests and diagnostics). */
  get size(): number {
    return this.fullAt.size
  }

  private evictFull(now: number) {
    // Every bucket last used more than a full refill ago is full; they are all at the front.
    for (const [key, fullAt] of this.fullAt) {
      if (fullAt > now) break
      this.fullAt.delete(key)
    }
  }
}

export interface RateLimitOptions {
  perMinute: number
  burst: number
  now: () => number
  /** The bucket a request draws from, e.g. its organization. */
  key: (c: Context<AppEnv>) => string
  /** The quota policy's name in the RateLimit headers. */
  policy: string
  /** Where the buckets live (see bucketsFor): this process's memory, or the PostgreSQL database all instances share. */
  buckets?: (options: BucketOptions) => Buckets
}

/**
 * Hono middleware: one token per request, 429 with Retry-After when the bucket is empty, and the
 * IETF httpapi draft's `RateLimit-Policy` and `RateLimit` headers on every answer, including errors
 * raised after it. A limit or burst of 0 turns it off (benchmarks), without headers.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  if (options.perMinute <= 0 || options.burst <= 0) {
    return async function rateLimitOff(_c, next) {
      await next()
    }
  }
  const buckets = options.buckets?.(options) ?? new TokenBuckets(options)
  const name = JSON.stringify(options.policy)
  // q per w seconds: the sustained rate, as the draft's policy expresses it.
  const policy = `${name};q=${options.perMinute};w=60`
  return async function rateLimitMiddleware(c, next) {
    const verdict = await buckets.take(options.key(c))
    const headers = { 'RateLimit-Policy': policy, RateLimit: `${name};r=${verdict.remaining};t=${verdict.resetSeconds}` }
    if (!verdict.allowed) {
      throw new AppError(
        'rate_limited',
        `Rate limit exceeded: ${options.perMinute} requests per minute per organization. Retry in ${verdict.resetSeconds} second${verdict.resetSeconds === 1 ? '' : 's'}.`,
        undefined,
        { ...headers, 'Retry-After': String(verdict.resetSeconds) },
      )
    }
    for (const [header, value] of Object.entries(headers)) c.header(header, value)
    await next()
  }
}
