import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { uuidV7 } from '../src/db/uuid-v7.ts'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('uuidV7', () => {
  it('is a version 7, variant 10 UUID carrying the time in milliseconds', () => {
    const at = Date.UTC(2026, 10, 26, 12, 30, 45, 123)
    const id = uuidV7(at)
    assert.match(id, V7)
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), at)
  })

  it('sorts by creation time, and ids of one millisecond differ', () => {
    const base = Date.UTC(2026, 0, 1)
    const ids = [0, 1, 2, 1000, 86_400_000, 2 ** 32].map((offset) => uuidV7(base + offset))
    assert.deepEqual([...ids].sort(), ids)
    assert.notEqual(uuidV7(base), uuidV7(base))
  })
})
