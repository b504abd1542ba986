import type { ActivityVia } from '../core/actor.ts'
import { compiled, compiledWrite } from '../db/compiled.ts'
import type { DeliveryStatus } from '../db/schema.ts'
import { uuidV7 } from '../db/uuid-v7.ts'
import type { Trx } from '../db/write.ts'

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
 * Every write request runs this, so its statements are compiled once (see compiled()); each
 * endpoint's waiting count is kept by the outbox's triggers (migration 2026_12_03_1800).
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

/**
 * One message (one webhook-id, one payload) queued for each of `endpoints`, serialized once for
 * all of them; a delivery whose endpoint's outbox is full is failed at once.
 */
export async function queueDeliveries(
  trx: Trx,
  endpoints: { id: string; pending: number }[],
  type: EventType,
  data: Record<string, unknown>,
  now: string,
): Promise<string[]> {
  const nowMs = Date.parse(now)
  const payload = JSON.stringify({ type, timestamp: now, data })
  let messageId: string | undefined
  const ids: string[] = []
  for (const endpoint of endpoints) {
    const id = uuidV7(nowMs)
    // The message's id comes from its first delivery's, unique as that is: one random id less per event.
    messageId ??= `msg_${id.replaceAll('-', '')}`
    ids.push(id)
    // Both paths compiled: a dead receiver fills the outbox, and then every event of every write takes the full one.
    const room = endpoint.pending < MAX_PENDING_PER_ENDPOINT
    await insertDelivery(trx, id, endpoint.id, messageId, type, payload, room ? 'pending' : 'failed', room ? now : null, now)
    if (!room) await insertOutboxFull(trx, id, now)
  }
  return ids
}

const insertDelivery = compiledWrite(
  (
    db,
    id: string,
    endpointId: string,
    messageId: string,
    type: string,
    payload: string,
    status: DeliveryStatus,
    nextAttemptAt: string | null,
    now: string,
  ) =>
    db.insertInto('webhook_deliveries').values({
      id,
      endpoint_id: endpointId,
      message_id: messageId,
      event_type: type,
      payload,
      status,
      next_attempt_at: nextAttemptAt,
      created_at: now,
    }),
)

const insertOutboxFull = compiledWrite((db, deliveryId: string, now: string) =>
  db.insertInto('webhook_attempts').values({
    delivery_id: deliveryId,
    attempted_at: now,
    status_code: null,
    duration_ms: 0,
    error: `outbox full: ${MAX_PENDING_PER_ENDPOINT} deliveries already waiting`,
    response_body: null,
  }),
)

const enabledEndpoints = compiled((db, organizationId: string) =>
  db
    .selectFrom('webhook_endpoints')
    .select(['id', 'events', 'pending'])
    .where('organization_id', '=', organizationId)
    .where('enabled', '=', 1),
)
