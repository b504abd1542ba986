import { timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import type { Kysely } from 'kysely'
import { TOKEN_HEADER } from '../core/actor.ts'
import { compiled } from '../db/compiled.ts'
import type { Database } from '../db/schema.ts'
import { hashToken } from '../tokens/service.ts'
import type { TokenUsage } from '../tokens/usage.ts'
import { clientAddress } from './client-address.ts'
import type { AppEnv } from './context.ts'
import { AppError } from '../core/errors.ts'
import { TokenBuckets } from './rate-limit.ts'

// Every API request runs this lookup: compiled once, not per request.
const activeTokenByHash = compiled((db, hash: string) =>
  db.selectFrom('api_tokens').select(['id', 'organization_id', 'token_hash']).where('token_hash', '=', hash).where('revoked_at', 'is', null),
)

export interface OrgAuthOptions {
  db: Kysely<Database>
  usage: TokenUsage
  now: () => number
  /** Failed attempts per minute from one client address before it is refused with 429; 0 = no limit. */
  failuresPerMinute: number
}

/**
 * Authenticates `x-org-auth-token` and sets `caller` to the token's organization. Each failure
 * costs the client address a token from a bucket; an address with an empty bucket gets 429s
 * without its tokens being checked, so tokens cannot be guessed at speed.
 */
export function orgAuth({ db, usage, now, failuresPerMinute }: OrgAuthOptions): MiddlewareHandler<AppEnv> {
  const failures = failuresPerMinute > 0 ? new TokenBuckets({ perMinute: failuresPerMinute, burst: failuresPerMinute, now }) : undefined
  const refuse = (address: string, message: string): never => {
    failures?.take(address)
    throw new AppError('unauthorized', message)
  }
  return async function orgAuthMiddleware(c, next) {
    const address = failures ? clientAddress(c) : ''
    if (failures && !failures.hasToken(address)) {
      throw new AppError('rate_limited', 'Too many failed authentication attempts from this address; try again in a minute', undefined, { 'Retry-After': '60' })
    }
    const token = c.req.header(TOKEN_HEADER)?.trim()
    if (!token) return refuse(address, `Missing ${TOKEN_HEADER} header`)
    const hash = hashToken(token)
    const [row] = await activeTokenByHash(db, hash)
    // The index finds the row by hash; the constant-time compare keeps the final check free of timing leaks.
    if (!row || !timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(hash, 'hex'))) {
      return refuse(address, `Invalid or revoked ${TOKEN_HEADER}`)
    }
    usage.touch(row.id, now())
    c.set('caller', { organizationId: row.organization_id, tokenId: row.id })
    await next()
  }
}
