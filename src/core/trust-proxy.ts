import { BlockList, isIP } from 'node:net'

/**
 * Which forwarding headers to believe (`--trust-proxy`). Off: the TCP peer is the client.
 * Hops: that many proxies always stand in front (the peer is the first). Addresses: the peers
 * and X-Forwarded-For entries in these addresses or CIDR ranges are proxies.
 */
export type TrustProxy =
  | { readonly kind: 'off' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'addresses'; readonly proxies: BlockList }

const MAX_TRUSTED_HOPS = 10

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
