import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Trx, Write } from '../src/db/write.ts'
import { WriteBehind } from '../src/db/write-behind.ts'

const HOUR = 3_600_000 // the timer never fires during a test: each flush below is explicit

/** A store whose writes record the batches they were given, and fail while `failing` is set. */
function recordingStore() {
  const writes: [string, number][][] = []
  let transactions = 0
  const state = { failing: false }
  const write = (async (work: (trx: Trx) => Promise<unknown>) => {
    if (state.failing) throw new Error('database is locked')
    transactions++
    return work({} as Trx)
  }) as Write
  const buffer = new WriteBehind<string, number>(
    { write },
    async (_trx, batch) => {
      writes.push(batch)
    },
    HOUR,
  )
  return { buffer, writes, state, transactions: () => transactions }
}

describe('write-behind buffer', () => {
  it('writes nothing until flushed, then the latest value per key in one write', async () => {
    const { buffer, writes, transactions } = recordingStore()
    buffer.set('a', 1)
    buffer.set('b', 2)
    buffer.set('a', 3)
    assert.equal(buffer.get('a'), 3, 'the value not written yet can be read')
    assert.deepEqual(writes, [])
    await buffer.flush()
    assert.deepEqual(writes, [
      [
        ['a', 3],
        ['b', 2],
      ],
    ])
    assert.equal(transactions(), 1)
    assert.equal(buffer.get('a'), undefined, 'a written value is no longer pending')
    await buffer.flush()
    assert.equal(transactions(), 1, 'nothing pending: no write at all')
    await buffer.stop()
  })

  it('keeps a batch whose write failed for the next flush, unless a key got a newer value meanwhile', async () => {
    const { buffer, writes, state } = recordingStore()
    buffer.set('a', 1)
    buffer.set('b', 2)
    state.failing = true
    await assert.rejects(buffer.flush(), /locked/)
    assert.equal(buffer.get('a'), 1)
    buffer.set('b', 5)
    state.failing = false
    await buffer.flush()
    assert.deepEqual(
      writes.flat().sort(([x], [y]) => x.localeCompare(y)),
      [
        ['a', 1],
        ['b', 5],
      ],
    )
    await buffer.stop()
  })

  it('writes what is left when stopped', async () => {
    const { buffer, writes } = recordingStore()
    buffer.set('a', 1)
    await buffer.stop()
    assert.deepEqual(writes, [[['a', 1]]])
  })
})
