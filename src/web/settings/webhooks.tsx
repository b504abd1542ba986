import { type Context, Hono } from 'hono'
import { isoTime } from '../../core/time.ts'
import { readFormParams } from '../../http/body.ts'
import type { AppDeps, AppEnv } from '../../http/context.ts'
import { EVENT_TYPES } from '../../webhooks/events.ts'
import { describeAttempt } from '../../webhooks/send.ts'
import {
  addEndpoint,
  type EndpointView,
  enableEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  queueTestEvent,
  removeEndpoint,
  rotateSecret,
} from '../../webhooks/service.ts'
import { deliverNow } from '../../webhooks/worker.ts'
import { localTime, TimesIn } from '../pieces.tsx'
import { act, confirmPage, type Flash, form, settingsPage } from './frame.tsx'

// Outbound webhooks (docs/webhooks.md): the same service as `dmtracker webhook ...`. Private
// targets (--allow-private) stay an operator's choice at the command line.

function state(e: EndpointView, timeZone: string): string {
  if (!e.enabled) return `Disabled: ${e.disabled_reason ?? 'by hand'}`
  return e.failing_since ? `Enabled, failing since ${localTime(e.failing_since, timeZone)}` : 'Enabled'
}

function lastDelivery(d: Awaited<ReturnType<typeof listDeliveries>>[number] | undefined, timeZone: string): string {
  if (!d) return 'none yet'
  const attempt = d.attempt_log.at(-1)
  const outcome = attempt ? (attempt.status_code ? `HTTP ${attempt.status_code}` : (attempt.error ?? '')) : ''
  return `${d.event_type} ${d.status}${outcome ? ` (${outcome})` : ''}, ${localTime(d.created_at, timeZone)}`
}

/** The endpoint in the path, of the signed-in person's organization only (404 otherwise). */
const endpointId = (c: Context<AppEnv>) => c.req.param('id') ?? ''

