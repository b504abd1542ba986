import { sql } from 'kysely'
import { DEFAULT_WEBHOOK_KEEP_DAYS } from '../config.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import { isoTime } from '../core/time.ts'
import { compiledWrite } from '../db/compiled.ts'
import type { Store } from '../db/open.ts'
import type { WebhookEndpoint } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { PRUNE_BATCH, pruneDeliveries } from './retention.ts'
import { type AttemptResult, type KeepAlive, keepAliveAgents, postTo } from './send.ts'
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
  /** Whether the thread is answering requests now (the app's `busy`); while it is, attempts are paced. */
  busy?: () => boolean
  /** While `busy`, at most `attempts` attempts start in each `perMs`: the requests come first, deliveries never stop. */
  pace?: { attempts: number; perMs: number }
  /** How long finished deliveries are kept (see pruneDeliveries); Infinity keeps them for ever. */
  keepMs?: number
  /** How often, at most, old deliveries are looked for between requests (more often while a look finds a full batch). */
  pruneEveryMs?: number
  /** How long, at most, between two looks for old deliveries even while requests never stop. */
  pruneOverdueMs?: number
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
  busy: () => false,
  pace: { attempts: 8, perMs: 1000 },
  keepMs: DEFAULT_WEBHOOK_KEEP_DAYS * 24 * 60 * 60 * 1000,
  pruneEveryMs: 10 * 60 * 1000,
  pruneOverdueMs: 60 * 60 * 1000,
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
 * posts them with bounded concurrency, and records the outcomes (another short write, shared by
 * the attempts that end together: see outcomeRecorder). A claim
 * is a lease: should the process die mid-attempt, the delivery is due again once the lease ends.
 *
 * The worker runs on the thread that answers requests, and an attempt costs that thread 1-2.5 ms
 * of CPU (the claim, the HTTP client, the outcome): sending flat out beside a flat-out load took
 * some 200-270 µs of it per default-reply request. So while requests are in flight it starts at
 * most `pace.attempts` per `pace.perMs` (claimed together, so their writes are shared too), and
 * sends at full speed again at its first look once they stop. Between two requests (or once an
 * hour on a server that is never without one) it also removes deliveries finished more than
 * `keepMs` ago (see pruneIfDue).
 */
