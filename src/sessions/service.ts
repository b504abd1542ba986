import { createHash, randomBytes } from 'node:crypto'
import { AppError } from '../core/errors.ts'
import { compiled } from '../db/compiled.ts'
import type { Role } from '../db/schema.ts'
import type { ReadDb, Trx } from '../db/write.ts'
import { getOrganization } from '../organizations/service.ts'
import { addUser } from '../users/service.ts'

// Browser sessions and one-time invites. A session id and an invite token are 256 random bits
// handed to the browser once; the database keeps only their SHA-256, so a copy of the database
// (a backup) signs nobody in.

/** A session ends after this long without a request... */
export const IDLE_LIMIT_MS = 7 * 24 * 3600_000
/** ...and this long after sign-in, however active. */
export const ABSOLUTE_LIMIT_MS = 30 * 24 * 3600_000
/** last_seen_at is written at most this often, so browsing is not a write per page. */
const TOUCH_EVERY_MS = 5 * 60_000
/** An invite link works this long, once. */
export const INVITE_LIFETIME_MS = 7 * 24 * 3600_000

export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

const iso = (ms: number) => new Date(ms).toISOString()

export function findUserByEmail(db: ReadDb, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email.trim()).executeTakeFirst()
}

/** The user's organizations with their role, by name. */
export function membershipsOf(db: ReadDb, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select(['o.id', 'o.name', 'm.role'])
    .where('m.user_id', '=', userId)
    .orderBy('o.name')
    .orderBy('o.id')
    .execute()
}

/** Starts a session for the user in their first organization (by name); returns the raw id for the cookie. */
export async function createSession(trx: Trx, userId: string, now: number): Promise<string> {
  const id = newSecret()
  const [first] = await membershipsOf(trx, userId)
  await trx
    .insertInto('sessions')
    .values({
      id_hash: hashSecret(id),
      user_id: userId,
      organization_id: first?.id ?? null,
      created_at: iso(now),
      last_seen_at: iso(now),
      expires_at: iso(now + ABSOLUTE_LIMIT_MS),
    })
    .execute()
  return id
}

export interface SignedIn {
  idHash: string
  user: { id: string; email: string; name: string | null }
  organizationId: string | null
  lastSeenAt: string
}

// Every signed-in page looks its session up, so the lookup is one query, compiled once (see
// compiled()): the session, its user, and one row per organization of the user with their role
// (one row with none when they have no organization).
const sessionRows = compiled((db, idHash: string) =>
  db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('memberships as m', 'm.user_id', 's.user_id')
    .leftJoin('organizations as o', 'o.id', 'm.organization_id')
    .select(['s.id_hash', 's.organization_id', 's.last_seen_at', 's.expires_at', 'u.id as user_id', 'u.email', 'u.name'])
    .select(['o.id as membership_id', 'o.name as membership_name', 'm.role'])
    .where('s.id_hash', '=', idHash)
    .orderBy('o.name')
    .orderBy('o.id'),
)

/**
 * The live session behind a raw id and the user's organizations with their role, by name (as
 * membershipsOf lists them), or undefined if there is no such session or it has expired.
 */
export async function findSessionWithMemberships(db: ReadDb, rawId: string, now: number) {
  const rows = await sessionRows(db, hashSecret(rawId))
  const row = rows[0]
  if (!row || row.expires_at <= iso(now) || row.last_seen_at <= iso(now - IDLE_LIMIT_MS)) return undefined
  const session: SignedIn = {
    idHash: row.id_hash,
    user: { id: row.user_id, email: row.email, name: row.name },
    organizationId: row.organization_id,
    lastSeenAt: row.last_seen_at,
  }
  const organizations = rows.flatMap((r) =>
    r.membership_id === null || r.membership_name === null || r.role === null
      ? []
      : [{ id: r.membership_id, name: r.membership_name, role: r.role }],
  )
  return { session, organizations }
}

/** The live session behind a raw id, or undefined if there is none or it has expired. */
export async function findSession(db: ReadDb, rawId: string, now: number): Promise<SignedIn | undefined> {
  return (await findSessionWithMemberships(db, rawId, now))?.session
}

/** Whether the session's idle clock should be written now (see TOUCH_EVERY_MS). */
export function needsTouch(session: SignedIn, now: number): boolean {
  return session.lastSeenAt <= iso(now - TOUCH_EVERY_MS)
}

