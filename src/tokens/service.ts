import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { AppError } from '../core/errors.ts'
import type { ReadDb, Trx } from '../db/write.ts'

/** Recognisable by secret scanners; the rest is 256 random bits. */
const TOKEN_PREFIX = 'dmt_'
const DISPLAY_LENGTH = TOKEN_PREFIX.length + 6

function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url')
}

/** Tokens are stored only as this hash; a leaked database does not leak working tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export interface CreatedToken {
  id: string
  organization_id: string
  label: string | null
  display_prefix: string
  /** The plaintext: shown once, never stored. */
  token: string
}

export async function createToken(db: Trx, organizationId: string, label: string | null, now: string): Promise<CreatedToken> {
  const token = generateToken()
  const row = {
    id: randomUUID(),
    organization_id: organizationId,
    token_hash: hashToken(token),
    display_prefix: token.slice(0, DISPLAY_LENGTH),
    label,
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  }
  await db.insertInto('api_tokens').values(row).execute()
  return { id: row.id, organization_id: organizationId, label, display_prefix: row.display_prefix, token }
}

export function listTokens(db: ReadDb, organizationId: string) {
  return db
    .selectFrom('api_tokens')
    .select(['id', 'display_prefix', 'label', 'created_at', 'last_used_at', 'revoked_at'])
    .where('organization_id', '=', organizationId)
    .orderBy('created_at')
    .execute()
}

export async function revokeToken(db: Trx, tokenId: string, now: string): Promise<void> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', tokenId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  if (result.numUpdatedRows === 0n) throw new AppError('not_found', `No active token with id ${tokenId}`)
}
