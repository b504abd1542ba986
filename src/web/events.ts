import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { ChangeEvent } from '../db/changes.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'

/** A comment line this often keeps proxies and Bun's idle timeout (10 s) from closing a quiet stream. */
export const HEARTBEAT_MS = 5_000
/** A stream ends after this long; the browser reconnects at once, and the session is checked again. */
const MAX_STREAM_MS = 10 * 60_000

/**
 * GET /events: the organization's contact changes as Server-Sent Events ("contact", with the
 * contact's id), after they commit. A reconnecting browser sends Last-Event-ID and gets what it
 * missed, or "reset" (reload everything) when that is no longer known. `endAll` closes every open
 * stream, so a shutdown does not wait for them.
 */
export function eventStreams(deps: AppDeps) {
  const open = new Set<() => void>()
  const routes = new Hono<AppEnv>().get('/events', (c) => {
    const organizationId = c.get('member').organization.id
    const lastId = c.req.header('last-event-id')
    c.header('Cache-Control', 'no-store')
    c.header('X-Accel-Buffering', 'no') // nginx: pass events on as they come
    return streamSSE(c, async (stream) => {
      const queue: ChangeEvent[] = []
      let wake: (() => void) | undefined
      let ended = false
      const end = () => {
        ended = true
        wake?.()
      }
      open.add(end)
      const unsubscribe = deps.store.changes.subscribe(organizationId, (event) => {
        queue.push(event)
        wake?.()
      })
      stream.onAbort(end)
      try {
        let reset = false
        if (lastId) {
          const missed = deps.store.changes.since(organizationId, lastId)
          if (missed) queue.push(...missed)
          else reset = true
        }
        await stream.writeSSE({ event: reset ? 'reset' : 'ready', data: '{}', retry: 2000 })
        const started = Date.now()
        while (!ended && !stream.aborted && Date.now() - started < MAX_STREAM_MS) {
          if (queue.length === 0) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, HEARTBEAT_MS)
              wake = () => {
                clearTimeout(timer)
                resolve()
              }
            })
            wake = undefined
            if (queue.length === 0 && !ended) await stream.write(': heartbeat\n\n')
            continue
          }
          const event = queue.shift()!
          await stream.writeSSE({ id: event.id, event: 'contact', data: JSON.stringify({ contact_id: event.contactId }) })
        }
      } finally {
        unsubscribe()
        open.delete(end)
      }
    })
  })
  return {
    routes,
    endAll: () => {
      for (const end of [...open]) end()
    },
  }
}
