import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
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
 */
export function postTo(target: Target, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult> {
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
        servername: url.hostname,
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
