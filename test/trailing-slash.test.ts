// A trailing slash reaches the same endpoint as the path without it (issue 13, point 8): it used
// to get a 405 whose Allow header named the very method used. Walks every route the app serves.

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { setup, type TestEnv } from './helpers.ts'

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
const SOME_ID = '0190d2c4-0000-7000-8000-000000000000'

describe('trailing slash', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  /** Every path the app serves, with its parameters filled in, and the methods it answers. */
  const served = () => {
    const byPath = new Map<string, Set<string>>()
    for (const { method, path } of env.app.hono.routes) {
      if (method === 'ALL' || path.includes('*')) continue // middleware
      const concrete = path.replace(/:\w+/g, SOME_ID)
      byPath.set(concrete, (byPath.get(concrete) ?? new Set()).add(method))
    }
    return byPath
  }

  const send = async (method: string, path: string) => {
    const res = await env.app.request(path, {
      method,
      headers: { 'x-org-auth-token': env.org.token, 'content-type': 'application/json' },
      body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
    })
    await res.arrayBuffer()
    return { status: res.status, allow: res.headers.get('allow') }
  }

  it('walks a real set of routes', () => {
    const paths = [...served().keys()]
    assert.ok(paths.includes('/api/v1/contact/default-reply'), paths.join(' '))
    assert.ok(paths.length >= 10, paths.join(' '))
  })

  it('answers every route and method with a slash as without one', async () => {
    const differences: string[] = []
    for (const [path, methods] of served()) {
      for (const method of methods) {
        const [plain, slashed] = [await send(method, path), await send(method, `${path}/`)]
        if (plain.status !== slashed.status) differences.push(`${method} ${path}/: ${slashed.status}, without the slash ${plain.status}`)
      }
    }
    assert.deepEqual(differences, [])
  })

  it('never answers a 405 whose Allow names the method used', async () => {
    const contradictions: string[] = []
    for (const path of served().keys()) {
      for (const url of [path, `${path}/`]) {
        for (const method of METHODS) {
          const { status, allow } = await send(method, url)
          if (status === 405 && allow?.split(', ').includes(method)) contradictions.push(`${method} ${url}: 405 Allow: ${allow}`)
        }
      }
    }
    assert.deepEqual(contradictions, [])
  })

  it('reaches the route: POST /api/v1/contact/default-reply/ records the reply', async () => {
    const res = await env.call('POST', '/api/v1/contact/default-reply/', {
      manychat_id: '1',
      username: 'john_doe',
      organization_id: env.org.id,
      message_content: 'hi',
    })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.body.data.username, 'john_doe')
  })

  it('still answers an unknown path with 404, slash or not', async () => {
    for (const url of ['/api/v1/nothing-here', '/api/v1/nothing-here/', '/api/v1/contact/default-reply//']) {
      assert.equal((await send('POST', url)).status, 404, url)
    }
  })
})
