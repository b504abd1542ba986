import { BlockList, isIP } from 'node:net'
import type { Context } from 'hono'
import { runtime } from '#runtime'

/**
 * Which forwarding headers to believe (`--trust-proxy`). Off: the TCP peer is the client.
 * Hops: that many proxies always stand in front (the peer is the first). Addresses: the peers
 * and X-Forwarded-For entries in these addresses or CIDR ranges are proxies.
 */
export type TrustProxy =
  | { readonly kind: 'off' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'addresses'; readonly proxies: BlockList }

export const MAX_TRUSTED_HOPS = 10

/**
 * Parses `--trust-proxy`: `off`, a number of hops from 1 to 10, or a comma-separated list of
 * addresses and CIDR ranges, where `loopback` stands for 127.0.0.0/8 and ::1. Throws a
 * RangeError naming the bad part.
 */
export function parseTrustProxy(raw: string): TrustProxy {
  const text = raw.trim().toLowerCase()
  if (text === '' || text === 'off' || text === 'false' || text === '0') return { kind: 'off' }
  if (/^\d+$/.test(text)) {
    const hops = Number(text)
    if (hops > MAX_TRUSTED_HOPS) throw new RangeError(`a number of proxy hops must be from 1 to ${MAX_TRUSTED_HOPS}, got "${raw}"`)
    return { kind: 'hops', hops }
  }
  const proxies = new BlockList()
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === 'loopback') {
      proxies.addSubnet('127.0.0.0', 8, 'ipv4')
      proxies.addAddress('::1', 'ipv6')
      continue
    }
    const [address = '', prefix, extra] = part.split('/')
    const family = isIP(address)
    const bits = family === 4 ? 32 : 128
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))) {
      throw new RangeError(`must be off, a number of proxy hops, or IP addresses and CIDR ranges (or "loopback"), got "${part}"`)
    }
    proxies.addSubnet(address, prefix === undefined ? bits : Number(prefix), family === 4 ? 'ipv4' : 'ipv6')
  }
  return { kind: 'addresses', proxies }
}

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
  const forwarded = (forwardedFor ?? '').split(',').map((entry) => normalize(entry.trim())).filter(Boolean)
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
