import { accessSync, constants } from 'node:fs'
import { isPostgresUrl } from '../migrations/dialect.ts'
import { parseTrustProxy, type TrustProxy } from './core/trust-proxy.ts'
import type { Durability } from './db/open.ts'

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
  /** serve --domain: HTTPS with a certificate from an ACME CA. Undefined: plain HTTP on host:port. */
  readonly acme?: AcmeConfig
  /** Waits between a webhook delivery's attempts, in ms (Standard Webhooks' schedule by default). */
  readonly webhookRetriesMs: readonly number[]
  /** How long finished webhook deliveries are kept, in ms; Infinity keeps them for ever. */
  readonly webhookKeepMs: number
}

/** Automatic HTTPS (issue 19); see docs/operations.md. */
export interface AcmeConfig {
  /** The names on the certificate, lowercase; the first is where port 80 redirects other hosts to. */
  readonly domains: readonly string[]
  readonly email?: string
  readonly directoryUrl: string
  /** A PEM file of extra roots to trust when talking to the ACME server (a private or test CA). */
  readonly caFile?: string
  readonly httpsPort: number
  /** Answers HTTP-01 challenges and redirects everything else to HTTPS. */
  readonly httpPort: number
  /** Renew this many ms before expiry; undefined: 30 days, or a third of the lifetime if shorter. */
  readonly renewBeforeMs?: number
}

export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory'

export const DEFAULT_DB_PATH = './data/dmtracker.db'
/** The reference's create-contact limit: 60 requests per minute per organization. */
const DEFAULT_RATE_LIMIT = 60

export class ConfigError extends Error {}

type Flags = Record<string, string | boolean | string[] | undefined>
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
  const acme = acmeFrom(flags, env)
  // Automatic HTTPS keeps its certificates beside an SQLite file and answers the CA's challenge
  // itself, which instances behind a load balancer cannot do: there, the balancer terminates TLS.
  if (acme && isPostgresUrl(dbPathFrom(flags, env))) {
    throw new ConfigError(
      '--domain (automatic HTTPS) runs with an SQLite database only; with PostgreSQL, terminate HTTPS at the load balancer (docs/scaling.md)',
    )
  }
  return Object.freeze({
    ...listenFrom(flags, env),
    // With --domain the server faces the internet: all addresses, IPv4 and IPv6, unless told otherwise.
    ...(acme && { host: str(flags.host) ?? env.DMTRACKER_HOST ?? '::', port: acme.httpsPort }),
    acme,
    dbPath: dbPathFrom(flags, env),
    durability: oneOf('durability', str(flags.durability) ?? env.DMTRACKER_DURABILITY ?? 'full', ['normal', 'full'] as const),
    busyTimeoutMs: integer('busy-timeout', str(flags['busy-timeout']) ?? env.DMTRACKER_BUSY_TIMEOUT_MS ?? '5000', 0, 600_000),
    bodyLimitBytes: integer(
      'body-limit',
      str(flags['body-limit']) ?? env.DMTRACKER_BODY_LIMIT ?? String(1024 * 1024),
      1024,
      64 * 1024 * 1024,
    ),
    logRequests: !(flags.quiet === true || env.DMTRACKER_QUIET === '1'),
    rateLimitPerMinute: rateLimit,
    rateLimitBurst: limitOrOff('rate-burst', str(flags['rate-burst']) ?? env.DMTRACKER_RATE_BURST ?? String(rateLimit)),
    authFailuresPerMinute: limitOrOff('auth-failure-limit', str(flags['auth-failure-limit']) ?? env.DMTRACKER_AUTH_FAILURE_LIMIT ?? '20'),
    trustProxy: trustProxy(str(flags['trust-proxy']) ?? env.DMTRACKER_TRUST_PROXY ?? 'off'),
    webhookRetriesMs: webhookRetriesFrom(flags, env),
    webhookKeepMs: webhookKeepFrom(str(flags['webhook-keep-days']) ?? env.DMTRACKER_WEBHOOK_KEEP_DAYS ?? String(DEFAULT_WEBHOOK_KEEP_DAYS)),
    readWorkers: integer('read-workers', str(flags['read-workers']) ?? env.DMTRACKER_READ_WORKERS ?? '2', 1, 64),
    checkpoint: oneOf('checkpoint (env DMTRACKER_CHECKPOINT)', env.DMTRACKER_CHECKPOINT ?? 'background', ['background', 'inline'] as const),
  })
}

