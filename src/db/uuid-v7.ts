import { getRandomValues } from 'node:crypto'

/**
 * A UUID version 7 (RFC 9562): the Unix time in milliseconds in the first 48 bits, then random
 * bits. New rows' keys sort by creation time, so inserting one appends to the right edge of the
 * primary-key index instead of rewriting a random page of it (a random UUIDv4 touches a different
 * page every insert, which costs a WAL frame and a disk write each). Ids created in the same
 * millisecond are in random order among themselves.
 */
export function uuidV7(now: number = Date.now()): string {
  const bytes = getRandomValues(new Uint8Array(16))
  const ms = Math.floor(now)
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff
  bytes[2] = (ms >>> 24) & 0xff
  bytes[3] = (ms >>> 16) & 0xff
  bytes[4] = (ms >>> 8) & 0xff
  bytes[5] = ms & 0xff
  bytes[6] = (bytes[6]! & 0x0f) | 0x70 // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80 // variant 10
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
