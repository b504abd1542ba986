import type { MiddlewareHandler } from 'hono'
import { AppError } from '../core/errors.ts'
import type { Store } from '../db/open.ts'
import type { ReadDb } from '../db/write.ts'
import type { AppEnv, Member } from '../http/context.ts'
import { findOrganization } from '../organizations/service.ts'
import { findSessionWithMemberships, needsTouch, touchSession } from '../sessions/service.ts'
import { clearSessionCookie, readSessionCookie } from './security.ts'

/**
 * The guard of signed-in pages (access 'session'): sets `member`, or sends a signed-out browser to
 * /login (remembering where it was going). With `admin`, members get a 403: owners and admins only.
 */
export function sessionAuth({
  store,
  now,
  admin = false,
}: {
  store: Store
  now: () => number
  admin?: boolean
}): MiddlewareHandler<AppEnv> {
  return async function sessionGuard(c, next) {
    const raw = readSessionCookie(c)
    const at = now()
    const found = raw
      ? await (async (db: ReadDb) => {
          const signedIn = await findSessionWithMemberships(db, raw, at)
          if (!signedIn) return undefined
          const { session, organizations } = signedIn
          const current = organizations.find((o) => o.id === session.organizationId) ?? organizations[0]
          const organization = current ? await findOrganization(db, current.id) : undefined
          return { session, organizations, organization, role: current?.role }
        })(store.db) // two indexed lookups, compiled once: on the main connection, not worth a worker
      : undefined
    if (!found) {
      if (raw) clearSessionCookie(c)
      if (c.req.method === 'GET' && c.req.path !== '/events') {
        const next = c.req.path === '/' ? '' : `?next=${encodeURIComponent(c.req.path + (new URL(c.req.url).search || ''))}`
        return c.redirect(`/login${next}`, 303)
      }
      throw new AppError('unauthorized', 'You are signed out; sign in again')
    }
    if (!found.organization || !found.role)
      throw new AppError('forbidden', 'Your account is not a member of any organization; ask an owner for an invite')
    if (admin && found.role === 'member') throw new AppError('forbidden', 'Only owners and admins of this organization can open this page')
    if (needsTouch(found.session, at)) await store.write((trx) => touchSession(trx, found.session.idHash, at))
    const member: Member = {
      session: found.session,
      organization: found.organization,
      role: found.role,
      organizations: found.organizations,
    }
    c.set('member', member)
    await next()
  }
}