export async function touchSession(trx: Trx, idHash: string, now: number): Promise<void> {
  await trx
    .updateTable('sessions')
    .set({ last_seen_at: iso(now) })
    .where('id_hash', '=', idHash)
    .execute()
}

export async function endSession(trx: Trx, idHash: string): Promise<void> {
  await trx.deleteFrom('sessions').where('id_hash', '=', idHash).execute()
}

/** Signs the user out everywhere, except the session `keep` (its hash) when given; returns how many ended. */
export async function endUserSessions(trx: Trx, userId: string, keep?: string): Promise<number> {
  let query = trx.deleteFrom('sessions').where('user_id', '=', userId)
  if (keep) query = query.where('id_hash', '!=', keep)
  const result = await query.executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Switches the session to another of the user's organizations; a 403 if not a member. */
export async function switchOrganization(trx: Trx, session: SignedIn, organizationId: string): Promise<void> {
  const member = (await membershipsOf(trx, session.user.id)).some((m) => m.id === organizationId)
  if (!member) throw new AppError('forbidden', 'You are not a member of that organization')
  await trx.updateTable('sessions').set({ organization_id: organizationId }).where('id_hash', '=', session.idHash).execute()
}

/** Sets a user's password (already hashed) and ends their other sessions. */
export async function setPasswordHash(trx: Trx, userId: string, passwordHash: string, keepSession?: string): Promise<number> {
  await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute()
  return endUserSessions(trx, userId, keepSession)
}

/** Live sessions, newest first, of one user or of everyone; no secret in them. */
export function listSessions(db: ReadDb, now: number, userId?: string) {
  let query = db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['u.email', 's.organization_id', 's.created_at', 's.last_seen_at', 's.expires_at'])
    .where('s.expires_at', '>', iso(now))
    .where('s.last_seen_at', '>', iso(now - IDLE_LIMIT_MS))
    .orderBy('s.created_at', 'desc')
  if (userId) query = query.where('s.user_id', '=', userId)
  return query.execute()
}

/** Creates a one-time invite; returns the raw token for the link (shown once). */
export async function createInvite(trx: Trx, input: { email: string; organizationId: string; role: Role }, now: number): Promise<string> {
  await getOrganization(trx, input.organizationId)
  const token = newSecret()
  await trx
    .insertInto('invites')
    .values({
      token_hash: hashSecret(token),
      email: input.email.trim(),
      organization_id: input.organizationId,
      role: input.role,
      created_at: iso(now),
      expires_at: iso(now + INVITE_LIFETIME_MS),
      used_at: null,
    })
    .execute()
  return token
}

/** The unused, unexpired invite behind a raw token, or undefined. */
export async function findInvite(db: ReadDb, token: string, now: number) {
  const invite = await db
    .selectFrom('invites as i')
    .innerJoin('organizations as o', 'o.id', 'i.organization_id')
    .select(['i.token_hash', 'i.email', 'i.organization_id', 'i.role', 'i.expires_at', 'i.used_at', 'o.name as organization_name'])
    .where('i.token_hash', '=', hashSecret(token))
    .executeTakeFirst()
  return invite && invite.used_at === null && invite.expires_at > iso(now) ? invite : undefined
}

/**
 * Uses an invite: the user (created if new) gets the membership and the password, every earlier
 * session of theirs ends, the invite cannot be used again, and a new session starts (its raw id returned).
 */
export async function acceptInvite(trx: Trx, token: string, passwordHash: string, now: number): Promise<string> {
  const invite = await findInvite(trx, token, now)
  if (!invite) throw new AppError('not_found', 'This invite link is not valid: it was used already, has expired, or was mistyped')
  const claimed = await trx
    .updateTable('invites')
    .set({ used_at: iso(now) })
    .where('token_hash', '=', invite.token_hash)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  if (Number(claimed.numUpdatedRows) !== 1) throw new AppError('not_found', 'This invite link was used already')
  const user = await addUser(trx, { email: invite.email, organizationId: invite.organization_id, role: invite.role }, iso(now))
  await setPasswordHash(trx, user.id, passwordHash)
  const session = await createSession(trx, user.id, now)
  await switchOrganization(trx, (await findSession(trx, session, now))!, invite.organization_id)
  return session
}