export function startDeliveryWorker(store: Store, options: WorkerOptions = {}) {
  const o = { ...DEFAULTS, ...options }
  const now = options.now ?? Date.now
  const log = o.log ?? silentLogger
  const inFlight = new Map<string, Promise<unknown>>()
  const recordOutcome = outcomeRecorder(store, o)
  const keepAlive = keepAliveAgents(o.maxPerEndpoint)
  const perEndpoint = new Map<string, number>()
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let ticking: Promise<void> | undefined
  let again = false
  // The current pace window while busy: when it began, and the attempts started in it.
  let paceStart = Number.NEGATIVE_INFINITY
  let paced = 0
  // Removal of expired deliveries: when one last ran (the start counts), when the next may run
  // between requests, and how many the current round removed.
  let prunedAt = performance.now()
  let pruneFrom = Number.NEGATIVE_INFINITY
  let pruned = 0

  /** Attempts the pace leaves in its current window (a new one begins at the first look after the last ended). */
  function paceLeft(): number {
    const at = performance.now()
    if (at - paceStart >= o.pace.perMs) {
      paceStart = at
      paced = 0
    }
    return o.pace.attempts - paced
  }

  /** When to look again with nothing ending meanwhile: at the next poll, or when the pace allows more. */
  function nextLook(): number {
    if (!o.busy() || paced < o.pace.attempts) return o.pollMs
    return Math.max(0, Math.min(o.pollMs, paceStart + o.pace.perMs - performance.now()))
  }

  /**
   * Removes one batch of expired deliveries after a look, at most every `pruneEveryMs` and only
   * while no request is in flight (it is a write on their thread), one batch after another while
   * each is full. A server that always has one in flight still removes a batch every
   * `pruneOverdueMs` (a few ms), so its outbox cannot grow for ever either. Each round that removed
   * anything ends with one log line.
   */
  async function pruneIfDue() {
    const at = performance.now()
    if (o.keepMs === Number.POSITIVE_INFINITY || (o.busy() ? at - prunedAt < o.pruneOverdueMs : at < pruneFrom)) return
    prunedAt = at
    pruneFrom = at + o.pruneEveryMs
    const before = now() - o.keepMs
    try {
      const removed = await pruneDeliveries(store, before, PRUNE_BATCH)
      pruned += removed
      if (removed === PRUNE_BATCH) {
        // More are left: the next look goes on.
        pruneFrom = Number.NEGATIVE_INFINITY
      } else if (pruned > 0) {
        log({ level: 'info', msg: 'webhook deliveries removed', count: pruned, finished_before: isoTime(before) })
        pruned = 0
      }
    } catch (error) {
      // Sending comes first: a failed removal is tried again at the next round.
      log({ level: 'error', msg: 'webhook deliveries not pruned', error: String(error) })
    }
  }

  /** One look at the outbox, then expired deliveries removed if it is time (after, so claims never wait for it). */
  async function tick() {
    await send()
    await pruneIfDue()
  }

  /** Claims and starts what is due: one read of what is due, one write to claim what there is room for. */
  async function send() {
    const pacing = o.busy()
    const open = Math.min(o.maxConcurrent - inFlight.size, pacing ? paceLeft() : Number.POSITIVE_INFINITY)
    if (open <= 0) return
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
      if (picked.length >= open) break
      if ((taken.get(d.endpoint_id) ?? 0) >= o.maxPerEndpoint) continue
      taken.set(d.endpoint_id, (taken.get(d.endpoint_id) ?? 0) + 1)
      picked.push(d.id)
    }
    if (picked.length === 0) return
    const claimed = await claim(store, picked, o.timeoutMs, now)
    if (pacing) paced += claimed.length
    for (const delivery of claimed) {
      const endpointId = delivery.endpoint.id
      perEndpoint.set(endpointId, (perEndpoint.get(endpointId) ?? 0) + 1)
      const run = attempt(delivery, o, keepAlive)
        .then(recordOutcome)
        .finally(() => {
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
      .catch((error) => log({ level: 'error', msg: 'webhook worker', error: String(error) }))
      .finally(() => {
        ticking = undefined
        if (stopped) return
        if (again) {
          again = false
          wake()
        } else timer = setTimeout(wake, nextLook())
      })
  }

  wake()
  return {
    wake,
    /** Deliveries being attempted right now. */
    get inFlight() {
      return inFlight.size
    },
    /** Stops claiming, waits for the attempts in flight to be recorded and closes the kept connections. */
    async stop() {
      stopped = true
      clearTimeout(timer)
      await ticking
      await Promise.all(inFlight.values())
      keepAlive.destroy()
    },
  }
}

export type DeliveryWorker = ReturnType<typeof startDeliveryWorker>

/**
 * Claims due deliveries: counts the attempt and leases them past the attempt's timeout. On
 * PostgreSQL, where several instances' workers share the outbox, the rows are first locked with
 * SKIP LOCKED: a delivery another instance is claiming right now is left to it (and is no longer
 * due once it committed), so each attempt is made once and the workers do not collide.
 */
async function claim(store: Store, ids: string[], timeoutMs: number, now: () => number): Promise<Claimed[]> {
  const at = isoTime(now())
  const lease = isoTime(now() + timeoutMs + 5_000)
  return store.write(async (trx) => {
    const ours =
      store.engine === 'postgres'
        ? (
            await trx
              .selectFrom('webhook_deliveries')
              .select('id')
              .where('id', 'in', ids)
              .where('status', '=', 'pending')
              .where('next_attempt_at', '<=', at)
              .forUpdate()
              .skipLocked()
              .execute()
          ).map((d) => d.id)
        : ids
    if (ours.length === 0) return []
    const claimed = await trx
      .updateTable('webhook_deliveries')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_attempt_at: at, next_attempt_at: lease }))
      .where('id', 'in', ours)
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

/** One attempt at one delivery, now, outside the worker (`webhook test`, `webhook retry`), on a new connection. */
export async function deliverNow(store: Store, deliveryId: string, options: DeliveryOptions = {}): Promise<AttemptResult | undefined> {
  const o = { ...DEFAULTS, ...options }
  const [delivery] = await claim(store, [deliveryId], o.timeoutMs, options.now ?? Date.now)
  if (!delivery) return undefined
  const outcome = await attempt(delivery, o)
  await record(store, [outcome], o)
  return outcome.result
}

/** What one attempt came to, and when it ended. */
interface Outcome {
  delivery: Claimed
  result: AttemptResult
  atMs: number
}

/**
 * Records outcomes in batches: the first at once, and those that end while a batch is being
 * written all together in the next one (one transaction, a few statements for all of them).
 * Each promise settles once its outcome is committed.
 */
function outcomeRecorder(store: Store, o: typeof DEFAULTS & DeliveryOptions) {
  let waiting: { outcome: Outcome; resolve: () => void; reject: (error: unknown) => void }[] = []
  let writing = false
  async function drain() {
    while (waiting.length > 0) {
      const batch = waiting
      waiting = []
      try {
        await record(
          store,
          batch.map((w) => w.outcome),
          o,
        )
        for (const w of batch) w.resolve()
      } catch (error) {
        for (const w of batch) w.reject(error)
      }
    }
    writing = false
  }
  return (outcome: Outcome) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ outcome, resolve, reject })
      if (writing) return
      writing = true
      void drain()
    })
}

