import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'

// Passwords are hashed with scrypt from node:crypto (Bun and Node, no native add-on) at the
// OWASP Password Storage Cheat Sheet's parameters: N=2^17, r=8, p=1. That needs 128 * N * r =
// 128 MiB, above node's 32 MiB default maxmem, hence maxmem. The parameters are stored with each
// hash, so raising them later still verifies older hashes.
const COST = { N: 2 ** 17, r: 8, p: 1 }
const KEY_BYTES = 32
const MAX_MEM = 256 * 1024 * 1024

/** Shortest password accepted (NIST SP 800-63B asks for at least 8; we ask a little more). */
export const MIN_PASSWORD_LENGTH = 10
/** Longest: beyond this a "password" is a denial-of-service attempt on the KDF, not a secret. */
export const MAX_PASSWORD_LENGTH = 200

function derive(password: string, salt: Buffer, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, { ...cost, maxmem: MAX_MEM }, (error, key) =>
      error ? reject(error) : resolve(key),
    )
  })
}

/** "scrypt$N$r$p$salt$hash", base64url parts. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, COST)
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

// Verified against when the email is unknown, so both answers take the same time.
const DUMMY_HASH = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_BYTES).toString('base64url')}`

/** Whether `password` matches `stored`; with no stored hash it spends the same time and says no. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const [kind, N, r, p, salt, hash] = (stored ?? DUMMY_HASH).split('$')
  if (kind !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) })
  return stored !== null && key.length === expected.length && timingSafeEqual(key, expected)
}

/** Why a new password is not acceptable, or undefined when it is. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters`
  if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters`
  return undefined
}
