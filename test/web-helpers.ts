import assert from 'node:assert/strict'
import { isoTime } from '../src/core/time.ts'
import { hashPassword } from '../src/sessions/password.ts'
import { setPasswordHash } from '../src/sessions/service.ts'
import { addUser } from '../src/users/service.ts'
import type { TestEnv } from './helpers.ts'

// Pieces for HTTP-level tests of the web app's pages: a cookie-keeping client that sends what a
// browser sends on same-origin form posts, and members with passwords.

export const ORIGIN = 'http://localhost'
export const PASSWORD = 'correct horse battery'

export type PageClient = ReturnType<typeof pageClient>

export function pageClient(env: TestEnv) {
  let cookie = ''
  return {
    async request(method: string, path: string, form?: Record<string, string>) {
      const headers: Record<string, string> = cookie ? { cookie } : {}
      const init: RequestInit = { method, headers, redirect: 'manual' }
      if (form) {
        init.body = new URLSearchParams(form).toString()
        Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, host: 'localhost' })
      }
      const res = await env.app.request(`${ORIGIN}${path}`, init)
      const set = res.headers.get('set-cookie')
      if (set) cookie = /Max-Age=0/i.test(set) ? '' : set.split(';')[0]!
      return { status: res.status, location: res.headers.get('location'), text: await res.text() }
    },
  }
}

/** A user with a password, member of `orgId` in `role`. */
export async function member(env: TestEnv, email: string, role: 'owner' | 'admin' | 'member', orgId = env.org.id) {
  const hash = await hashPassword(PASSWORD)
  await env.store.write(async (trx) => {
    const user = await addUser(trx, { email, organizationId: orgId, role }, isoTime(env.now()))
    await setPasswordHash(trx, user.id, hash)
  })
}

export async function signedIn(env: TestEnv, email: string): Promise<PageClient> {
  const client = pageClient(env)
  const res = await client.request('POST', '/login', { email, password: PASSWORD })
  assert.equal(res.status, 303, res.text)
  return client
}
