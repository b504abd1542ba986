import { timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import { hashToken } from '../tokens/tokens.ts'
import type { TokenUsage } from '../tokens/usage.ts'
import type { AppEnv, Caller } from './context.ts'
import { AppError } from './errors.ts'

export const TOKEN_HEADER = 'x-org-auth-token'

/** Authenticates `x-org-auth-token` and sets `caller` to the token's organization. */
export function orgAuth({ db, usage, now }: { db: Kysely<Database>; usage: TokenUsage; now: () => number }): MiddlewareHandler<AppEnv> {
  return async function orgAuthMiddleware(c, next) {
    const token = c.req.header(TOKEN_HEADER)?.trim()
    if (!token) throw new AppError('unauthorized', `Missing ${TOKEN_HEADER} header`)
    const hash = hashToken(token)
    const row = await db
      .selectFrom('api_tokens')
      .select(['id', 'organization_id', 'token_hash'])
      .where('token_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    // The index finds the row by hash; the constant-time compare keeps the final check free of timing leaks.
    if (!row || !timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(hash, 'hex'))) {
      throw new AppError('unauthorized', `Invalid or revoked ${TOKEN_HEADER}`)
    }
    usage.touch(row.id, now())
    c.set('caller', { organizationId: row.organization_id, tokenId: row.id })
    await next()
  }
}

/** A token belongs to one organization; naming another one is a 401, whether or not it exists. */
export function assertCallerOrg(caller: Caller, organizationId: string): void {
  if (caller.organizationId !== organizationId) {
    throw new AppError('unauthorized', `The ${TOKEN_HEADER} does not belong to organization ${organizationId}`)
  }
}
