// HTTPS on both runtimes, and what certificate renewal needs from them: a new certificate is served
// without a restart and a request in flight during the swap still gets its answer (issue 19).

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { runtime } from '#runtime'
import type { TlsPair } from '../src/runtime/types.ts'
import { httpsGet, selfSignedPair } from './tls-helpers.ts'

describe(`HTTPS listener (${runtime.name})`, () => {
  let first: TlsPair
  let second: TlsPair
  before(() => {
    first = selfSignedPair('first')
    second = selfSignedPair('second')
  })

  let release: () => void = () => {}
  let arrived: () => void = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  const reached = new Promise<void>((resolve) => (arrived = resolve))
  const fetch = async (request: Request) => {
    if (new URL(request.url).pathname === '/slow') {
      arrived()
      await held
    }
    return new Response('hello')
  }
  let server: Awaited<ReturnType<typeof runtime.listen>>
  after(() => server?.stop())

  it('serves HTTPS with the given certificate', async () => {
    server = await runtime.listen(fetch, { hostname: '127.0.0.1', port: 0, tls: first })
    const answer = await httpsGet(server.port, '/', [first.cert, second.cert])
    assert.equal(answer.status, 200)
    assert.equal(answer.body, 'hello')
    assert.equal(answer.certificateName, 'first')
  })

  it('serves a replaced certificate to new connections; a request in flight still gets its answer', async () => {
    const slow = httpsGet(server.port, '/slow', [first.cert, second.cert])
    await reached
    const replaced = server.replaceTls(second)
    const fresh = await httpsGet(server.port, '/', [first.cert, second.cert])
    assert.equal(fresh.certificateName, 'second')
    release()
    const finished = await slow
    assert.equal(finished.status, 200)
    assert.equal(finished.certificateName, 'first')
    await replaced
    assert.equal((await httpsGet(server.port, '/', [second.cert])).certificateName, 'second')
  })
})
