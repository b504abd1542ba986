import { sql } from 'kysely'
import { type Logger, silentLogger } from '../core/logger.ts'
import { isoTime } from '../core/time.ts'
import type { Store } from '../db/open.ts'
import type { WebhookEndpoint } from '../db/schema.ts'
import { type AttemptResult, postTo } from './send.ts'
import { signedHeaders } from './signing.ts'
import { type Lookup, resolveTarget, type Target } from './target.ts'

/** Standard Webhooks' recommended retry schedule: the waits after attempts 1, 2, ... 7. */
export const DEFAULT_SCHEDULE_MS = [5, 300, 1800, 7200, 18000, 36000, 36000].map((s) => s * 1000)

export interface DeliveryOptions {
  /** Waits between attempts; one attempt more than its length is made before a delivery fails. */
  scheduleMs?: number[]
  /** Each wait is stretched by up to this fraction at random, so retries of many deliveries spread out. */
  jitter?: number
  timeoutMs?: number
  /** An endpoint whose every attempt failed for this long is disabled. */
  disableAfterMs?: number
  lookup?: Lookup
  /** Certificate authorities trusted beside the system's, for https targets (see postTo). */
  extraRoots?: string[]
  log?: Logger
  now?: () => number
}

export interface WorkerOptions extends DeliveryOptions {
  /** Attempts in flight at once, in all and per endpoint: a slow receiver holds only its own slots. */
  maxConcurrent?: number
  maxPerEndpoint?: number
  /** How often the outbox is looked at when nothing is happening. */
  pollMs?: number
}

/** How long the worker waits after an attempt ends before it looks for more, gathering many ends into one look. */
const SETTLE_MS = 50

const DEFAULTS = {
  scheduleMs: DEFAULT_SCHEDULE_MS,
  jitter: 0.2,
  timeoutMs: 10_000,
  disableAfterMs: 5 * 24 * 60 * 60 * 1000,
  maxConcurrent: 16,
  maxPerEndpoint: 4,
  pollMs: 500,
}

interface Claimed {
  id: string
  message_id: string
  payload: string
  attempts: number
  endpoint: WebhookEndpoint
}

/**
 * Sends the outbox: a loop outside any transaction that claims due deliveries (one short write),
 * posts them with bounded concurrency, and records each outcome (another short write). A claim
 * is a lease: should the process die mid-attempt, the delivery is due again once the lease ends.
 */
export function startDeliveryWorker(store: Store, options: WorkerOptions = {}) {
  const o = { ...DEFAULTS, ...options }
  const now = options.now ?? Date.now
  const inFlight = new Map<string, Promise<unknown>>()
  const perEndpoint = new Map<string, number>()
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let ticking: Promise<void> | undefined
  let again = false

  /** One look at the outbox: one read of what is due, one write to claim what there is room for. */
  async function tick() {
    if (inFlight.size >= o.maxConcurrent) return
    const due = await store.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select(['d.id', 'd.endpoint_id'])
      // Written out, not bound: SQLite uses the partial index (where status = 'pending') only for the literal.
      .where(sql<boolean>`d.status = 'pending'`)
      .where('d.next_attempt_at', '<=', isoTime(now()))
      .where('e.enabled', '=', 1)
      .orderBy('d.next_attempt_at')
      .limit(o.maxConcurrent * 8)
      .execute()
    const picked: string[] = []
    const taken = new Map(perEndpoint)
    for (const d of due) {
      if (inFlight.size + picked.length >= o.maxConcurrent) break
      if ((taken.get(d.endpoint_id) ?? 0) >= o.maxPerEndpoint) continue
      taken.set(d.endpoint_id, (taken.get(d.endpoint_id) ?? 0) + 1)
      picked.push(d.id)
    }
    if (picked.length === 0) return
    for (const delivery of await claim(store, picked, o.timeoutMs, now)) {
      const endpointId = delivery.endpoint.id
      perEndpoint.set(endpointId, (perEndpoint.get(endpointId) ?? 0) + 1)
      const run = attemptAndRecord(store, delivery, o).finally(() => {
        inFlight.delete(delivery.id)
        perEndpoint.set(endpointId, perEndpoint.get(endpointId)! - 1)
        soon()
      })
      inFlight.set(delivery.id, run)
    }
  }

  /** After an attempt ends: look again shortly, once for all the attempts that end meanwhile. */
  function soon() {
    if (stopped || again) return
    if (ticking) {
      again = true // the look under way may have missed the freed slot: another follows it at once
      return
    }
    clearTimeout(timer)
    timer = setTimeout(wake, Math.min(o.pollMs, SETTLE_MS))
  }

  /** Looks at the outbox now (one look at a time; a wake during a look asks for one more). */
  function wake() {
    if (stopped) return
    if (ticking) {
      again = true
      return
    }
    clearTimeout(timer)
    ticking = tick()
      .catch((error) => (options.log ?? silentLogger)({ level: 'error', msg: 'webhook worker', error: String(error) }))
      .finally(() => {
        ticking = undefined
        if (stopped) return
        if (again) {
          again = false
          wake()
        } else timer = setTimeout(wake, o.pollMs)
      })
  }

  wake()
  return {
    wake,
    /** Deliveries being attempted right now. */
    get inFlight() {
      return inFlight.size
    },
    /** Stops claiming and waits for the attempts in flight to be recorded. */
    async stop() {
      stopped = true
      clearTimeout(timer)
      await ticking
      await Promise.all(inFlight.values())
    },
  }
}

