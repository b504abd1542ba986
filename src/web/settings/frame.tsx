import type { Context } from 'hono'
import type { Child } from 'hono/jsx'
import { type AuditActor, recordAudit } from '../../audit/repo.ts'
import { AppError } from '../../core/errors.ts'
import { isoTime } from '../../core/time.ts'
import type { Trx } from '../../db/write.ts'
import { readForm } from '../../http/body.ts'
import type { AppDeps, AppEnv, Member } from '../../http/context.ts'
import { errorStatus } from '../../http/render-error.ts'
import { Notice, renderPage } from '../layout.tsx'
import { isHttps } from '../security.ts'
import { SETTINGS_CSS_URL, SETTINGS_JS_URL } from './assets.ts'

// What every Settings page shares: the sub-navigation, the way an action runs (one write with
// its audit row) and reports back on the page, the confirmation step, this server's address.

export const SECTIONS = [
  { path: '/settings/stages', name: 'Pipeline stages' },
  { path: '/settings/automations', name: 'Smart automations' },
  { path: '/settings/follow-ups', name: 'Follow-ups' },
  { path: '/settings/tokens', name: 'API tokens' },
  { path: '/settings/team', name: 'Team' },
  { path: '/settings/manychat', name: 'ManyChat' },
  { path: '/settings/webhooks', name: 'Webhooks' },
  { path: '/settings/audit', name: 'Audit log' },
] as const

export type SectionName = (typeof SECTIONS)[number]['name']

/** The outcome of an action, shown at the top of the page it renders. */
export interface Flash {
  ok?: Child
  error?: string
  status?: number
}

/** A Settings page: the app's frame, the Settings sub-navigation, the outcome of the last action. */
export function settingsPage(c: Context<AppEnv>, section: SectionName | 'Settings', flash: Flash, body: Child) {
  return renderPage(
    c,
    { title: section === 'Settings' ? 'Settings' : `${section} · Settings`, current: 'Settings', status: flash.status },
    <>
      {/* Settings' own small stylesheet and script (drag to reorder, copy buttons): src/web/settings/assets.ts. */}
      <link rel="stylesheet" href={SETTINGS_CSS_URL} />
      <script src={SETTINGS_JS_URL} defer></script>
      <nav aria-label="Settings" class="settings-nav">
        <ul>
          {SECTIONS.map((s) => (
            <li>
              <a href={s.path} aria-current={s.name === section ? 'page' : undefined}>
                {s.name}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <h1>{section}</h1>
      {flash.error ? <Notice kind="error">{flash.error}</Notice> : null}
      {flash.ok ? <Notice kind="ok">{flash.ok}</Notice> : null}
      {body}
    </>,
  )
}

export function actorOf(member: Member): AuditActor {
  return { via: 'web', userId: member.session.user.id, email: member.session.user.email }
}

/** Refusals a person can act on (bad input, gone, not allowed) are shown on the page; anything else is an error page. */
const SHOWN_ON_PAGE = new Set(['bad_request', 'validation', 'not_found', 'forbidden', 'conflict'])

/**
 * Runs one settings action: one write through store.write that does the work and records it in the
 * audit trail (`describe` says what was done, for the trail and the page). A refusal comes back as
 * a Flash with the error's status code; nothing was written then.
 */
export async function act<T>(
  deps: AppDeps,
  c: Context<AppEnv>,
  action: string,
  work: (trx: Trx, organizationId: string) => Promise<T>,
  describe: (result: T) => string,
): Promise<{ flash: Flash; result?: T }> {
  const member = c.get('member')
  const now = isoTime(deps.now())
  try {
    const result = await deps.store.write(async (trx) => {
      const result = await work(trx, member.organization.id)
      await recordAudit(trx, actorOf(member), { organizationId: member.organization.id, action, detail: describe(result) }, now)
      return result
    })
    return { flash: { ok: describe(result) }, result }
  } catch (error) {
    if (error instanceof AppError && SHOWN_ON_PAGE.has(error.kind))
      return { flash: { error: error.message, status: errorStatus(error.kind) } }
    throw error
  }
}

/** The posted form (the size limit of every body). */
export function form(deps: AppDeps, c: Context<AppEnv>) {
  return readForm(c, deps.config.bodyLimitBytes)
}

/**
 * The address people reach this server at, from the request: its host and scheme, or with a
 * trusted proxy (--trust-proxy) the scheme and host it says the browser used. Untrusted
 * X-Forwarded-* headers are ignored, so nobody can make the page show another server.
 */
export function publicOrigin(deps: AppDeps, c: Context<AppEnv>): string {
  const url = new URL(c.req.url)
  const trusted = deps.config.trustProxy.kind !== 'off'
  const forwardedHost = trusted ? c.req.header('x-forwarded-host')?.split(',')[0]?.trim() : undefined
  const host = forwardedHost && /^[\w.-]+(:\d+)?$|^\[[\da-f:]+\](:\d+)?$/i.test(forwardedHost) ? forwardedHost : url.host
  return `${isHttps(c, deps.config.trustProxy) ? 'https' : 'http'}://${host}`
}

/**
 * The confirmation step of a destructive action, which works without JavaScript: the first post
 * (without `confirmed`) shows this page, whose button posts the same fields again with `confirmed=yes`.
 */
export function confirmPage(
  c: Context<AppEnv>,
  section: SectionName,
  options: { question: string; detail?: Child; action: string; fields: Record<string, string>; button: string; back: string },
) {
  return settingsPage(
    c,
    section,
    {},
    <section aria-labelledby="confirm-heading" class="confirm">
      <h2 id="confirm-heading">{options.question}</h2>
      {options.detail ? <p>{options.detail}</p> : null}
      <form method="post" action={options.action} class="actions">
        {Object.entries(options.fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <input type="hidden" name="confirmed" value="yes" />
        <button type="submit" class="danger">
          {options.button}
        </button>
        <a class="button secondary" href={options.back}>
          Cancel
        </a>
      </form>
    </section>,
  )
}