export function webhookPages(deps: AppDeps) {
  async function render(c: Context<AppEnv>, flash: Flash = {}, secret?: { url: string; secret: string }) {
    const { id: organizationId, timezone } = c.get('member').organization
    const endpoints = await listEndpoints(deps.store.db, organizationId)
    const latest = await Promise.all(endpoints.map((e) => listDeliveries(deps.store.db, e.id, { limit: 1 })))
    return settingsPage(
      c,
      'Webhooks',
      flash,
      <>
        {secret ? (
          <section aria-labelledby="secret-heading" class="settings-form">
            <h2 id="secret-heading">Signing secret for {secret.url}</h2>
            <p>Copy it now: it is shown only this once. Receivers verify each delivery's signature with it.</p>
            <code id="webhook-secret" class="secret">
              {secret.secret}
            </code>
            <p class="actions">
              <button type="button" class="secondary" data-copy="webhook-secret" hidden>
                Copy secret
              </button>
            </p>
          </section>
        ) : null}
        <p>
          Signed notifications (Standard Webhooks) go to these addresses when contacts change. Failed deliveries are retried for about a
          day; an endpoint that fails for 5 days in a row is disabled until you enable it again. Times in {timezone}.
        </p>
        {endpoints.length === 0 ? (
          <p>No endpoints yet.</p>
        ) : (
          <ul class="settings-list" aria-label="Endpoints">
            {endpoints.map((e, i) => (
              <li aria-labelledby={`endpoint-${e.id}`}>
                <h3 id={`endpoint-${e.id}`}>{e.url}</h3>
                <dl class="facts">
                  <dt>Events</dt>
                  <dd>{e.events === '*' ? 'all' : e.events.join(', ')}</dd>
                  <dt>State</dt>
                  <dd>{state(e, timezone)}</dd>
                  <dt>Last delivery</dt>
                  <dd>{lastDelivery(latest[i]![0], timezone)}</dd>
                  <dt>Waiting</dt>
                  <dd>{e.pending}</dd>
                </dl>
                <div class="actions">
                  <a class="button secondary" href={`/settings/webhooks/${e.id}`}>
                    Deliveries<span class="visually-hidden"> to {e.url}</span>
                  </a>
                  {e.enabled ? null : (
                    <form method="post" action={`/settings/webhooks/${e.id}/enable`}>
                      <button type="submit">
                        Enable<span class="visually-hidden"> {e.url}</span>
                      </button>
                    </form>
                  )}
                  <form method="post" action={`/settings/webhooks/${e.id}/test`}>
                    <button type="submit" class="secondary">
                      Send test<span class="visually-hidden"> to {e.url}</span>
                    </button>
                  </form>
                  <form method="post" action={`/settings/webhooks/${e.id}/rotate`}>
                    <button type="submit" class="secondary">
                      Rotate secret<span class="visually-hidden"> of {e.url}</span>
                    </button>
                  </form>
                  <form method="post" action={`/settings/webhooks/${e.id}/remove`}>
                    <button type="submit" class="danger">
                      Remove<span class="visually-hidden"> {e.url}</span>
                    </button>
                  </form>
                </div>
              </li>
            ))}
          </ul>
        )}
        <section aria-labelledby="add-webhook-heading" class="settings-form">
          <h2 id="add-webhook-heading">Add an endpoint</h2>
          <form method="post" action="/settings/webhooks">
            <div class="field">
              <label for="webhook-url">URL</label>
              <input id="webhook-url" name="url" type="url" required placeholder="https://hooks.example.com/dmtracker" />
            </div>
            <fieldset>
              <legend>Events (none ticked: all of them)</legend>
              {EVENT_TYPES.map((type) => (
                <label>
                  <input type="checkbox" name="events" value={type} />
                  {type}
                </label>
              ))}
            </fieldset>
            <button type="submit">Add endpoint</button>
          </form>
        </section>
      </>,
    )
  }

  const now = () => isoTime(deps.now())

  return new Hono<AppEnv>()
    .get('/settings/webhooks', (c) => render(c))
    .post('/settings/webhooks', async (c) => {
      // Ticked boxes repeat the name "events": read them all, not the last one.
      const body = await readFormParams(c, deps.config.bodyLimitBytes)
      const events = body.getAll('events')
      const { flash, result } = await act(
        deps,
        c,
        'webhook',
        (trx, org) => addEndpoint(trx, org, { url: body.get('url') ?? '', events }, now()),
        (e) => `Added webhook endpoint ${e.url} (${e.events === '*' ? 'all events' : e.events.join(', ')})`,
      )
      return render(c, flash, result)
    })
    .post('/settings/webhooks/:id/remove', async (c) => {
      const f = await form(deps, c)
      const id = endpointId(c)
      if (f.confirmed !== 'yes') {
        const endpoint = await getEndpoint(deps.store.db, id, c.get('member').organization.id)
        return confirmPage(c, 'Webhooks', {
          question: `Remove the endpoint ${endpoint.url}?`,
          detail: 'Nothing more is sent to it, and its delivery history is deleted.',
          action: `/settings/webhooks/${id}/remove`,
          fields: {},
          button: 'Remove endpoint',
          back: '/settings/webhooks',
        })
      }
      const { flash } = await act(
        deps,
        c,
        'webhook',
        async (trx, org) => {
          const endpoint = await getEndpoint(trx, id, org)
          await removeEndpoint(trx, id)
          return endpoint
        },
        (e) => `Removed webhook endpoint ${e.url}`,
      )
      return render(c, flash)
    })
    .post('/settings/webhooks/:id/enable', async (c) => {
      const id = endpointId(c)
      const { flash } = await act(
        deps,
        c,
        'webhook',
        async (trx, org) => enableEndpoint(trx, (await getEndpoint(trx, id, org)).id),
        (e) => `Enabled webhook endpoint ${e.url}`,
      )
      return render(c, flash)
    })
    .post('/settings/webhooks/:id/rotate', async (c) => {
      const id = endpointId(c)
      const { flash, result } = await act(
        deps,
        c,
        'webhook',
        async (trx, org) => {
          const endpoint = await getEndpoint(trx, id, org)
          return { url: endpoint.url, ...(await rotateSecret(trx, id, now())) }
        },
        (r) =>
          `Rotated the secret of webhook endpoint ${r.url}; the old one also signs until ${localTime(r.previous_secret_expires_at, c.get('member').organization.timezone)} (${c.get('member').organization.timezone})`,
      )
      return render(c, flash, result)
    })
    .post('/settings/webhooks/:id/test', async (c) => {
      const id = endpointId(c)
      const queued = await act(
        deps,
        c,
        'webhook',
        async (trx, org) => {
          const endpoint = await getEndpoint(trx, id, org)
          return { url: endpoint.url, deliveryId: await queueTestEvent(trx, id, now()) }
        },
        (q) => `Sent a webhook.test event to ${q.url}`,
      )
      if (!queued.result) return render(c, queued.flash)
      // Sent now, outside any transaction (like `webhook test`), so the answer can say how it went.
      const result = await deliverNow(deps.store, queued.result.deliveryId, {
        scheduleMs: [...deps.config.webhookRetriesMs],
        log: deps.log,
      })
      const ok = result?.statusCode != null && result.statusCode < 300
      return render(c, ok ? { ok: `Test event ${describeAttempt(result)}` } : { error: `Test event ${describeAttempt(result)}` })
    })
    .get('/settings/webhooks/:id', async (c) => {
      const { id: organizationId, timezone } = c.get('member').organization
      const endpoint = await getEndpoint(deps.store.db, endpointId(c), organizationId)
      const deliveries = await listDeliveries(deps.store.db, endpoint.id, { limit: 50 })
      return settingsPage(
        c,
        'Webhooks',
        {},
        <>
          <h2>Recent deliveries to {endpoint.url}</h2>
          <p>
            <a href="/settings/webhooks">Back to the endpoints</a>
          </p>
          <p>{keptFor(deps.config.webhookKeepMs)}</p>
          {deliveries.length === 0 ? (
            <p>No deliveries yet.</p>
          ) : (
            <section class="table-wrap" tabindex={0} aria-label="Deliveries">
              <table>
                <caption class="visually-hidden">Latest 50 deliveries, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Created</th>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last attempt</th>
                  </tr>
                </thead>
                <tbody>
                  {deliveries.map((d) => {
                    const a = d.attempt_log.at(-1)
                    return (
                      <tr>
                        <td>{localTime(d.created_at, timezone)}</td>
                        <td>{d.event_type}</td>
                        <td>
                          {d.status}
                          {d.status === 'pending' && d.next_attempt_at ? ` (next ${localTime(d.next_attempt_at, timezone)})` : ''}
                        </td>
                        <td>{d.attempts}</td>
                        <td>
                          {a
                            ? `${localTime(a.attempted_at, timezone)}: ${a.status_code ? `HTTP ${a.status_code}` : (a.error ?? '')} in ${a.duration_ms} ms`
                            : '—'}
                        </td>
                      </tr>
                    )
                  })}
                </tbody>
              </table>
            </section>
          )}
          <TimesIn timeZone={timezone} />
        </>,
      )
    })
}

/** What the deliveries page says about how long its rows stay (serve --webhook-keep-days). */
function keptFor(keepMs: number): string {
  if (keepMs === Number.POSITIVE_INFINITY) return 'Delivered and failed deliveries are kept for ever.'
  const days = Math.round(keepMs / (24 * 60 * 60 * 1000))
  return `Delivered and failed deliveries are removed ${days} ${days === 1 ? 'day' : 'days'} after their last attempt.`
}
