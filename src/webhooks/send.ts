import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
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

/**
 * POSTs `body` to the checked address of `target` (never a fresh DNS lookup), with the URL's host
 * in the Host header and, for https, in SNI and the certificate check. Gives up after `timeoutMs`.
 * `extraRoots` are trusted beside the system's certificate authorities (tests; an operator with a
 * private CA sets NODE_EXTRA_CA_CERTS instead).
 */
export function postTo(
  target: Target,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  extraRoots: string[] = [],
): Promise<AttemptResult> {
  const started = performance.now()
  const { url } = target
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    let settled = false
    const finish = (result: Omit<AttemptResult, 'durationMs'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ...result, durationMs: Math.round(performance.now() - started) })
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
        agent: false,
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
    req.on('error', (error) => finish({ statusCode: null, body: null, error: error.message }))
    req.end(body)
  })
}
