import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../core/logger.ts'
import type { Certificate } from './certificates.ts'

const DAY = 86_400_000
const HOUR = 3_600_000
/** Let's Encrypt's advice: renew with 30 days left (a third of a 90-day certificate). */
const DEFAULT_RENEW_BEFORE = 30 * DAY
/** After a renewal, the next one waits at least this long, whatever the window says (CA rate limits). */
const MIN_GAP = HOUR
/** Timers cannot wait longer than 2^31 ms (24.8 days); wake up daily and look again. */
const MAX_WAIT = DAY

/** When a certificate is due for renewal: `renewBeforeMs` before expiry, by default 30 days or a third of its lifetime. */
export function renewalTime(certificate: Certificate, renewBeforeMs?: number): number {
  const lifetime = certificate.notAfter.getTime() - certificate.notBefore.getTime()
  return certificate.notAfter.getTime() - (renewBeforeMs ?? Math.min(DEFAULT_RENEW_BEFORE, lifetime / 3))
}

/** How long to wait after the n-th failure in a row: 1 minute, doubling, at most 6 hours. */
export function retryDelay(failures: number): number {
  return Math.min(60_000 * 2 ** (failures - 1), 6 * HOUR)
}

export interface RenewalOptions {
  /** The certificate being served now. */
  certificate: Certificate
  renewBeforeMs?: number
  /** Gets a new certificate from the CA. */
  obtain(): Promise<Certificate>
  /** Puts a new certificate in front of new connections. */
  install(certificate: Certificate): Promise<void>
  log: Logger
  now?: () => number
  /** Injected by tests; resolves after `ms`, rejects when `signal` aborts. */
  wait?: (ms: number, signal: AbortSignal) => Promise<unknown>
}

/**
 * Renews the certificate when it is due, for as long as the server runs. A failed renewal is
 * logged and retried with back-off while the old certificate keeps serving.
 */
export function keepRenewed({ certificate, renewBeforeMs, obtain, install, log, now = Date.now, wait = defaultWait }: RenewalOptions) {
  const stop = new AbortController()
  const loop = async () => {
    let current = certificate
    let failures = 0
    let notBefore = 0
    while (!stop.signal.aborted) {
      const delay = Math.max(renewalTime(current, renewBeforeMs), notBefore) - now()
      if (delay > 0) {
        await wait(Math.min(delay, MAX_WAIT), stop.signal)
        continue
      }
      try {
        const next = await obtain()
        if (stop.signal.aborted) break
        await install(next)
        current = next
        failures = 0
        notBefore = now() + MIN_GAP
        log({ level: 'info', msg: 'certificate renewed', not_after: current.notAfter.toISOString() })
      } catch (error) {
        failures += 1
        notBefore = now() + retryDelay(failures)
        log({
          level: 'error',
          msg: 'certificate renewal failed',
          error: error instanceof Error ? error.message : String(error),
          failures,
          retry_at: new Date(notBefore).toISOString(),
          serving_until: current.notAfter.toISOString(),
        })
      }
    }
  }
  const done = loop().catch((error) => {
    if (!stop.signal.aborted) throw error
  })
  return {
    /** Stops renewing (a request to the CA under way is not waited for: its result is dropped). */
    stop: () => stop.abort(),
    /** Settles once the loop has ended, for tests. */
    done,
  }
}

function defaultWait(ms: number, signal: AbortSignal) {
  return sleep(ms, undefined, { signal, ref: false })
}

/** At start-up without a usable certificate: asks until the CA gives one, with the same back-off. */
export async function obtainWithRetry(obtain: () => Promise<Certificate>, log: Logger, wait = defaultWait): Promise<Certificate> {
  for (let failures = 1; ; failures++) {
    try {
      return await obtain()
    } catch (error) {
      const delay = retryDelay(failures)
      log({
        level: 'error',
        msg: 'certificate request failed',
        error: error instanceof Error ? error.message : String(error),
        failures,
        retry_in_s: delay / 1000,
      })
      await wait(delay, new AbortController().signal)
    }
  }
}
