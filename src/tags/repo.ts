import { invalidField } from '../core/validate.ts'
import { compiled } from '../db/compiled.ts'
import { takeNumbers } from '../db/id-numbers.ts'
import type { Tag } from '../db/schema.ts'
import type { ReadDb, Trx } from '../db/write.ts'

export interface TagView {
  id: number
  name: string
  color: string
}

/** The organization's tags with these names (case-insensitive), in no particular order. */
function findTagsByName(trx: ReadDb, organizationId: string, names: string[]): Promise<Tag[]> {
  if (names.length === 0) return Promise.resolve([])
  return trx
    .selectFrom('tags')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('name', 'in', names) // COLLATE NOCASE column
    .execute()
}

/** The organization's tags with these names, or a 400 naming `field` and every name it has no tag for. */
export async function findExistingTags(db: ReadDb, organizationId: string, names: string[], field: string): Promise<Tag[]> {
  const tags = await findTagsByName(db, organizationId, names)
  const known = new Set(tags.map((t) => t.name.toLowerCase()))
  const unknown = names.filter((n) => !known.has(n.toLowerCase()))
  if (unknown.length > 0)
    throw invalidField(field, `names tags this organization does not have: ${unknown.map((n) => JSON.stringify(n)).join(', ')}`)
  return tags
}

/**
 * The tags with these names, creating the missing ones in `color`. An existing tag keeps its
 * first spelling and colour: auto-creation never renames or recolours.
 */
export async function ensureTags(trx: Trx, organizationId: string, names: string[], color: string, now: string): Promise<Tag[]> {
  const existing = await findTagsByName(trx, organizationId, names)
  const known = new Set(existing.map((t) => t.name.toLowerCase()))
  const missing = names.filter((n) => !known.has(n.toLowerCase()))
  if (missing.length === 0) return existing
  const first = await takeNumbers(trx, organizationId, 'tags', missing.length)
  const created = await trx
    .insertInto('tags')
    .values(missing.map((name, i) => ({ organization_id: organizationId, number: first + i, name, color, created_at: now })))
    .returningAll()
    .execute()
  return [...existing, ...created]
}

/** Applies tags to a contact, skipping those it already carries; returns the newly applied ones. */
export async function attachTags(trx: Trx, contactId: string, tags: Tag[], now: string): Promise<Tag[]> {
  if (tags.length === 0) return []
  const inserted = await trx
    .insertInto('contact_tags')
    .values(tags.map((t) => ({ contact_id: contactId, tag_id: t.id, created_at: now })))
    .onConflict((oc) => oc.doNothing())
    .returning('tag_id')
    .execute()
  const added = new Set(inserted.map((r) => r.tag_id))
  return tags.filter((t) => added.has(t.id))
}

// A tag is shown by its number within the organization (see takeNumbers), never its internal id.
const tagsOf = compiled((db, contactId: string) =>
  db
    .selectFrom('contact_tags as ct')
    .innerJoin('tags as t', 't.id', 'ct.tag_id')
    .select(['t.number as id', 't.name', 't.color'])
    .where('ct.contact_id', '=', contactId)
    .orderBy('t.name') // COLLATE NOCASE: case-insensitive order
    .orderBy('t.id'),
)

/** A contact's tags, sorted by name (case-insensitively). */
export function contactTags(trx: ReadDb, contactId: string): Promise<TagView[]> {
  return tagsOf(trx, contactId)
}

/** The tags of many contacts at once, each list sorted as contactTags sorts it. */
export async function tagsOfContacts(trx: ReadDb, contactIds: string[]): Promise<Map<string, TagView[]>> {
  const byContact = new Map<string, TagView[]>()
  if (contactIds.length === 0) return byContact
  const rows = await trx
    .selectFrom('contact_tags as ct')
    .innerJoin('tags as t', 't.id', 'ct.tag_id')
    .select(['ct.contact_id', 't.number as id', 't.name', 't.color'])
    .where('ct.contact_id', 'in', contactIds)
    .orderBy('t.name')
    .orderBy('t.id')
    .execute()
  for (const { contact_id, ...tag } of rows) {
    const list = byContact.get(contact_id) ?? []
    list.push(tag)
    byContact.set(contact_id, list)
  }
  return byContact
}

/** The tags a contact carries, as stored. */
export function appliedTags(trx: Trx, contactId: string): Promise<Tag[]> {
  return trx
    .selectFrom('contact_tags as ct')
    .innerJoin('tags as t', 't.id', 'ct.tag_id')
    .selectAll('t')
    .where('ct.contact_id', '=', contactId)
    .execute()
}

/** Takes tags off a contact, ignoring those it does not carry; returns the ids actually removed. */
export async function detachTags(trx: Trx, contactId: string, tagIds: number[]): Promise<number[]> {
  if (tagIds.length === 0) return []
  const deleted = await trx
    .deleteFrom('contact_tags')
    .where('contact_id', '=', contactId)
    .where('tag_id', 'in', tagIds)
    .returning('tag_id')
    .execute()
  return deleted.map((r) => r.tag_id)
}

/** Tag names as activity-log values: stored spelling, sorted case-insensitively, comma-joined. */
export function tagNamesForLog(tags: { name: string }[]): string {
  return tags
    .map((t) => t.name)
    .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))
    .join(', ')
}
