import { Hono } from 'hono'
import { AppError } from '../core/errors.ts'
import { readForm } from '../http/body.ts'
import { clientAddressOf } from '../http/client-address.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { hashPassword, MAX_PASSWORD_LENGTH, passwordProblem, verifyPassword } from '../sessions/password.ts'
import { ABSOLUTE_LIMIT_MS, acceptInvite, createSession, endSession, findInvite, findUserByEmail } from '../sessions/service.ts'
import { clearFailures, recordFailure, throttleKeys, throttleWait } from '../sessions/throttle.ts'
import { Notice, renderPage } from './layout.tsx'
import { clearSessionCookie, isHttps, sameOrigin, setSessionCookie } from './security.ts'

/** The one answer to a wrong password and to an unknown email, so neither tells which it was. */
export const SIGN_IN_FAILED = 'That email and password do not match an account.'

function LoginForm({ email = '', next = '', error }: { email?: string; next?: string; error?: string }) {
  return (
    <section class="login" aria-labelledby="login-heading">
      <h1 id="login-heading">Sign in to DmTracker</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form method="post" action="/login">
        <input type="hidden" name="next" value={next} />
        <div class="field">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={email} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={MAX_PASSWORD_LENGTH} />
        </div>
        <button type="submit">Sign in</button>
      </form>
    </section>
  )
}

function InviteForm({ invite, error }: { invite: { email: string; organization_name: string }; error?: string }) {
  return (
    <section class="login" aria-labelledby="invite-heading">
      <h1 id="invite-heading">Join {invite.organization_name}</h1>
      <p>
        Set a password for <strong>{invite.email}</strong>. You will be signed in right away.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form method="post">
        <input type="hidden" name="email" value={invite.email} autocomplete="username" />
        <div class="field">
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minlength={10}
            maxlength={MAX_PASSWORD_LENGTH}
          />
        </div>
        <button type="submit">Set password and sign in</button>
      </form>
    </section>
  )
}

/** Only a path on this site, so a crafted link cannot send someone elsewhere after signing in. */
function safeNext(next: string | undefined): string {
  return next && /^\/(?!\/)[^\\\s]*$/.test(next) ? next : '/follow-ups'
}

/** GET/POST /login, POST /logout, GET/POST /invite/{token}. */
export function signInPages(deps: AppDeps) {
  const { store, config } = deps
  const clientAddress = clientAddressOf(config.trustProxy)
  const cookieAge = Math.floor(ABSOLUTE_LIMIT_MS / 1000)
  return new Hono<AppEnv>()
    .get('/login', (c) => renderPage(c, { title: 'Sign in' }, <LoginForm next={c.req.query('next') ?? ''} />))
    .post('/login', sameOrigin(), async (c) => {
      const form = await readForm(c, config.bodyLimitBytes)
      const email = (form.email ?? '').trim().slice(0, 320)
      const password = (form.password ?? '').slice(0, MAX_PASSWORD_LENGTH + 1)
      const next = safeNext(form.next)
      const keys = throttleKeys(email, clientAddress(c))
      const now = deps.now()
      const wait = await throttleWait(store.db, keys, now)
      if (wait > 0) {
        const minutes = Math.ceil(wait / 60_000)
        c.header('Retry-After', String(Math.ceil(wait / 1000)))
        const error = `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`
        return renderPage(c, { title: 'Sign in', status: 429 }, <LoginForm email={email} next={form.next} error={error} />)
      }
      const user = email ? await findUserByEmail(store.db, email) : undefined
      // Checked outside any transaction: scrypt takes a while on purpose.
      const ok = password.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(password, user?.password_hash ?? null))
      if (!ok || !user) {
        await store.write((trx) => recordFailure(trx, keys, now))
        return renderPage(c, { title: 'Sign in', status: 401 }, <LoginForm email={email} next={form.next} error={SIGN_IN_FAILED} />)
      }
      const session = await store.write(async (trx) => {
        await clearFailures(trx, keys[0]!)
        return createSession(trx, user.id, now)
      })
      setSessionCookie(c, session, isHttps(c, config.trustProxy), cookieAge)
      return c.redirect(next, 303)
    })
    .post('/logout', sameOrigin(), async (c) => {
      const { session } = c.get('member')
      await store.write((trx) => endSession(trx, session.idHash))
      clearSessionCookie(c)
      return c.redirect('/login', 303)
    })
    .get('/invite/:token', async (c) => {
      const invite = await findInvite(store.db, c.req.param('token'), deps.now())
      if (!invite)
        throw new AppError(
          'not_found',
          'This invite link is not valid: it was used already, has expired, or was mistyped. Ask for a new one.',
        )
      return renderPage(c, { title: 'Set your password' }, <InviteForm invite={invite} />)
    })
    .post('/invite/:token', sameOrigin(), async (c) => {
      const token = c.req.param('token')
      const form = await readForm(c, config.bodyLimitBytes)
      const password = form.password ?? ''
      const problem = passwordProblem(password)
      if (problem) {
        const invite = await findInvite(store.db, token, deps.now())
        if (!invite)
          throw new AppError(
            'not_found',
            'This invite link is not valid: it was used already, has expired, or was mistyped. Ask for a new one.',
          )
        return renderPage(c, { title: 'Set your password', status: 400 }, <InviteForm invite={invite} error={problem} />)
      }
      const hash = await hashPassword(password)
      const session = await store.write((trx) => acceptInvite(trx, token, hash, deps.now()))
      setSessionCookie(c, session, isHttps(c, config.trustProxy), cookieAge)
      return c.redirect('/follow-ups', 303)
    })
}
