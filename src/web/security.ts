import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { TrustProxy } from '../core/trust-proxy.ts'
import type { AppEnv } from '../http/context.ts'

// What every web page response carries, cross-site request forgery protection and the session
// cookie. See docs/decisions.md, "Web app security".

/** No inline script or style, nothing from another host, never inside a frame. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ')

/** The headers of every page (HTML) response. */
export function pageHeaders(c: Context): void {
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  c.header('X-Frame-Options', 'DENY')
  c.header('X-Content-Type-Options', 'nosniff')
  // Invite links carry their token in the path: never send it to another site.
  c.header('Referrer-Policy', 'no-referrer')
  c.header('Cross-Origin-Opener-Policy', 'same-origin')
  c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()')
  c.header('Cache-Control', 'no-store')
}

/**
 * Whether the browser reached us over HTTPS: the request URL says so when this process serves
 * TLS, and X-Forwarded-Proto does when a trusted proxy (--trust-proxy) terminates it. The one
 * place to extend when the server gains its own HTTPS.
 */
export function isHttps(c: Context, trust: TrustProxy): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true
  return trust.kind !== 'off' && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https'
}

/**
 * Cross-site request forgery: a state-changing page request must come from one of our own pages.
 * Browsers say where a request comes from in Sec-Fetch-Site (all current ones) and Origin; one of
 * them must name this site. A request with neither (not a browser, or a very old one) is refused
 * too: no page form needs to work without them. Unlike Hono's `csrf`, which only looks at form
 * content types, this checks every content type.
 */
export function sameOrigin(): MiddlewareHandler<AppEnv> {
  return async function sameOriginCheck(c, next) {
    if (/^(GET|HEAD|OPTIONS)$/.test(c.req.method)) return next()
    const site = c.req.header('sec-fetch-site')
    const origin = c.req.header('origin')
    const host = c.req.header('host')
    const originOk = origin !== undefined && host !== undefined && safeHost(origin) === host.toLowerCase()
    if (site === 'same-origin' || (site === undefined && originOk)) return next()
    pageHeaders(c)
    return c.text('This form was sent from another site, so it was refused. Reload the page and try again.', 403)
  }
}

function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase()
  } catch {
    return undefined
  }
}

export const SESSION_COOKIE = 'dmtracker_session'

export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE)
}

/** HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site posts), Secure over HTTPS. */
export function setSessionCookie(c: Context, id: string, secure: boolean, maxAgeSeconds: number): void {
  setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: 'Lax', secure, path: '/', maxAge: maxAgeSeconds })
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' })
}
