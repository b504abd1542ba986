import { type ActivityEntry, logActivity } from '../activity/repo.ts'
import type { Caller } from '../core/actor.ts'
import type { Contact, Organization, Tag } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { CANCELLED_MESSAGE, isCancelled, requestOrganization } from '../organizations/access.ts'
import {
  appliedTags,
  attachTags,
  contactTags,
  detachTags,
  ensureTags,
  findExistingTags,
  type TagView,
  tagNamesForLog,
} from '../tags/repo.ts'
import { resolveMember } from '../users/service.ts'
import { recordContactEvents } from './events.ts'
import { findActiveById, findActiveByUsername, findActiveContact, findNamedContact, updateContact } from './repo.ts'
import type { TagMode, UpdateTagsInput } from './schemas.ts'

export interface UpdateTagsResult {
  message: string
  data?: { contact_id: string; username: string; tags: TagView[] }
}

interface TagChange {
  added: Tag[]
  removed: Tag[]
}

type ApplyMode = (trx: Trx, contact: Contact, names: string[], color: string, now: string) => Promise<TagChange>

const MODES: Record<TagMode, { apply: ApplyMode; message: string }> = {
  set: { apply: setTags, message: 'Tags set successfully' },
  add: { apply: addTags, message: 'Tags added successfully' },
  remove: { apply: removeTags, message: 'Tags removed successfully' },
}

/** update-tags-external: applies `mode` to the contact's tags and logs what actually changed. */
export async function updateContactTags(trx: Trx, caller: Caller, input: UpdateTagsInput, now: string): Promise<UpdateTagsResult> {
  const org = await requestOrganization(trx, caller, input.organizationId)
  if (isCancelled(org)) return { message: CANCELLED_MESSAGE }
  const user = input.email === undefined ? undefined : await resolveMember(trx, org.id, input.email)
  const contact = await findNamedContact(
    trx,
    org.id,
    { field: 'contact_id', value: input.contactId, find: findActiveById },
    { field: 'username', value: input.username, find: findActiveByUsername },
  )
  const mode = MODES[input.mode]
  await applyTags(trx, contact, input.mode, input.tagNames, input.tagColor, user?.id ?? null, now)
  return {
    message: mode.message,
    data: { contact_id: contact.id, username: contact.username, tags: await contactTags(trx, contact.id) },
  }
}

/** The web app's tag add/remove on one contact, logged as the signed-in member (the same change as update-tags-external). */
export async function changeTags(
  trx: Trx,
  org: Organization,
  id: string,
  change: { mode: 'add' | 'remove'; names: string[]; color: string },
  email: string,
  now: string,
): Promise<void> {
  const contact = await findActiveContact(trx, org.id, id)
  const user = await resolveMember(trx, org.id, email)
  await applyTags(trx, contact, change.mode, change.names, change.color, user.id, now)
}

/** Applies `mode` and logs (activity, webhook events) what actually changed. */
async function applyTags(trx: Trx, contact: Contact, mode: TagMode, names: string[], color: string, userId: string | null, now: string) {
  const { added, removed } = await MODES[mode].apply(trx, contact, names, color, now)
  const base = { organizationId: contact.organization_id, contactId: contact.id, via: 'api' as const, userId }
  const entries: ActivityEntry[] = []
  if (added.length > 0) entries.push({ ...base, action: 'tags_added', newValue: tagNamesForLog(added) })
  if (removed.length > 0) entries.push({ ...base, action: 'tags_removed', oldValue: tagNamesForLog(removed) })
  if (entries.length > 0) {
    await logActivity(trx, entries, now)
    const updated = await updateContact(trx, contact.id, {}, now) // stamps updated_at: the contact changed
    const tags = { added: added.map((t) => t.name), removed: removed.map((t) => t.name) }
    await recordContactEvents(trx, updated, [{ type: 'contact.tags_changed', via: 'api', changes: { tags } }], now)
  }
}

async function setTags(trx: Trx, contact: Contact, names: string[], color: string, now: string): Promise<TagChange> {
  const target = await ensureTags(trx, contact.organization_id, names, color, now)
  const keep = new Set(target.map((t) => t.id))
  const current = await appliedTags(trx, contact.id)
  const dropped = current.filter((t) => !keep.has(t.id))
  await detachTags(
    trx,
    contact.id,
    dropped.map((t) => t.id),
  )
  const added = await attachTags(trx, contact.id, target, now)
  return { added, removed: dropped }
}

async function addTags(trx: Trx, contact: Contact, names: string[], color: string, now: string): Promise<TagChange> {
  const tags = await ensureTags(trx, contact.organization_id, names, color, now)
  return { added: await attachTags(trx, contact.id, tags, now), removed: [] }
}

async function removeTags(trx: Trx, contact: Contact, names: string[]): Promise<TagChange> {
  const tags = await findExistingTags(trx, contact.organization_id, names, 'tag_names')
  const detached = new Set(
    await detachTags(
      trx,
      contact.id,
      tags.map((t) => t.id),
    ),
  )
  return { added: [], removed: tags.filter((t) => detached.has(t.id)) }
}
