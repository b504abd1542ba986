import { type Caller, TOKEN_HEADER } from '../core/actor.ts'
import { AppError } from '../core/errors.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { findOrganization } from './service.ts'

/** What write endpoints answer (200, status "success") for a cancelled organization. */
export const CANCELLED_MESSAGE = 'Organization subscription is cancelled; the request was accepted but nothing was processed'

/** The organization a request names, after checking that the caller's token belongs to it. */
export async function requestOrganization(trx: ReadDb, caller: Caller, organizationId: string): Promise<Organization> {
  assertCallerOrg(caller, organizationId)
  const org = await findOrganization(trx, organizationId)
  // A token's organization always exists (tokens cascade with it); this guards a race with deletion.
  if (!org) throw new AppError('unauthorized', `The ${TOKEN_HEADER} does not belong to an existing organization`)
  return org
}

/** Cancelled organizations get a success answer and no writes, so webhook senders stop retrying. */
export function isCancelled(org: Organization): boolean {
  return org.subscription_status === 'cancelled'
}

/** The caller's own organization, for endpoints that take no organization_id (the read API). */
export function callerOrganization(trx: ReadDb, caller: Caller): Promise<Organization> {
  return requestOrganization(trx, caller, caller.organizationId)
}

/** A token belongs to one organization; naming another one is a 401, whether or not it exists. */
function assertCallerOrg(caller: Caller, organizationId: string): void {
  if (caller.organizationId !== organizationId) {
    throw new AppError('unauthorized', `The ${TOKEN_HEADER} does not belong to organization ${organizationId}`)
  }
}
