import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './context.ts'

/** A year: long enough to matter, the usual value; no includeSubDomains, other names are not ours to pin. */
const HSTS = 'max-age=31536000'

/**
 * Under serve --domain the app is reached only over HTTPS (port 80 redirects and never reaches it),
 * so every request here came over HTTPS: `c.var.https` says so to code that must know (Secure
 * cookies), and answers tell browsers to keep to HTTPS (HSTS). Behind a proxy that terminates TLS
 * the server itself speaks HTTP, and `https` is false.
 */
export function transportSecurity({ https }: { https: boolean }): MiddlewareHandler<AppEnv> {
  return async function transportSecurity(c, next) {
    c.set('https', https)
    await next()
    if (https) c.header('Strict-Transport-Security', HSTS)
  }
}
