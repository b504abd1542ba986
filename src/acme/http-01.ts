import type { FetchHandler } from '../runtime/types.ts'

const CHALLENGE_PATH = '/.well-known/acme-challenge/'

export interface Port80Options {
  /** HTTP-01 tokens being validated right now, token -> key authorization. */
  readonly tokens: ReadonlyMap<string, string>
  readonly domains: readonly string[]
  /** Where HTTPS listens (a function: with --https-port 0 it is known only once it listens). */
  readonly httpsPort: () => number
}

/**
 * Port 80 under --domain: answers the CA's HTTP-01 challenges and sends everything else to the same
 * path over HTTPS. 308, not 301, so that a POST (a ManyChat request to an http:// URL) stays a POST
 * with its body. Only our own domains are redirected to; any other Host goes to the first domain,
 * so the redirect cannot be aimed elsewhere.
 */
export function challengeOrRedirect({ tokens, domains, httpsPort }: Port80Options): FetchHandler {
  return function port80(request) {
    const url = new URL(request.url)
    if (url.pathname.startsWith(CHALLENGE_PATH)) {
      const answer = tokens.get(url.pathname.slice(CHALLENGE_PATH.length))
      return answer === undefined
        ? new Response('Not Found', { status: 404 })
        : new Response(answer, { headers: { 'content-type': 'application/octet-stream' } })
    }
    const asked = (request.headers.get('host') ?? '').replace(/:\d+$/, '').toLowerCase()
    const host = domains.includes(asked) ? asked : domains[0]!
    const port = httpsPort()
    const location = `https://${host}${port === 443 ? '' : `:${port}`}${url.pathname}${url.search}`
    return new Response(null, { status: 308, headers: { location } })
  }
}
