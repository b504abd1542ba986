import type { ActivityVia } from '../core/actor.ts'
import { uuidV7 } from '../db/uuid-v7.ts'
import type { ReadDb, Trx } from '../db/write.ts'

/** The events an endpoint can subscribe to (or `*` for all); `webhook.test` is sent by `webhook test` only. */
export const EVENT_TYPES = [
  'contact.created',
  'contact.replied',
  'contact.status_changed',
  'contact.stage_changed',
  'contact.tags_changed',
  'contact.archived',
  'follow_up.done',
] as const

export type EventType = (typeof EVENT_TYPES)[number] | 'webhook.test'

/** Most deliveries one endpoint may have waiting; past it, new ones are recorded as failed at once. */
export const MAX_PENDING_PER_ENDPOINT = 10_000

/** One event of a change; `data` is built only if some endpoint wants it. */
export interface EventDraft {
  type: EventType
  via?: ActivityVia
  /** What the event is about, as the API shows it, plus what changed; organization_id and via are added. */
  data: () => Promise<Record<string, unknown>>
}

/** Whether `events` (as stored: JSON array or `*`) includes `type`. */
export function subscribes(events: string, type: EventType): boolean {
  return events === '*' || (JSON.parse(events) as string[]).includes(type)
}

/**
 * Writes the events of one change to the outbox, in the change's own transaction (savepoint):
 * one pending delivery per enabled endpoint of the organization that subscribes to it. If the
 * change rolls back, so do its deliveries; once it commits, the worker will send them.
 */
export async function recordEvents(trx: Trx, organizationId: string, events: EventDraft[], now: string): Promise<void> {
  if (events.length === 0) return
  const endpoints = await enabledEndpoints(trx, organizationId)
  if (endpoints.length === 0) return
  for (const event of events) {
    const targets = endpoints.filter((e) => subscribes(e.events, event.type))
    if (targets.length === 0) continue
    const data = { organization_id: organizationId, ...(event.via ? { via: event.via } : {}), ...(await event.data()) }
    await queueDeliveries(trx, targets, event.type, data, now)
  }
}

/** One message (one webhook-id, one payload) queued for each of `endpoints`. */
export async function queueDeliveries(
  trx: Trx,
  endpoints: { id: string; pending: number }[],
  type: EventType,
  data: Record<string, unknown>,
  now: string,
): Promise<string[]> {
  const nowMs = Date.parse(now)
  const messageId = `msg_${uuidV7(nowMs).replaceAll('-', '')}`
  const payload = JSON.stringify({ type, timestamp: now, data })
  const ids: string[] = []
  for (const endpoint of endpoints) {
    const id = uuidV7(nowMs)
    const full = endpoint.pending >= MAX_PENDING_PER_ENDPOINT
    await trx
      .insertInto('webhook_deliveries')
      .values({
        id,
        endpoint_id: endpoint.id,
        message_id: messageId,
        event_type: type,
        payload,
        status: full ? 'failed' : 'pending',
        next_attempt_at: full ? null : now,
        created_at: now,
      })
      .execute()
    if (full) {
      await trx
        .insertInto('webhook_attempts')
        .values({
          delivery_id: id,
          attempted_at: now,
          status_code: null,
          duration_ms: 0,
          error: `outbox full: ${MAX_PENDING_PER_ENDPOINT} deliveries already waiting`,
          response_body: null,
        })
        .execute()
    } else {
      await trx
        .updateTable('webhook_endpoints')
        .set((eb) => ({ pending: eb('pending', '+', 1) }))
        .where('id', '=', endpoint.id)
        .execute()
    }
    ids.push(id)
  }
  return ids
}

function enabledEndpoints(db: ReadDb, organizationId: string) {
  return db
    .selectFrom('webhook_endpoints')
    .select(['id', 'events', 'pending'])
    .where('organization_id', '=', organizationId)
    .where('enabled', '=', 1)
    .execute()
}
