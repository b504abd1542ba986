import { randomUUID } from 'node:crypto'
import { AppError } from '../core/errors.ts'
import { compiled } from '../db/compiled.ts'
import type { Organization } from '../db/schema.ts'
import type { ReadDb, Trx } from '../db/write.ts'
import { createDefaultStages, DEFAULT_BOOKING_STAGE, findStageByName } from '../pipeline/service.ts'
import { type CreatedToken, createToken } from '../tokens/service.ts'

export type SubscriptionStatus = Organization['subscription_status']

/** A new organization with the default pipeline and its first token (plaintext returned once). */
export async function createOrganization(trx: Trx, input: { name: string; pageName?: string | null }, now: string) {
  const name = input.name.trim()
  if (name === '' || name.length > 200) throw new AppError('validation', 'Organization name must be 1-200 characters')
  const pageName = input.pageName?.trim() || null
  if (pageName) await assertPageNameFree(trx, pageName)
  const id = randomUUID()
  await trx
    .insertInto('organizations')
    .values({
      id,
      name,
      page_name: pageName,
      subscription_status: 'active',
      inbound_stage_id: null,
      outreach_stage_id: null,
      created_at: now,
    })
    .execute()
  await createDefaultStages(trx, id, now)
  // Analytics count a contact as booked when it enters this stage (docs/analytics.md).
  const booking = await findStageByName(trx, id, DEFAULT_BOOKING_STAGE)
  await trx
    .updateTable('organizations')
    .set({ booking_stage_id: booking?.id ?? null })
    .where('id', '=', id)
    .execute()
  const token: CreatedToken = await createToken(trx, id, 'initial', now)
  return { id, name, page_name: pageName, token }
}

async function assertPageNameFree(trx: ReadDb, pageName: string, exceptOrgId?: string) {
  const taken = await findOrganizationByPageName(trx, pageName)
  if (taken && taken.id !== exceptOrgId) {
    const message = `The page name "${pageName}" belongs to another organization`
    // details name the API field; the CLI prints only the message.
    throw new AppError('validation', message, [{ field: 'page_name', message: 'belongs to another organization' }])
  }
}

/** Gives the organization a new page_name, which no other organization may hold. */
export async function setPageName(trx: Trx, id: string, pageName: string) {
  await assertPageNameFree(trx, pageName, id)
  await trx.updateTable('organizations').set({ page_name: pageName }).where('id', '=', id).execute()
}

/** On an empty database, one organization so that the API can be called right away; undefined otherwise. */
export async function createFirstOrganization(trx: Trx, now: string) {
  // Looked up inside the write, so that of servers started together only one creates it.
  const any = await trx.selectFrom('organizations').select('id').limit(1).executeTakeFirst()
  return any ? undefined : createOrganization(trx, { name: 'My Organization' }, now)
}

export function listOrganizations(trx: ReadDb) {
  return trx
    .selectFrom('organizations')
    .select(['id', 'name', 'page_name', 'subscription_status', 'created_at'])
    .orderBy('created_at')
    .execute()
}

// Every API request looks its organization up: compiled once (see compiled()).
const orgById = compiled((db, id: string) => db.selectFrom('organizations').selectAll().where('id', '=', id))

export async function findOrganization(db: ReadDb, id: string): Promise<Organization | undefined> {
  return (await orgById(db, id))[0]
}

/** The organization whose page_name is exactly `pageName` (page names are unique). */
export function findOrganizationByPageName(trx: ReadDb, pageName: string): Promise<Organization | undefined> {
  return trx.selectFrom('organizations').selectAll().where('page_name', '=', pageName).executeTakeFirst()
}

export async function getOrganization(trx: ReadDb, id: string): Promise<Organization> {
  const org = await findOrganization(trx, id)
  if (!org) throw new AppError('not_found', `No organization with id ${id}`)
  return org
}

export async function setSubscriptionStatus(trx: Trx, id: string, status: SubscriptionStatus) {
  await getOrganization(trx, id)
  await trx.updateTable('organizations').set({ subscription_status: status }).where('id', '=', id).execute()
}
