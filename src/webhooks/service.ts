import { AppError } from '../core/errors.ts'
import type { WebhookEndpoint } from '../db/schema.ts'
import { uuidV7 } from '../db/uuid-v7.ts'
import type { ReadDb, Trx } from '../db/write.ts'
import { EVENT_TYPES, queueDeliveries } from './events.ts'
import { newSecret } from './signing.ts'
import { parseWebhookUrl } from './target.ts'

// Managing endpoints and deliveries: what `dmtracker webhook ...` and the web app's Settings call.

/** How long the old secret keeps signing after `rotate-secret`, so receivers can switch over. */
export const ROTATION_GRACE_MS = 24 * 60 * 60 * 1000

export interface NewEndpoint {
  url: string
  /** Event types, or undefined / empty for every event. */
  events?: string[]
  allowPrivate?: boolean
}

/** An endpoint as shown to an operator: everything but its secrets. */
export interface EndpointView {
  id: string
  organization_id: string
  url: string
  events: string[] | '*'
  allow_private: boolean
  enabled: boolean
  disabled_reason: string | null
  failing_since: string | null
  pending: number
  created_at: string
}

function endpointView(e: WebhookEndpoint): EndpointView {
  return {
    id: e.id,
    organization_id: e.organization_id,
    url: e.url,
    events: e.events === '*' ? '*' : (JSON.parse(e.events) as string[]),
    allow_private: e.allow_private === 1,
    enabled: e.enabled === 1,
    disabled_reason: e.disabled_reason,
    failing_since: e.failing_since,
    pending: e.pending,
    created_at: e.created_at,
  }
}

/** Adds an endpoint; the answer carries its secret, which is never shown again. */
export async function addEndpoint(
  trx: Trx,
  organizationId: string,
  input: NewEndpoint,
  now: string,
): Promise<EndpointView & { secret: string }> {
  const url = parseWebhookUrl(input.url)
  const events = input.events?.filter((e) => e !== '') ?? []
  const unknown = events.filter((e) => e !== '*' && !(EVENT_TYPES as readonly string[]).includes(e))
  if (unknown.length > 0)
    throw new AppError('validation', `unknown event type ${unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')} (or * for all)`)
  const row = {
    id: uuidV7(Date.parse(now)),
    organization_id: organizationId,
    url: url.href,
    events: events.length === 0 || events.includes('*') ? '*' : JSON.stringify([...new Set(events)]),
    secret: newSecret(),
    previous_secret: null,
    previous_secret_expires_at: null,
    allow_private: input.allowPrivate ? (1 as const) : (0 as const),
    disabled_reason: null,
    failing_since: null,
    created_at: now,
  }
  await trx.insertInto('webhook_endpoints').values(row).execute()
  return { ...endpointView({ ...row, enabled: 1, pending: 0 }), secret: row.secret }
}

export async function listEndpoints(db: ReadDb, organizationId: string): Promise<EndpointView[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('created_at')
    .execute()
  return rows.map(endpointView)
}

/** The endpoint with this id (of `organizationId` only, when given), or a 404. */
export async function getEndpoint(db: ReadDb, id: string, organizationId?: string): Promise<WebhookEndpoint> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row || (organizationId !== undefined && row.organization_id !== organizationId))
    throw new AppError('not_found', `No webhook endpoint with id ${id}`)
  return row
}

/**
 * Enables an endpoint again (one disabled after failing for days, or by hand): it receives new
 * events from now on and its failure clock starts over. Deliveries still waiting are sent again.
 */
export async function enableEndpoint(trx: Trx, id: string): Promise<EndpointView> {
  const endpoint = await getEndpoint(trx, id)
  await trx.updateTable('webhook_endpoints').set({ enabled: 1, disabled_reason: null, failing_since: null }).where('id', '=', id).execute()
  return endpointView({ ...endpoint, enabled: 1, disabled_reason: null, failing_since: null })
}

/** Removes the endpoint with its deliveries; nothing more is sent to it. */
export async function removeEndpoint(trx: Trx, id: string): Promise<void> {
  await getEndpoint(trx, id)
  await trx.deleteFrom('webhook_endpoints').where('id', '=', id).execute()
}

/** A new secret; the old one keeps signing (a second signature) for ROTATION_GRACE_MS. */
export async function rotateSecret(
  trx: Trx,
  id: string,
  now: string,
): Promise<{ id: string; secret: string; previous_secret_expires_at: string }> {
  const endpoint = await getEndpoint(trx, id)
  const secret = newSecret()
  const expires = new Date(Date.parse(now) + ROTATION_GRACE_MS).toISOString()
  await trx
    .updateTable('webhook_endpoints')
    .set({ secret, previous_secret: endpoint.secret, previous_secret_expires_at: expires })
    .where('id', '=', id)
    .execute()
  return { id, secret, previous_secret_expires_at: expires }
}

/** Queues a `webhook.test` event for this endpoint alone (even a disabled one gets it when sent directly). */
export async function queueTestEvent(trx: Trx, id: string, now: string): Promise<string> {
  const endpoint = await getEndpoint(trx, id)
  const [deliveryId] = await queueDeliveries(
    trx,
    [endpoint],
    'webhook.test',
    { organization_id: endpoint.organization_id, endpoint_id: id },
    now,
  )
  return deliveryId!
}

export interface AttemptView {
  attempted_at: string
  status_code: number | null
  duration_ms: number
  error: string | null
  response_body: string | null
}

export interface DeliveryView {
  id: string
  message_id: string
  event_type: string
  status: string
  attempts: number
  next_attempt_at: string | null
  created_at: string
  attempt_log: AttemptView[]
}

/** The endpoint's latest deliveries, newest first, each with its attempts. */
export async function listDeliveries(
  db: ReadDb,
  endpointId: string,
  options: { failedOnly?: boolean; limit?: number } = {},
): Promise<DeliveryView[]> {
  await getEndpoint(db, endpointId)
  let query = db
    .selectFrom('webhook_deliveries')
    .select(['id', 'message_id', 'event_type', 'status', 'attempts', 'next_attempt_at', 'created_at'])
    .where('endpoint_id', '=', endpointId)
  if (options.failedOnly) query = query.where('status', '=', 'failed')
  const deliveries = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? 50)
    .execute()
  const attempts =
    deliveries.length === 0
      ? []
      : await db
          .selectFrom('webhook_attempts')
          .select(['delivery_id', 'attempted_at', 'status_code', 'duration_ms', 'error', 'response_body'])
          .where(
            'delivery_id',
            'in',
            deliveries.map((d) => d.id),
          )
          .orderBy('id')
          .execute()
  return deliveries.map((d) => ({
    ...d,
    attempt_log: attempts.filter((a) => a.delivery_id === d.id).map(({ delivery_id: _, ...a }) => a),
  }))
}

/** Puts a delivery back in the outbox with a fresh retry schedule; it keeps its webhook-id. */
export async function retryDelivery(trx: Trx, deliveryId: string, now: string): Promise<void> {
  // The endpoint's waiting count follows the status (the outbox's triggers).
  const { numUpdatedRows } = await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now })
    .where('id', '=', deliveryId)
    .executeTakeFirst()
  if (numUpdatedRows === 0n) throw new AppError('not_found', `No webhook delivery with id ${deliveryId}`)
}
