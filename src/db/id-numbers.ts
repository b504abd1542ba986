import type { NumberedKind } from './schema.ts'
import type { Trx } from './write.ts'

/**
 * Takes the organization's next `count` numbers of `kind` and returns the first. Tags, messages,
 * notes, activity, automations and pipeline stages are shown by these numbers, counted per organization, never by
 * their internal ids, which all organizations share: an id one organization sees says nothing of
 * how much the others write. Numbers are never reused, even after a row is removed.
 */
export async function takeNumbers(trx: Trx, organizationId: string, kind: NumberedKind, count = 1): Promise<number> {
  const { last } = await trx
    .insertInto('id_numbers')
    .values({ organization_id: organizationId, kind, last: count })
    .onConflict((oc) => oc.columns(['organization_id', 'kind']).doUpdateSet((eb) => ({ last: eb('id_numbers.last', '+', count) })))
    .returning('last')
    .executeTakeFirstOrThrow()
  return last - count + 1
}