/** --domain (repeatable) or DMTRACKER_DOMAIN (comma-separated) turns on automatic HTTPS. */
function acmeFrom(flags: Flags, env: Env): AcmeConfig | undefined {
  const given = Array.isArray(flags.domain) ? flags.domain : (env.DMTRACKER_DOMAIN?.split(',') ?? [])
  const domains = [...new Set(given.map((d) => d.trim().toLowerCase()).filter(Boolean))]
  if (domains.length === 0) {
    for (const flag of ['acme-email', 'acme-directory', 'acme-ca-file', 'https-port', 'http-port']) {
      if (flags[flag] !== undefined) throw new ConfigError(`--${flag} needs --domain`)
    }
    return undefined
  }
  if (str(flags.port) !== undefined) throw new ConfigError('--port does not apply with --domain; use --https-port and --http-port')
  for (const domain of domains) {
    // HTTP-01 proves control of one DNS name: no wildcards, no IP addresses, no bare hosts.
    if (!/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domain)) {
      throw new ConfigError(`--domain must be a DNS name such as crm.example.com, got "${domain}"`)
    }
  }
  const email = str(flags['acme-email']) ?? env.DMTRACKER_ACME_EMAIL
  if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    throw new ConfigError(`--acme-email must be an email address, got "${email}"`)
  const directoryUrl = str(flags['acme-directory']) ?? env.DMTRACKER_ACME_DIRECTORY ?? LETS_ENCRYPT_DIRECTORY
  if (!URL.canParse(directoryUrl) || new URL(directoryUrl).protocol !== 'https:') {
    throw new ConfigError(`--acme-directory must be an https:// URL, got "${directoryUrl}"`)
  }
  const renewBeforeDays = env.DMTRACKER_ACME_RENEW_BEFORE_DAYS
  if (renewBeforeDays !== undefined && !(Number(renewBeforeDays) > 0)) {
    throw new ConfigError(`DMTRACKER_ACME_RENEW_BEFORE_DAYS must be a number of days above 0, got "${renewBeforeDays}"`)
  }
  const caFile = str(flags['acme-ca-file']) ?? env.DMTRACKER_ACME_CA_FILE
  if (caFile !== undefined && !readable(caFile)) throw new ConfigError(`--acme-ca-file: cannot read "${caFile}"`)
  return {
    domains,
    email,
    directoryUrl,
    caFile,
    httpsPort: integer('https-port', str(flags['https-port']) ?? env.DMTRACKER_HTTPS_PORT ?? '443', 0, 65535),
    httpPort: integer('http-port', str(flags['http-port']) ?? env.DMTRACKER_HTTP_PORT ?? '80', 0, 65535),
    renewBeforeMs: renewBeforeDays === undefined ? undefined : Number(renewBeforeDays) * 86_400_000,
  }
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK)
    return true
  } catch {
    return false
  }
}

/** Standard Webhooks' recommended schedule: retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
const DEFAULT_WEBHOOK_RETRIES = '5s,5m,30m,2h,5h,10h,10h'
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** --webhook-retries (env DMTRACKER_WEBHOOK_RETRIES): waits such as `5s,5m,30m`; `none` means a single attempt. */
export function webhookRetriesFrom(flags: Flags, env: Env): number[] {
  const raw = str(flags['webhook-retries']) ?? env.DMTRACKER_WEBHOOK_RETRIES ?? DEFAULT_WEBHOOK_RETRIES
  if (raw.trim() === 'none') return []
  return raw.split(',').map((part) => {
    const match = /^\s*(\d+)(ms|s|m|h)\s*$/.exec(part)
    if (!match || Number(match[1]) > 7 * 24 * 3_600_000) {
      throw new ConfigError(`--webhook-retries must be waits such as 5s,5m,30m,2h (units ms, s, m, h) or none, got "${raw}"`)
    }
    return Number(match[1]) * DURATION_UNITS[match[2]!]!
  })
}

/** How long finished webhook deliveries (delivered or failed) and their attempts are kept by default. */
export const DEFAULT_WEBHOOK_KEEP_DAYS = 30

/** --webhook-keep-days (env DMTRACKER_WEBHOOK_KEEP_DAYS): whole days, or `forever`. */
function webhookKeepFrom(raw: string): number {
  if (raw.trim().toLowerCase() === 'forever') return Number.POSITIVE_INFINITY
  const value = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > 36_500) {
    throw new ConfigError(`--webhook-keep-days must be a whole number of days from 1 to 36500, or forever, got "${raw}"`)
  }
  return value * 24 * 60 * 60 * 1000
}

function str(value: string | boolean | string[] | undefined): string | undefined {
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
