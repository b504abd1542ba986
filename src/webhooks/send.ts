import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { rootCertificates } from 'node:tls'
import type { Target } from './target.ts'

/** What one attempt came to; `error` is set when there was no HTTP answer (refused, timed out). */
export interface AttemptResult {
  statusCode: number | null
  /** The start of the receiver's answer, kept for `webhook deliveries`. */
  body: string | null
  error: string | null
  durationMs: number
}

/** Longest piece of a receiver's answer that is kept. */
export const RESPONSE_BODY_LIMIT = 1024

/** How long an idle connection to a receiver is kept: under the 5 s most servers keep one (Node's default). */
const IDLE_MS = 4_000

/** Connections kept open between attempts, for one worker; `destroy` closes them. */
export interface KeepAlive {
  http: HttpAgent
  https: HttpsAgent
  destroy(): void
}

/**
 * Agents that keep connections to receivers open between attempts (no new TCP and TLS handshake
 * per attempt; docs/performance.md has what it saves). A connection is pooled under the address
 * it was made to (and, for https, the name its certificate was checked for), and every attempt
 * resolves and checks that address again first (postTo connects only to the checked address): a
 * kept connection is reused only for an attempt whose checked address is its own, and a new one
 * is made, as before, only to a checked address. Bounded: at most `maxIdlePerAddress` idle
 * connections per address (the worker's per-endpoint concurrency), none idle past IDLE_MS.
 */
export function keepAliveAgents(maxIdlePerAddress: number): KeepAlive {
  const options = { keepAlive: true, maxFreeSockets: maxIdlePerAddress, timeout: IDLE_MS, scheduling: 'lifo' as const }
  const http = new HttpAgent(options)
  const https = new HttpsAgent(options)
  return {
    http,
    https,
    destroy() {
      http.destroy()
      https.destroy()
    },
  }
}

/**
 * POSTs `body` to the checked address of `target` (never a fresh DNS lookup), with the URL's host
 * in the Host header and, for https, in SNI and the certificate check. Gives up after `timeoutMs`.
 * `extraRoots` are trusted beside the system's certificate authorities (tests; an operator with a
 * private CA sets NODE_EXTRA_CA_CERTS instead). With `keepAlive` the connection may be one kept
 * from an earlier attempt to the same address; without, a new one is made and closed after.
 */
export async function postTo(
  target: Target,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  extraRoots: string[] = [],
  keepAlive?: KeepAlive,
): Promise<AttemptResult> {
  const started = performance.now()
  const agent = keepAlive ? keepAlive[target.url.protocol === 'https:' ? 'https' : 'http'] : false
  let result = await postOnce(target, headers, body, timeoutMs, extraRoots, agent)
  // A kept connection the receiver had closed fails at once, before any answer: the attempt is made
  // once more, on a new connection, within its time (at least once: the receiver may see it twice).
  if (result.staleConnection) {
    const left = timeoutMs - (performance.now() - started)
    if (left > 0) result = await postOnce(target, headers, body, left, extraRoots, false)
  }
  const { statusCode, body: answer, error } = result
  return { statusCode, body: answer, error, durationMs: Math.round(performance.now() - started) }
}

type Answer = Omit<AttemptResult, 'durationMs'> & { staleConnection?: boolean }

function postOnce(
  target: Target,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  extraRoots: string[],
  agent: HttpAgent | false,
): Promise<Answer> {
  const { url } = target
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    let settled = false
    const finish = (answer: Answer) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(answer)
    }
    const req = request(
      {
        host: target.address,
        family: target.family,
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        // SNI names a host, never an address (RFC 6066; Bun refuses one); for an address the
        // certificate is checked against `host`, which is then that same address.
        ...(isIP(url.hostname) === 0 ? { servername: url.hostname } : {}),
        ...(extraRoots.length > 0 ? { ca: [...rootCertificates, ...extraRoots] } : {}),
        agent,
        headers: {
          ...headers,
          host: url.host,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'dmtracker-webhooks',
        },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_BODY_LIMIT) chunks.push(chunk)
          size += chunk.length
        })
        res.on('end', () =>
          finish({
            statusCode: res.statusCode ?? null,
            body: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_LIMIT),
            error: null,
          }),
        )
        res.on('error', (error) => finish({ statusCode: res.statusCode ?? null, body: null, error: error.message }))
      },
    )
    const timer = setTimeout(() => {
      finish({ statusCode: null, body: null, error: `timed out after ${timeoutMs} ms` })
      req.destroy()
    }, timeoutMs)
    req.on('error', (error: NodeJS.ErrnoException) => {
      const staleConnection = req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')
      finish({ statusCode: null, body: null, error: error.message, staleConnection })
    })
    req.end(body)
  })
}

/** One attempt's outcome in words, for `webhook test`/`retry` and Settings; undefined: nothing was sent. */
export function describeAttempt(result: AttemptResult | undefined): string {
  if (!result) return 'not sent: the delivery is not waiting (already delivered, or being sent by the server)'
  if (result.error) return `failed: ${result.error} (${result.durationMs} ms); the server retries it on schedule`
  const ok = result.statusCode! >= 200 && result.statusCode! < 300
  return `${ok ? 'delivered' : 'failed'}: HTTP ${result.statusCode} in ${result.durationMs} ms${ok ? '' : '; the server retries it on schedule'}`
}
