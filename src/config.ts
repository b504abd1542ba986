import type { Durability } from './db/open.ts'
import { parseTrustProxy, type TrustProxy } from './core/trust-proxy.ts'

/** Everything `serve` can be told, from flags first, then environment, then defaults. */
export interface Config {
  readonly host: string
  readonly port: number
  readonly dbPath: string
  readonly durability: Durability
  readonly busyTimeoutMs: number
  readonly bodyLimitBytes: number
  readonly logRequests: boolean
  /** create-contact requests per minute per organization; 0 lifts the limit. */
  readonly rateLimitPerMinute: number
  /** How many of those may arrive at once (the token bucket's size); 0 lifts the limit. */
  readonly rateLimitBurst: number
  /** Failed authentications per minute from one client address before it gets 429s; 0 = off. */
  readonly authFailuresPerMinute: number
  /** Which X-Forwarded-For entries name proxies rather than clients; off (the TCP peer is the client) by default. */
  readonly trustProxy: TrustProxy
  /** Read worker threads: how many long reads (exports, lists, boards) run at once; more wait in a queue. */
  readonly readWorkers: number
  /** Who copies the WAL into the database file: a worker thread (default) or each commit that fills it. */
  readonly checkpoint: 'background' | 'inline'
}

const DEFAULT_DB_PATH = './data/dmtracker.db'
/** The reference's create-contact limit: 60 requests per minute per organization. */
const DEFAULT_RATE_LIMIT = 60

export class ConfigError extends Error {}

type Flags = Record<string, string | boolean | undefined>
type Env = Record<string, string | undefined>

/**
 * The database every command uses: --database URL (a postgres:// URL, or an SQLite file), then
 * --db, then DMTRACKER_DATABASE_URL, then DMTRACKER_DB, then ./data/dmtracker.db. A flag always
 * wins over the environment.
 */
export function dbPathFrom(flags: Flags, env: Env): string {
  return str(flags.database) ?? str(flags.db) ?? env.DMTRACKER_DATABASE_URL ?? env.DMTRACKER_DB ?? DEFAULT_DB_PATH
}

/** Where `serve` listens: --host/--port, then DMTRACKER_HOST, DMTRACKER_PORT or PORT, then 127.0.0.1:8080. */
export function listenFrom(flags: Flags, env: Env): { host: string; port: number } {
  return {
    host: str(flags.host) ?? env.DMTRACKER_HOST ?? '127.0.0.1',
    port: integer('port', str(flags.port) ?? env.DMTRACKER_PORT ?? env.PORT ?? '8080', 0, 65535),
  }
}

/** Parses and validates once; a bad value is an error, never a silent default. */
export function loadConfig(flags: Flags, env: Env = process.env): Config {
  const rateLimit = limitOrOff('rate-limit', str(flags['rate-limit']) ?? env.DMTRACKER_RATE_LIMIT ?? String(DEFAULT_RATE_LIMIT))
  return Object.freeze({
    ...listenFrom(flags, env),
    dbPath: dbPathFrom(flags, env),
    durability: oneOf('durability', str(flags.durability) ?? env.DMTRACKER_DURABILITY ?? 'full', ['normal', 'full'] as const),
    busyTimeoutMs: integer('busy-timeout', str(flags['busy-timeout']) ?? env.DMTRACKER_BUSY_TIMEOUT_MS ?? '5000', 0, 600_000),
    bodyLimitBytes: integer('body-limit', str(flags['body-limit']) ?? env.DMTRACKER_BODY_LIMIT ?? String(1024 * 1024), 1024, 64 * 1024 * 1024),
    logRequests: !(flags.quiet === true || env.DMTRACKER_QUIET === '1'),
    rateLimitPerMinute: rateLimit,
    rateLimitBurst: limitOrOff('rate-burst', str(flags['rate-burst']) ?? env.DMTRACKER_RATE_BURST ?? String(rateLimit)),
    authFailuresPerMinute: limitOrOff('auth-failure-limit', str(flags['auth-failure-limit']) ?? env.DMTRACKER_AUTH_FAILURE_LIMIT ?? '20'),
    trustProxy: trustProxy(str(flags['trust-proxy']) ?? env.DMTRACKER_TRUST_PROXY ?? 'off'),
    readWorkers: integer('read-workers', str(flags['read-workers']) ?? env.DMTRACKER_READ_WORKERS ?? '2', 1, 64),
    checkpoint: oneOf('checkpoint (env DMTRACKER_CHECKPOINT)', env.DMTRACKER_CHECKPOINT ?? 'background', ['background', 'inline'] as const),
  })
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function integer(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`)
  }
  return value
}

/** A request limit, where 0 or "off" lifts it (for benchmarks). */
function limitOrOff(name: string, raw: string): number {
  return raw.trim().toLowerCase() === 'off' ? 0 : integer(name, raw, 0, 1_000_000)
}

function trustProxy(raw: string): TrustProxy {
  try {
    return parseTrustProxy(raw)
  } catch (error) {
    throw new ConfigError(`--trust-proxy ${(error as Error).message}`)
  }
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`--${name} must be one of ${allowed.join(', ')}, got "${raw}"`)
  }
  return raw as T
}
