import type { Context } from 'hono'
import { runtime } from '#runtime'

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/

/**
 * The client's address, for throttling. Behind a reverse proxy or tunnel on the same machine
 * every request comes from loopback, so for loopback peers the proxy's X-Forwarded-For is used:
 * its last entry, the address the proxy itself saw (earlier entries are the client's to invent).
 * A peer that is not loopback is taken as is, whatever headers it sends.
 */
export function clientAddress(c: Context): string {
  const peer = runtime.peerAddress(c.req.raw, c.env)
  if (peer === undefined || LOOPBACK.test(peer)) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim()
    if (forwarded) return forwarded
  }
  return peer ?? 'unknown'
}