async function attempt(delivery: Claimed, o: typeof DEFAULTS & DeliveryOptions, keepAlive?: KeepAlive): Promise<Outcome> {
  const { endpoint } = delivery
  const now = o.now ?? Date.now
  const nowMs = now()
  let target: Target
  try {
    target = await resolveTarget(endpoint.url, endpoint.allow_private === 1, o.lookup)
  } catch (error) {
    return { delivery, result: { statusCode: null, body: null, error: (error as Error).message, durationMs: 0 }, atMs: now() }
  }
  const secrets = [endpoint.secret]
  if (endpoint.previous_secret && endpoint.previous_secret_expires_at && endpoint.previous_secret_expires_at > isoTime(nowMs)) {
    secrets.push(endpoint.previous_secret)
  }
  const headers = signedHeaders(secrets, delivery.message_id, Math.floor(nowMs / 1000), delivery.payload)
  // Resolved and checked on every attempt, kept connection or not (see keepAliveAgents).
  const result = await postTo(target, headers, delivery.payload, o.timeoutMs, o.extraRoots, keepAlive)
  return { delivery, result, atMs: now() }
}

const isOk = (result: AttemptResult) => result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300

const setNextAttempt = compiledWrite((db, next: string, id: string) =>
  db.updateTable('webhook_deliveries').set({ next_attempt_at: next }).where('id', '=', id),
)

/**
 * Records attempts, in one write: each delivery is then done, failed for good, or due again per
 * the schedule; each endpoint's failure state (failing since, disabled after failing for
 * `disableAfterMs`) follows its outcomes in order (its waiting count follows the statuses, by
 * triggers). A delivery removed meanwhile is skipped; one no longer pending (retried by hand and
 * sent meanwhile) only gets its attempt logged.
 */
