import { type BlockList, isIP } from 'node:net'
import type { Context } from 'hono'
import { runtime } from '#runtime'
import type { TrustProxy } from '../core/trust-proxy.ts'

/** "::ffff:203.0.113.9" (an IPv4 client on a dual-stack socket) is 203.0.113.9. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return mapped ? mapped[1]! : address
}

function isProxy(proxies: BlockList, address: string): boolean {
  const family = isIP(address)
  return family !== 0 && proxies.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/**
 * The client's address, from the TCP peer and X-Forwarded-For. Each proxy appends the address it
 * saw to X-Forwarded-For, so read from the right, starting at the peer, the chain walks away from
 * the server, and everything left of the first hop we do not trust was written by the client
 * (who can put anything there). Hence: with N trusted hops, the client is the Nth address from
 * the right (the peer being the 0th); with trusted addresses, it is the rightmost address that is
 * not a trusted proxy. If the chain ends first, its leftmost address is taken.
 */
export function pickClientAddress(peer: string | undefined, forwardedFor: string | undefined, trust: TrustProxy): string {
  const self = normalize(peer ?? 'unknown')
  if (trust.kind === 'off') return self
  const forwarded = (forwardedFor ?? '')
    .split(',')
    .map((entry) => normalize(entry.trim()))
    .filter(Boolean)
  const chain = [self, ...forwarded.reverse()]
  if (trust.kind === 'hops') return chain[Math.min(trust.hops, chain.length - 1)]!
  const client = chain.findIndex((address) => !isProxy(trust.proxies, address))
  return chain[client === -1 ? chain.length - 1 : client]!
}

/** The client address of a request, for throttling, under the operator's `--trust-proxy` setting. */
export function clientAddressOf(trust: TrustProxy): (c: Context) => string {
  return function clientAddress(c) {
    return pickClientAddress(runtime.peerAddress(c.req.raw, c.env), c.req.header('x-forwarded-for'), trust)
  }
}
