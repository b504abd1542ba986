import { runtime } from '#runtime'
import type { AcmeConfig } from '../config.ts'
import type { Logger } from '../core/logger.ts'
import type { FetchHandler, RunningServer } from '../runtime/types.ts'
import { acmeFolder, acmeIssuer, loadCertificate } from './certificates.ts'
import { challengeOrRedirect } from './http-01.ts'
import { keepRenewed, obtainWithRetry } from './renewal.ts'

export interface HttpsServer extends RunningServer {
  /** Where port 80's listener is (challenges and redirects). */
  readonly httpPort: number
}

/**
 * serve --domain: port 80 first (the CA validates through it), then a certificate (the stored one
 * at once while still valid, else a new one), then HTTPS, and renewal for as long as it runs.
 */
export async function listenHttps(
  fetch: FetchHandler,
  { acme, host, dbPath, log }: { acme: AcmeConfig; host: string; dbPath: string; log: Logger },
): Promise<HttpsServer> {
  const tokens = new Map<string, string>()
  let https: RunningServer | undefined
  const port80 = await runtime.listen(
    challengeOrRedirect({ tokens, domains: acme.domains, httpsPort: () => https?.port ?? acme.httpsPort }),
    { hostname: host, port: acme.httpPort },
  )
  const folder = acmeFolder(dbPath)
  const obtain = acmeIssuer({ config: acme, folder, tokens, log })
  const stored = loadCertificate(folder, acme.domains)
  if (stored) log({ level: 'info', msg: 'using stored certificate', domains: acme.domains, not_after: stored.notAfter.toISOString() })
  const certificate = stored ?? (await obtainWithRetry(obtain, log))
  const server = await runtime.listen(fetch, { hostname: host, port: acme.httpsPort, tls: certificate })
  https = server
  const renewal = keepRenewed({ certificate, renewBeforeMs: acme.renewBeforeMs, obtain, install: (next) => server.replaceTls(next), log })
  return {
    port: server.port,
    httpPort: port80.port,
    replaceTls: (pair) => server.replaceTls(pair),
    async stop() {
      renewal.stop()
      await Promise.all([port80.stop(), server.stop()])
    },
  }
}
