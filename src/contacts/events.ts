import type { ActivityVia } from '../core/actor.ts'
import type { Contact } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { type EventType, recordEvents } from '../webhooks/events.ts'
import { type ContactView, contactView } from './view.ts'

/** One webhook event about a contact: its type, who caused it, and what changed (from/to). */
export interface ContactEvent {
  type: EventType
  via: ActivityVia
  changes?: Record<string, unknown>
}

/**
 * Puts the events of one change to `contact` in the webhook outbox, in the request's transaction.
 * Each carries the contact as the API shows it after the change (built once, and only if some
 * endpoint subscribes). Returns that view when it was built, so a caller answering with the same
 * contact need not build it again.
 */
export async function recordContactEvents(
  trx: Trx,
  contact: Contact,
  events: ContactEvent[],
  now: string,
): Promise<ContactView | undefined> {
  let view: ContactView | undefined
  const drafts = events.map(({ type, via, changes }) => ({
    type,
    via,
    data: async () => {
      view ??= await contactView(trx, contact)
      return { contact: view, ...(changes ? { changes } : {}) }
    },
  }))
  await recordEvents(trx, contact.organization_id, drafts, now)
  return view
}

/** `{ field: { from, to } }`, the shape every event's `changes` uses. */
export function fromTo(field: string, from: unknown, to: unknown): Record<string, { from: unknown; to: unknown }> {
  return { [field]: { from, to } }
}

/** A recorded reply's text and time, and the contact's last reply time before it. */
export function replyChanges(reply: { content: string; sentAt: string }, lastBefore: string | null) {
  return { reply: { content: reply.content, sent_at: reply.sentAt }, last_response_at_before: lastBefore }
}
