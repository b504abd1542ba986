import { runtime } from '#runtime'
import { isPostgresUrl } from '../../migrations/dialect.ts'
import { listenHttps } from '../acme/serve-https.ts'
import { createApp } from '../app.ts'
import { loadConfig } from '../config.ts'
import { jsonLogger, type Logger } from '../core/logger.ts'
import { isoTime } from '../core/time.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { openStore, type Store } from '../db/open.ts'
import { redactUrl } from '../db/postgres.ts'
import { createFirstOrganization } from '../organizations/service.ts'
import { VERSION } from '../system/routes.ts'
import { curlExample } from '../tokens/curl.ts'
import { type DeliveryWorker, startDeliveryWorker } from '../webhooks/worker.ts'
import { type CliIo, commandOf, parse, positionals, showHelp } from './common.ts'
import { baseUrl } from './hints.ts'

export const SERVE_HELP = `Usage: dmtracker [serve] [options]
  --host HOST            listen address (env DMTRACKER_HOST, default 127.0.0.1)
  --port PORT            listen port (env DMTRACKER_PORT or PORT, default 8080; 0 picks a free one)
  --db PATH              database file (env DMTRACKER_DB, default ./data/dmtracker.db)
  --database URL         a PostgreSQL database instead, postgres://user:password@host/name
                         (env DMTRACKER_DATABASE_URL); see docs/scaling.md
  --durability MODE      full: every answer waits for its commit to reach the disk (group commit);
                         normal: faster, may lose the last commits on power loss (env DMTRACKER_DURABILITY,
                         default full)
  --busy-timeout MS      wait for another process's lock (env DMTRACKER_BUSY_TIMEOUT_MS, default 5000)
  --body-limit BYTES     largest request body (env DMTRACKER_BODY_LIMIT, default 1048576)
  --quiet                no request log lines (env DMTRACKER_QUIET=1)
  --rate-limit N         create-contact requests per minute per organization (env DMTRACKER_RATE_LIMIT,
                         default 60; 0 or off lifts the limit, e.g. for benchmarks)
  --rate-burst N         how many of those may come at once (env DMTRACKER_RATE_BURST, default the
                         rate limit; 0 or off lifts the limit)
  --auth-failure-limit N failed token checks per minute from one client address before it gets 429s
                         (env DMTRACKER_AUTH_FAILURE_LIMIT, default 20; 0 or off lifts it)
  --trust-proxy HOPS|ADDRESSES
                         believe X-Forwarded-For from proxies in front: a number of hops (1 for one
                         reverse proxy or tunnel), or addresses/CIDRs such as loopback,10.0.0.0/8
                         (env DMTRACKER_TRUST_PROXY, default off: the TCP peer is the client)
  --webhook-retries LIST waits between a webhook delivery's attempts (env DMTRACKER_WEBHOOK_RETRIES,
                         default 5s,5m,30m,2h,5h,10h,10h, each stretched by up to 20% at random)
  --webhook-keep-days N  remove delivered and failed webhook deliveries, and their attempts, N days
                         after their last attempt (env DMTRACKER_WEBHOOK_KEEP_DAYS, default 30;
                         forever keeps them)
  --read-workers N       threads for long reads (exports, lists, boards): at most N run at once, up to
                         16 per thread wait, more get 503 (env DMTRACKER_READ_WORKERS, default 2)
  --domain NAME          serve HTTPS for NAME with a certificate obtained and renewed over ACME
                         (Let's Encrypt by default); repeat for more names (env DMTRACKER_DOMAIN,
                         comma-separated). Listens on all addresses unless --host is given; port 80
                         answers the CA's challenges and redirects to HTTPS. Certificates live in
                         acme/ beside the database. Without --domain: plain HTTP as above
  --acme-email EMAIL     where the CA sends expiry warnings (env DMTRACKER_ACME_EMAIL)
  --acme-directory URL   another ACME CA, e.g. Let's Encrypt staging (env DMTRACKER_ACME_DIRECTORY)
  --acme-ca-file PEM     extra root to trust when talking to the ACME server (env DMTRACKER_ACME_CA_FILE)
  --https-port PORT      with --domain (env DMTRACKER_HTTPS_PORT, default 443)
  --http-port PORT       with --domain (env DMTRACKER_HTTP_PORT, default 80)`

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parse(args, {
    host: { type: 'string' },
    port: { type: 'string' },
    durability: { type: 'string' },
    'busy-timeout': { type: 'string' },
    'body-limit': { type: 'string' },
    quiet: { type: 'boolean' },
    'rate-limit': { type: 'string' },
    'rate-burst': { type: 'string' },
    'auth-failure-limit': { type: 'string' },
    'trust-proxy': { type: 'string' },
    'webhook-retries': { type: 'string' },
    'webhook-keep-days': { type: 'string' },
    'read-workers': { type: 'string' },
    domain: { type: 'string', multiple: true },
    'acme-email': { type: 'string' },
    'acme-directory': { type: 'string' },
    'acme-ca-file': { type: 'string' },
    'https-port': { type: 'string' },
    'http-port': { type: 'string' },
  })
  if (values.help) {
    showHelp(io, SERVE_HELP)
    return 0
  }
  positionals(rest, [])
  const config = loadConfig(values, io.env)
  const log = jsonLogger()
  const store = openStore(config.dbPath, config)
  await migrateToLatest(store.db)
  await store.shareChanges?.()
  const app = createApp({ store, config, log })
  const listening = config.acme
    ? listenHttps(app.fetch, { acme: config.acme, host: config.host, dbPath: config.dbPath, log })
    : runtime.listen(app.fetch, { hostname: config.host, port: config.port })
  const server = await listening.catch(async (error) => {
    await app.close()
    await store.close()
    throw error
  })
  // Only once the port is ours: a server that cannot listen must not create an organization
  // whose token nobody sees.
  const welcome = await store.write((trx) => createFirstOrganization(trx, isoTime()))
  // Sends what the outbox holds, including what an earlier run committed but never sent; paced
  // while the app answers requests, as they share this thread.
  const webhooks = startDeliveryWorker(store, {
    scheduleMs: [...config.webhookRetriesMs],
    keepMs: config.webhookKeepMs,
    log,
    busy: app.busy,
  })
  const base = config.acme
    ? `https://${config.acme.domains[0]}${server.port === 443 ? '' : `:${server.port}`}`
    : `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`
  const ports = 'httpPort' in server ? { https_port: server.port, http_port: server.httpPort } : {}
  log({
    level: 'info',
    msg: 'listening',
    url: base,
    ...ports,
    db: isPostgresUrl(config.dbPath) ? redactUrl(config.dbPath) : config.dbPath,
    runtime: runtime.name,
    version: VERSION,
    durability: config.durability,
  })
  if (welcome) {
    // Shown once, on the terminal that started the first run; never in the request log.
    io.err(
      [
        '',
        `First run: created organization "${welcome.name}"`,
        `  organization_id:  ${welcome.id}`,
        `  x-org-auth-token: ${welcome.token.token}`,
        `The token is shown only this once; store it now (more with \`${commandOf(io)} token create ${welcome.id}\`).`,
        `Try it:\n  ${curlExample(welcome.id, welcome.token.token, config.acme ? base : baseUrl(config.host, server.port))}`,
        '',
      ].join('\n'),
    )
  }
  await shutdownSignal()
  await shutdown(log, server, app, store, webhooks)
  return 0
}

function shutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'))
    process.once('SIGINT', () => resolve('SIGINT'))
  })
}

/** Stop accepting, finish in-flight requests, flush, checkpoint and close the database. */
async function shutdown(
  log: Logger,
  server: { stop(): Promise<void> },
  app: { endStreams(): void; close(): Promise<void> },
  store: Store,
  webhooks: DeliveryWorker,
) {
  log({ level: 'info', msg: 'shutting down' })
  // Open event streams (the web app's live board) never end by themselves.
  app.endStreams()
  await server.stop()
  await webhooks.stop()
  await app.close()
  await store.close()
  log({ level: 'info', msg: 'stopped' })
}

export async function migrateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parse(args, {})
  if (values.help) {
    showHelp(io, 'Usage: dmtracker migrate [--db PATH]   applies pending migrations (serve does this too)')
    return 0
  }
  positionals(rest, [])
  const config = loadConfig(values, io.env)
  const store = openStore(config.dbPath)
  try {
    const applied = await migrateToLatest(store.db)
    io.out(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date')
  } finally {
    await store.close()
  }
  return 0
}
