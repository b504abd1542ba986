import { randomUUID } from 'node:crypto'
import * as v from 'valibot'
import { AppError } from '../core/errors.ts'
import { email as emailField } from '../core/fields.ts'
import type { Role } from '../db/schema.ts'
import type { ReadDb, Trx } from '../db/write.ts'
import { getOrganization } from '../organizations/service.ts'

export const ROLES: readonly Role[] = ['member', 'admin', 'owner']

function findUserByEmail(trx: ReadDb, email: string) {
  // email is a COLLATE NOCASE column, so this lookup is case-insensitive and indexed.
  return trx.selectFrom('users').selectAll().where('email', '=', email.trim()).executeTakeFirst()
}

/**
 * The user behind an API request's `email`: 404 if there is no such user, 403 if the user is
 * not a member of the organization (the reference's rules).
 */
export async function resolveMember(trx: ReadDb, organizationId: string, email: string) {
  const user = await findUserByEmail(trx, email)
  if (!user) throw new AppError('not_found', `No user with email ${email}`)
  const membership = await trx
    .selectFrom('memberships')
    .select('role')
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', user.id)
    .executeTakeFirst()
  if (!membership) throw new AppError('forbidden', `User ${email} is not a member of organization ${organizationId}`)
  return user
}

/**
 * Adds a user, or with an organization, adds a membership (to a new or existing user).
 * Adding an existing user without an organization is an error, not a silent no-op.
 */
export async function addUser(trx: Trx, input: { email: string; name?: string; organizationId?: string; role: Role }, now: string) {
  // The rule the API applies to the email it is given, so every user can be named in a request.
  const parsed = v.safeParse(emailField, input.email)
  if (!parsed.success) throw new AppError('validation', `"${input.email}" is not a valid email address`)
  const email = parsed.output
  let user = await findUserByEmail(trx, email)
  if (user && !input.organizationId) throw new AppError('validation', `A user with email ${user.email} already exists`)
  if (!user) {
    user = { id: randomUUID(), email, name: input.name?.trim() || null, created_at: now, password_hash: null }
    await trx.insertInto('users').values(user).execute()
  }
  if (input.organizationId) {
    const org = await getOrganization(trx, input.organizationId)
    await assertKeepsAnOwner(trx, org.id, user.id, input.role)
    await trx
      .insertInto('memberships')
      .values({ organization_id: org.id, user_id: user.id, role: input.role, created_at: now })
      .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doUpdateSet({ role: input.role }))
      .execute()
  }
  return { id: user.id, email: user.email }
}

/** The organization's members with their role, by email. */
export function listMembers(db: ReadDb, organizationId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'u.name', 'm.role', 'm.created_at'])
    .where('m.organization_id', '=', organizationId)
    .orderBy('u.email')
    .execute()
}

/**
 * Who may hand out which role: an owner any, an admin `member` or `admin` only (so nobody makes
 * themselves or anyone else more powerful than they are). The CLI is the operator and acts as an owner.
 */
export function assertMayGrant(actorRole: Role, role: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new AppError('validation', `Role must be one of ${ROLES.join(', ')}`)
  if (role === 'owner' && actorRole !== 'owner') throw new AppError('forbidden', 'Only an owner can make someone an owner')
}

/** Refuses a change that would leave an organization that has an owner without one. */
async function assertKeepsAnOwner(trx: ReadDb, organizationId: string, userId: string, newRole: Role | null) {
  if (newRole === 'owner') return
  const owners = await trx
    .selectFrom('memberships')
    .select('user_id')
    .where('organization_id', '=', organizationId)
    .where('role', '=', 'owner')
    .execute()
  if (owners.length === 1 && owners[0]!.user_id === userId) {
    const what = newRole ? `change the last owner's role to ${newRole}` : 'remove the last owner'
    throw new AppError('validation', `Cannot ${what}: make someone else an owner first`)
  }
}

async function getMembership(trx: ReadDb, organizationId: string, userId: string) {
  const row = await trx
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.email', 'm.role'])
    .where('m.organization_id', '=', organizationId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst()
  if (!row) throw new AppError('not_found', 'That person is not a member of this organization')
  return row
}

/** Only an owner changes or removes an owner. */
function assertMayManage(actorRole: Role, targetRole: Role) {
  if (targetRole === 'owner' && actorRole !== 'owner') throw new AppError('forbidden', 'Only an owner can change or remove an owner')
}

/** Changes a member's role, by the rules above; returns their email and the roles before and after. */
export async function changeRole(trx: Trx, actorRole: Role, organizationId: string, userId: string, role: string) {
  assertMayGrant(actorRole, role)
  const member = await getMembership(trx, organizationId, userId)
  assertMayManage(actorRole, member.role)
  await assertKeepsAnOwner(trx, organizationId, userId, role)
  await trx.updateTable('memberships').set({ role }).where('organization_id', '=', organizationId).where('user_id', '=', userId).execute()
  return { email: member.email, from: member.role, to: role }
}

/** Removes a member from the organization (the user and their other memberships stay). */
export async function removeMember(trx: Trx, actorRole: Role, organizationId: string, userId: string) {
  const member = await getMembership(trx, organizationId, userId)
  assertMayManage(actorRole, member.role)
  await assertKeepsAnOwner(trx, organizationId, userId, null)
  await trx.deleteFrom('memberships').where('organization_id', '=', organizationId).where('user_id', '=', userId).execute()
  return { email: member.email, role: member.role }
}
