import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { AppError } from '../core/errors.ts'

/** A host name's addresses; injected in tests to play a DNS server that answers 127.0.0.1. */
export type Lookup = (hostname: string) => Promise<{ address: string; family: number }[]>

export const systemLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true })

/** Where a delivery connects: the address checked here, never a second lookup (DNS rebinding). */
export interface Target {
  url: URL
  address: string
  family: 4 | 6
}

/** Only http(s), with a host; the rest of the URL is the receiver's business. */
export function parseWebhookUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new AppError('validation', `--url must be an absolute http(s) URL, got "${text}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AppError('validation', `--url must use http or https, got ${url.protocol}`)
  if (url.username || url.password) throw new AppError('validation', '--url must not carry a user name or password')
  return url
}

/**
 * Resolves the URL's host and checks every address it has: by default loopback, private,
 * link-local, shared (CGNAT), metadata, multicast and reserved addresses are refused, so a
 * webhook cannot be pointed at the server's own network. The caller connects to the address
 * returned, so a DNS answer that changes between check and connect cannot get around this.
 */
export async function resolveTarget(urlText: string, allowPrivate: boolean, lookup: Lookup = systemLookup): Promise<Target> {
  const url = parseWebhookUrl(urlText)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await lookup(host).catch((error: Error) => {
        throw new Error(`cannot resolve ${host}: ${error.message}`)
      })
  if (addresses.length === 0) throw new Error(`cannot resolve ${host}: no address`)
  if (!allowPrivate) {
    for (const { address } of addresses) {
      const reason = forbiddenReason(address)
      if (reason) throw new Error(`refused: ${host} resolves to ${address}, ${reason}; an operator can allow it with --allow-private`)
    }
  }
  const first = addresses[0]!
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 }
}

const V4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (CGNAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local (cloud metadata) address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
]

/** Why an address may not be a webhook target by default, or null when it is a public one. */
export function forbiddenReason(address: string): string | null {
  const family = isIP(address)
  if (family === 4) return v4Reason(v4Number(address))
  if (family !== 6) return 'not an IP address'
  const words = v6Words(address)
  const prefix = (bits: number, ...lead: number[]) => matchesV6(words, lead, bits)
  if (words.every((w) => w === 0)) return 'the unspecified address'
  if (words.slice(0, 7).every((w) => w === 0) && words[7] === 1) return 'a loopback address'
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) forms carry an IPv4 address.
  const embedded = ((words[6]! << 16) + words[7]!) >>> 0
  if (words.slice(0, 5).every((w) => w === 0) && (words[5] === 0xffff || words[5] === 0)) return v4Reason(embedded)
  if (prefix(96, 0x64, 0xff9b, 0, 0, 0, 0)) return v4Reason(embedded)
  if (prefix(7, 0xfc00)) return 'a unique local (private) address'
  if (prefix(10, 0xfe80)) return 'a link-local address'
  if (prefix(10, 0xfec0)) return 'a site-local address'
  if (prefix(8, 0xff00)) return 'a multicast address'
  if (prefix(32, 0x2001, 0x0db8)) return 'a documentation address'
  if (prefix(64, 0x0100, 0, 0, 0)) return 'a discard address'
  return null
}

function v4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

function v4Reason(n: number): string | null {
  for (const [base, bits, reason] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
    if ((n & mask) >>> 0 === (v4Number(base) & mask) >>> 0) return reason
  }
  return n === 0xffffffff ? 'the broadcast address' : null
}

/** The eight 16-bit words of an IPv6 address (with `::` and a trailing dotted IPv4 part expanded). */
function v6Words(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase()
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const n = v4Number(dotted[1]!)
    text = `${text.slice(0, -dotted[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((w) => Number.parseInt(w, 16)))
  const left = parse(head)
  if (tail === undefined) return left
  const right = parse(tail)
  return [...left, ...new Array(8 - left.length - right.length).fill(0), ...right]
}

function matchesV6(words: number[], lead: number[], bits: number): boolean {
  for (let i = 0; i < lead.length && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff
    if ((words[i]! & mask) !== (lead[i]! & mask)) return false
  }
  return true
}
