import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { Hono } from 'hono'
import { guardRoutes, ROUTE_ACCESS, routeAccess } from '../src/http/access.ts'
import type { AppEnv } from '../src/http/context.ts'
import { isErrorShape, setup, type TestEnv } from './helpers.ts'

const SOME_ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'

describe('route access', () => {
  let env: TestEnv
  beforeEach(async () => {
    // No failed-auth throttle: every refusal below must be the 401 itself, not a 429.
    env = await setup({ authFailuresPerMinute: 0 })
  })
  afterEach(async () => {
    await env.close()
  })

  const served = () => {
    const routes = env.app.hono.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`)
    return [...new Set(routes)].map((route) => route.split(' ') as [string, string])
  }

  it('refuses a request without a token on every served route that requires one, and only there', async () => {
    const routes = served()
    assert.ok(routes.length >= 14, `walks every route (${routes.length})`)
    for (const [method, path] of routes) {
      const url = path.replaceAll(/:\w+/g, SOME_ID)
      const res = await env.call(method, url, method === 'GET' || method === 'DELETE' ? undefined : {}, { token: null })
      const access = routeAccess(method, path)
      if (access === 'org-token') {
        assert.equal(res.status, 401, `${method} ${path} without a token`)
        assert.ok(isErrorShape(res.body), `${method} ${path}: ${res.text}`)
        assert.match(res.body.message, /x-org-auth-token/)
      } else if (access === 'session' || access === 'session-admin') {
        // A web page: a signed-out browser is sent to the sign-in page; anything else is refused.
        if (method === 'GET' && path !== '/events') assert.equal(res.status, 303, `${method} ${path} signed out`)
        else assert.equal(res.status, 401, `${method} ${path} signed out`)
      } else {
        assert.notEqual(res.status, 401, `${method} ${path} is public`)
        assert.ok(res.status < 500, `${method} ${path}: ${res.status}`)
      }
    }
  })

  it('refuses a revoked or made-up token the same way', async () => {
    for (const [method, path] of served().filter(([m, p]) => routeAccess(m, p) === 'org-token')) {
      const res = await env.call(method, path.replaceAll(/:\w+/g, SOME_ID), method === 'GET' || method === 'DELETE' ? undefined : {}, {
        token: 'dmt_not-a-token',
      })
      assert.equal(res.status, 401, `${method} ${path} with a made-up token`)
    }
  })

  it('declares exactly the routes the app serves', () => {
    const declared = Object.keys(ROUTE_ACCESS).sort()
    assert.deepEqual(
      served()
        .map(([m, p]) => `${m} ${p}`)
        .sort(),
      declared,
    )
  })

  it('will not start with a route whose access was not declared', () => {
    const routes = new Hono<AppEnv>().get('/api/v1/forgotten', (c) => c.text('secret'))
    assert.throws(
      () =>
        guardRoutes(new Hono<AppEnv>(), routes.routes, {
          'org-token': async (_c, next) => next(),
          session: async (_c, next) => next(),
          'session-admin': async (_c, next) => next(),
        }),
      /GET \/api\/v1\/forgotten .*ROUTE_ACCESS/,
    )
  })

  it('keeps 404 and 405 ahead of 401 on guarded paths', async () => {
    assert.equal((await env.call('GET', '/api/v1/no-such-thing', undefined, { token: null })).status, 404)
    assert.equal((await env.call('PUT', '/api/v1/contacts', {}, { token: null })).status, 405)
  })
})