async function record(store: Store, outcomes: Outcome[], o: typeof DEFAULTS & DeliveryOptions) {
  const log = o.log ?? silentLogger
  const lines: Record<string, unknown>[] = []
  await store.write(async (trx) => {
    const current = await trx
      .selectFrom('webhook_deliveries')
      .select(['id', 'status'])
      .where(
        'id',
        'in',
        outcomes.map((x) => x.delivery.id),
      )
      .execute()
    const status = new Map(current.map((d) => [d.id, d.status]))
    const kept = outcomes.filter((x) => status.has(x.delivery.id))
    if (kept.length === 0) return
    await trx
      .insertInto('webhook_attempts')
      .values(
        kept.map(({ delivery, result, atMs }) => ({
          delivery_id: delivery.id,
          attempted_at: isoTime(atMs),
          status_code: result.statusCode,
          duration_ms: result.durationMs,
          error: result.error,
          response_body: result.body,
        })),
      )
      .execute()
    const live = kept.filter((x) => status.get(x.delivery.id) === 'pending')
    const ended: Record<'delivered' | 'failed', string[]> = { delivered: [], failed: [] }
    for (const { delivery, result, atMs } of live) {
      const ok = isOk(result)
      if (ok || delivery.attempts > o.scheduleMs.length) {
        ended[ok ? 'delivered' : 'failed'].push(delivery.id)
        if (!ok)
          lines.push({
            level: 'warn',
            msg: 'webhook delivery failed after its last attempt',
            delivery_id: delivery.id,
            endpoint_id: delivery.endpoint.id,
            error: result.error ?? `HTTP ${result.statusCode}`,
          })
      } else {
        const wait = o.scheduleMs[delivery.attempts - 1]! * (1 + Math.random() * o.jitter)
        await setNextAttempt(trx, isoTime(atMs + wait), delivery.id)
      }
    }
    for (const final of ['delivered', 'failed'] as const) {
      if (ended[final].length === 0) continue
      await trx.updateTable('webhook_deliveries').set({ status: final, next_attempt_at: null }).where('id', 'in', ended[final]).execute()
    }
    await followFailures(trx, live, o, lines)
  })
  for (const line of lines) log(line)
}

/**
 * Each endpoint's failure state after these outcomes, taken in order: a success clears
 * `failing_since`; a failure sets it if clear, and disables the endpoint once it is older than
 * `disableAfterMs`. Written only where it changed (mostly never: a healthy endpoint stays clear).
 */
async function followFailures(trx: Trx, outcomes: Outcome[], o: typeof DEFAULTS & DeliveryOptions, lines: Record<string, unknown>[]) {
  if (outcomes.length === 0) return
  const rows = await trx
    .selectFrom('webhook_endpoints')
    .select(['id', 'failing_since', 'enabled', 'disabled_reason'])
    .where('id', 'in', [...new Set(outcomes.map((x) => x.delivery.endpoint.id))])
    .execute()
  const before = new Map(rows.map((r) => [r.id, r]))
  const after = new Map(rows.map((r) => [r.id, { ...r }]))
  for (const { delivery, result, atMs } of outcomes) {
    const endpoint = after.get(delivery.endpoint.id)
    if (!endpoint) continue
    if (isOk(result)) endpoint.failing_since = null
    else if (endpoint.failing_since === null) endpoint.failing_since = isoTime(atMs)
    else if (endpoint.enabled === 1 && Date.parse(endpoint.failing_since) <= atMs - o.disableAfterMs) {
      endpoint.enabled = 0
      endpoint.disabled_reason = `every attempt failed since ${endpoint.failing_since}`
      lines.push({ level: 'warn', msg: 'webhook endpoint disabled', endpoint_id: endpoint.id, reason: endpoint.disabled_reason })
    }
  }
  for (const [id, endpoint] of after) {
    const was = before.get(id)!
    if (endpoint.failing_since === was.failing_since && endpoint.enabled === was.enabled) continue
    const { failing_since, enabled, disabled_reason } = endpoint
    await trx.updateTable('webhook_endpoints').set({ failing_since, enabled, disabled_reason }).where('id', '=', id).execute()
  }
}
