import { timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import type { Kysely } from 'kysely'
import { TOKEN_HEADER } from '../core/actor.ts'
import { AppError } from '../core/errors.ts'
import { compiled } from '../db/compiled.ts'
import type { Database } from '../db/schema.ts'
import { hashToken } from '../tokens/service.ts'
import type { TokenUsage } from '../tokens/usage.ts'
import type { AppEnv } from './context.ts'
import { type BucketOptions, type Buckets, TokenBuckets } from './rate-limit.ts'

// Every API request runs this lookup: compiled once, not per request.
const activeTokenByHash = compiled((db, hash: string) =>
  db
    .selectFrom('api_tokens')
    .select(['id', 'organization_id', 'token_hash'])
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null),
)

export interface OrgAuthOptions {
  db: Kysely<Database>
  usage: TokenUsage
  now: () => number
  /** Failed attempts per minute from one client address before it is refused with 429; 0 = no limit. */
  failuresPerMinute: number
  /** The address failures are counted against (see client-address.ts). */
  clientAddress: (c: Context) => string
  /** Where the failure buckets live (see shared-buckets.ts); this process's memory by default. */
  buckets?: (options: BucketOptions) => Buckets
}

/**
 * Authenticates `x-org-auth-token` and sets `caller` to the token's organization. Each failure
 * costs the client address a token from a bucket; once the bucket is empty, that address's
 * failures are 429s instead of 401s. A valid token is always let in, throttled address or not:
 * many clients can share one address (everyone behind a proxy that sends no X-Forwarded-For,
 * every ManyChat account), and one of them guessing must not lock the others out. Tokens are
 * 256 random bits, so checking every one that arrives gives a guesser nothing.
 */
export function orgAuth({
  db,
  usage,
  now,
  failuresPerMinute,
  clientAddress,
  buckets = (o) => new TokenBuckets(o),
}: OrgAuthOptions): MiddlewareHandler<AppEnv> {
  const failures = failuresPerMinute > 0 ? buckets({ perMinute: failuresPerMinute, burst: failuresPerMinute, now }) : undefined
  return async function orgAuthMiddleware(c, next) {
    const token = c.req.header(TOKEN_HEADER)?.trim()
    const hash = token ? hashToken(token) : undefined
    const [row] = hash ? await activeTokenByHash(db, hash) : []
    // The index finds the row by hash; the constant-time compare keeps the final check free of timing leaks.
    if (!row || !timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(hash!, 'hex'))) {
      if (failures && !(await failures.take(clientAddress(c))).allowed) {
        throw new AppError('rate_limited', 'Too many failed authentication attempts from this address; try again in a minute', undefined, {
          'Retry-After': '60',
        })
      }
      throw new AppError('unauthorized', token ? `Invalid or revoked ${TOKEN_HEADER}` : `Missing ${TOKEN_HEADER} header`)
    }
    usage.touch(row.id, now())
    c.set('caller', { organizationId: row.organization_id, tokenId: row.id })
    await next()
  }
}
