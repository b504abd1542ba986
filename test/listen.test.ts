import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runtime } from '#runtime'

describe(`listening on ${runtime.name}`, () => {
  it('refuses a port another server listens on, with a one-line error naming it', async () => {
    const first = await runtime.listen(() => new Response('first'), { hostname: '127.0.0.1', port: 0 })
    try {
      await assert.rejects(
        runtime.listen(() => new Response('second'), { hostname: '127.0.0.1', port: first.port }),
        (error: Error) => {
          assert.equal(
            error.message,
            `port ${first.port} on 127.0.0.1 is already in use (is another server running?); stop it or choose another --port`,
          )
          return true
        },
      )
      // Every request still reaches the first server.
      for (let i = 0; i < 20; i++) assert.equal(await (await fetch(`http://127.0.0.1:${first.port}/`)).text(), 'first')
    } finally {
      await first.stop()
    }
  })
})
