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
    await trx
      .insertInto('memberships')
      .values({ organization_id: org.id, user_id: user.id, role: input.role, created_at: now })
      .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doUpdateSet({ role: input.role }))
      .execute()
  }
  return { id: user.id, email: user.email }
}
