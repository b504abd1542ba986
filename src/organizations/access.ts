import { compiled } from '../db/compiled.ts'
import type { Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { assertCallerOrg } from '../http/auth.ts'
import type { Caller } from '../http/context.ts'
import { AppError } from '../core/errors.ts'

const orgById = compiled((db, id: string) => db.selectFrom('organizations').selectAll().where('id', '=', id))

/** What write endpoints answer (200, status "success") for a cancelled organization. */
export const CANCELLED_MESSAGE = 'Organization subscription is cancelled; the request was accepted but nothing was processed'

/** The organization a request names, after checking that the caller's token belongs to it. */
export async function requestOrganization(trx: Trx, caller: Caller, organizationId: string): Promise<Organization> {
  assertCallerOrg(caller, organizationId)
  const [org] = await orgById(trx, organizationId)
  // A token's organization always exists (tokens cascade with it); this guards a race with deletion.
  if (!org) throw new AppError('unauthorized', 'The x-org-auth-token does not belong to an existing organization')
  return org
}

/** Cancelled organizations get a success answer and no writes, so webhook senders stop retrying. */
export function isCancelled(org: Organization): boolean {
  return org.subscription_status === 'cancelled'
}

/** The caller's own organization, for endpoints that take no organization_id (the read API). */
export function callerOrganization(trx: Trx, caller: Caller): Promise<Organization> {
  return requestOrganization(trx, caller, caller.organizationId)
}