export type DeliveryWorker = ReturnType<typeof startDeliveryWorker>

/** Claims due deliveries: counts the attempt and leases them past the attempt's timeout. */
async function claim(store: Store, ids: string[], timeoutMs: number, now: () => number): Promise<Claimed[]> {
  const at = isoTime(now())
  const lease = isoTime(now() + timeoutMs + 5_000)
  return store.write(async (trx) => {
    const claimed = await trx
      .updateTable('webhook_deliveries')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_attempt_at: at, next_attempt_at: lease }))
      .where('id', 'in', ids)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', at)
      .returning(['id', 'endpoint_id', 'message_id', 'payload', 'attempts'])
      .execute()
    if (claimed.length === 0) return []
    const endpoints = await trx
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', 'in', [...new Set(claimed.map((d) => d.endpoint_id))])
      .execute()
    const byId = new Map(endpoints.map((e) => [e.id, e]))
    return claimed.map((d) => ({ ...d, endpoint: byId.get(d.endpoint_id)! }))
  })
}

/** One attempt at one delivery, now, outside the worker (`webhook test`, `webhook retry`). */
export async function deliverNow(store: Store, deliveryId: string, options: DeliveryOptions = {}): Promise<AttemptResult | undefined> {
  const o = { ...DEFAULTS, ...options }
  const [delivery] = await claim(store, [deliveryId], o.timeoutMs, options.now ?? Date.now)
  if (!delivery) return undefined
  return attemptAndRecord(store, delivery, o)
}

async function attemptAndRecord(store: Store, delivery: Claimed, o: typeof DEFAULTS & DeliveryOptions) {
  const result = await attempt(delivery, o)
  await record(store, delivery, result, o)
  return result
}

async function attempt(delivery: Claimed, o: typeof DEFAULTS & DeliveryOptions): Promise<AttemptResult> {
  const { endpoint } = delivery
  const nowMs = (o.now ?? Date.now)()
  let target: Target
  try {
    target = await resolveTarget(endpoint.url, endpoint.allow_private === 1, o.lookup)
  } catch (error) {
    return { statusCode: null, body: null, error: (error as Error).message, durationMs: 0 }
  }
  const secrets = [endpoint.secret]
  if (endpoint.previous_secret && endpoint.previous_secret_expires_at && endpoint.previous_secret_expires_at > isoTime(nowMs)) {
    secrets.push(endpoint.previous_secret)
  }
  const headers = signedHeaders(secrets, delivery.message_id, Math.floor(nowMs / 1000), delivery.payload)
  return postTo(target, headers, delivery.payload, o.timeoutMs, o.extraRoots)
}

/** Records the attempt; then the delivery is done, failed for good, or due again per the schedule. */
async function record(store: Store, delivery: Claimed, result: AttemptResult, o: typeof DEFAULTS & DeliveryOptions) {
  const log = o.log ?? silentLogger
  const nowMs = (o.now ?? Date.now)()
  const at = isoTime(nowMs)
  const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300
  const endpointId = delivery.endpoint.id
  await store.write(async (trx) => {
    await trx
      .insertInto('webhook_attempts')
      .values({
        delivery_id: delivery.id,
        attempted_at: at,
        status_code: result.statusCode,
        duration_ms: result.durationMs,
        error: result.error,
        response_body: result.body,
      })
      .execute()
    const current = await trx.selectFrom('webhook_deliveries').select('status').where('id', '=', delivery.id).executeTakeFirst()
    if (current?.status !== 'pending') return // removed, or retried by hand meanwhile
    const lastAttempt = delivery.attempts > o.scheduleMs.length
    if (ok || lastAttempt) {
      await trx
        .updateTable('webhook_deliveries')
        .set({ status: ok ? 'delivered' : 'failed', next_attempt_at: null })
        .where('id', '=', delivery.id)
        .execute()
      await trx
        .updateTable('webhook_endpoints')
        .set((eb) => ({ pending: eb('pending', '-', 1) }))
        .where('id', '=', endpointId)
        .execute()
      if (!ok)
        log({
          level: 'warn',
          msg: 'webhook delivery failed after its last attempt',
          delivery_id: delivery.id,
          endpoint_id: endpointId,
          error: result.error ?? `HTTP ${result.statusCode}`,
        })
    } else {
      const wait = o.scheduleMs[delivery.attempts - 1]! * (1 + Math.random() * o.jitter)
      await trx
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: isoTime(nowMs + wait) })
        .where('id', '=', delivery.id)
        .execute()
    }
    if (ok) {
      await trx.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', endpointId).execute()
      return
    }
    const endpoint = await trx
      .selectFrom('webhook_endpoints')
      .select(['failing_since', 'enabled'])
      .where('id', '=', endpointId)
      .executeTakeFirst()
    if (!endpoint) return
    if (endpoint.failing_since === null) {
      await trx.updateTable('webhook_endpoints').set({ failing_since: at }).where('id', '=', endpointId).execute()
    } else if (endpoint.enabled === 1 && Date.parse(endpoint.failing_since) <= nowMs - o.disableAfterMs) {
      const reason = `every attempt failed since ${endpoint.failing_since}`
      await trx.updateTable('webhook_endpoints').set({ enabled: 0, disabled_reason: reason }).where('id', '=', endpointId).execute()
      log({ level: 'warn', msg: 'webhook endpoint disabled', endpoint_id: endpointId, reason })
    }
  })
}
