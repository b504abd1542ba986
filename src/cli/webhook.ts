import { webhookRetriesFrom } from '../config.ts'
import { isoTime } from '../core/time.ts'
import { getOrganization } from '../organizations/service.ts'
import type { AttemptResult } from '../webhooks/send.ts'
import {
  addEndpoint,
  listDeliveries,
  listEndpoints,
  queueTestEvent,
  removeEndpoint,
  retryDelivery,
  rotateSecret,
} from '../webhooks/service.ts'
import { deliverNow } from '../webhooks/worker.ts'
import { group, output, parse, positionals, table, UsageError, withExistingStore } from './common.ts'

const HELP = `Usage:
  dmtracker webhook add ORG_ID --url URL [--events a,b] [--allow-private] [--json]
                                          prints the endpoint's id and secret, shown once
  dmtracker webhook list ORG_ID [--json]  endpoints, their events, state and waiting deliveries
  dmtracker webhook remove ID             stops sending to it and forgets its deliveries
  dmtracker webhook rotate-secret ID [--json]
                                          a new secret; the old one also signs for 24 hours
  dmtracker webhook test ID [--json]      sends a webhook.test event now and prints the outcome
  dmtracker webhook deliveries ID [--failed] [--json]
                                          latest deliveries with every attempt (status, duration, error)
  dmtracker webhook retry DELIVERY_ID [--json]
                                          sends a delivery again now (same webhook-id), then on schedule
Events: contact.created, contact.replied, contact.status_changed, contact.stage_changed,
contact.tags_changed, contact.archived, follow_up.done; --events left out (or *) means all.
By default a URL whose host resolves to a loopback, private, link-local or metadata address is
refused when sending; --allow-private permits it (an n8n on the same machine).
A running server sends the deliveries; see docs/webhooks.md. Every command takes --db PATH.`

function attemptLine(result: AttemptResult | undefined): string {
  if (!result) return 'not sent: the delivery is not waiting (already delivered, or being sent by the server)'
  if (result.error) return `failed: ${result.error} (${result.durationMs} ms); the server retries it on schedule`
  const ok = result.statusCode! >= 200 && result.statusCode! < 300
  return `${ok ? 'delivered' : 'failed'}: HTTP ${result.statusCode} in ${result.durationMs} ms${ok ? '' : '; the server retries it on schedule'}`
}

export const webhookCommand = group(HELP, {
  async add(args, io) {
    const { values, positionals: rest } = parse(args, {
      url: { type: 'string' },
      events: { type: 'string' },
      'allow-private': { type: 'boolean' },
    })
    const [orgId] = positionals(rest, ['ORG_ID'])
    if (values.url === undefined) throw new UsageError('missing --url URL', true)
    const created = await withExistingStore(values, io, (store) =>
      store.write(async (trx) => {
        await getOrganization(trx, orgId!)
        return addEndpoint(
          trx,
          orgId!,
          { url: values.url!, events: values.events?.split(',').map((e) => e.trim()), allowPrivate: values['allow-private'] },
          isoTime(),
        )
      }),
    )
    output(io, values.json, created, () =>
      [
        `Webhook endpoint ${created.id} added for ${created.url}`,
        `  events: ${created.events === '*' ? 'all' : created.events.join(', ')}${created.allow_private ? ' (private addresses allowed)' : ''}`,
        `  secret: ${created.secret}`,
        'The secret is shown only this once; verify deliveries with it (docs/webhooks.md).',
      ].join('\n'),
    )
    return 0
  },

  async list(args, io) {
    const { values, positionals: rest } = parse(args, {})
    const [orgId] = positionals(rest, ['ORG_ID'])
    const endpoints = await withExistingStore(values, io, async (store) => {
      await getOrganization(store.db, orgId!)
      return listEndpoints(store.db, orgId!)
    })
    output(io, values.json, endpoints, () =>
      table(
        endpoints.map((e) => ({
          ...e,
          events: e.events === '*' ? '*' : e.events.join(','),
          state: e.enabled ? (e.failing_since ? `failing since ${e.failing_since}` : 'enabled') : `disabled: ${e.disabled_reason ?? ''}`,
        })),
        ['id', 'url', 'events', 'state', 'pending', 'created_at'],
      ),
    )
    return 0
  },

  async remove(args, io) {
    const { values, positionals: rest } = parse(args, {})
    const [id] = positionals(rest, ['ID'])
    await withExistingStore(values, io, (store) => store.write((trx) => removeEndpoint(trx, id!)))
    io.out(`Webhook endpoint ${id} removed`)
    return 0
  },

  async 'rotate-secret'(args, io) {
    const { values, positionals: rest } = parse(args, {})
    const [id] = positionals(rest, ['ID'])
    const rotated = await withExistingStore(values, io, (store) => store.write((trx) => rotateSecret(trx, id!, isoTime())))
    output(
      io,
      values.json,
      rotated,
      () => `New secret: ${rotated.secret}\n(shown only this once; the old secret also signs until ${rotated.previous_secret_expires_at})`,
    )
    return 0
  },

  async test(args, io) {
    const { values, positionals: rest } = parse(args, {})
    const [id] = positionals(rest, ['ID'])
    const { deliveryId, result } = await withExistingStore(values, io, async (store) => {
      const deliveryId = await store.write((trx) => queueTestEvent(trx, id!, isoTime()))
      return { deliveryId, result: await deliverNow(store, deliveryId, { scheduleMs: webhookRetriesFrom({}, io.env) }) }
    })
    output(io, values.json, { delivery_id: deliveryId, ...result }, () => `webhook.test delivery ${deliveryId} ${attemptLine(result)}`)
    return result && result.statusCode !== null && result.statusCode < 300 ? 0 : 1
  },

  async deliveries(args, io) {
    const { values, positionals: rest } = parse(args, { failed: { type: 'boolean' } })
    const [id] = positionals(rest, ['ID'])
    const deliveries = await withExistingStore(values, io, (store) => listDeliveries(store.db, id!, { failedOnly: values.failed }))
    output(io, values.json, deliveries, () =>
      deliveries.length === 0
        ? '(none)'
        : deliveries
            .map((d) =>
              [
                `${d.id}  ${d.event_type}  ${d.status}  attempts ${d.attempts}  created ${d.created_at}${d.status === 'pending' ? `  next ${d.next_attempt_at}` : ''}`,
                ...d.attempt_log.map(
                  (a) => `    ${a.attempted_at}  ${a.status_code ?? '---'}  ${a.duration_ms} ms${a.error ? `  ${a.error}` : ''}`,
                ),
              ].join('\n'),
            )
            .join('\n'),
    )
    return 0
  },

  async retry(args, io) {
    const { values, positionals: rest } = parse(args, {})
    const [deliveryId] = positionals(rest, ['DELIVERY_ID'])
    const result = await withExistingStore(values, io, async (store) => {
      await store.write((trx) => retryDelivery(trx, deliveryId!, isoTime()))
      return deliverNow(store, deliveryId!, { scheduleMs: webhookRetriesFrom({}, io.env) })
    })
    output(io, values.json, { delivery_id: deliveryId, ...result }, () => `Delivery ${deliveryId} ${attemptLine(result)}`)
    return 0
  },
})
