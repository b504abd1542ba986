import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadConfig } from '../src/config.ts'
import { TokenBuckets } from '../src/http/rate-limit.ts'

function buckets(perMinute = 60, burst = 60) {
  let clock = 1_000_000
  const limiter = new TokenBuckets({ perMinute, burst, now: () => clock })
  return { limiter, advance: (ms: number) => (clock += ms) }
}

function takeMany(limiter: TokenBuckets, key: string, n: number) {
  return Array.from({ length: n }, () => limiter.take(key))
}

describe('TokenBuckets', () => {
  it('allows a full burst, then refuses with the wait until the next token', () => {
    const { limiter } = buckets()
    const verdicts = takeMany(limiter, 'org-a', 60)
    assert.ok(verdicts.every((v) => v.allowed))
    assert.deepEqual(verdicts.map((v) => v.remaining).slice(0, 3), [59, 58, 57])
    assert.equal(verdicts[59]!.remaining, 0)
    assert.deepEqual(limiter.take('org-a'), { allowed: false, remaining: 0, resetSeconds: 1 })
  })

  it('refills one token per second, never beyond the burst', () => {
    const { limiter, advance } = buckets()
    takeMany(limiter, 'org-a', 60)
    advance(999)
    assert.equal(limiter.take('org-a').allowed, false)
    advance(1)
    assert.deepEqual(limiter.take('org-a'), { allowed: true, remaining: 0, resetSeconds: 1 })
    assert.equal(limiter.take('org-a').allowed, false)
    advance(10_000)
    assert.equal(takeMany(limiter, 'org-a', 10).filter((v) => v.allowed).length, 10)
    assert.equal(limiter.take('org-a').allowed, false)
    advance(3_600_000)
    assert.equal(takeMany(limiter, 'org-a', 61).filter((v) => v.allowed).length, 60)
  })

  it('keeps organizations apart', () => {
    const { limiter } = buckets()
    takeMany(limiter, 'org-a', 61)
    assert.deepEqual(limiter.take('org-b'), { allowed: true, remaining: 59, resetSeconds: 1 })
    assert.equal(limiter.take('org-a').allowed, false)
  })

  it('honours a configured rate and burst', () => {
    const { limiter, advance } = buckets(6, 2) // one token every 10 s, two at once
    assert.equal(takeMany(limiter, 'k', 3).filter((v) => v.allowed).length, 2)
    assert.equal(limiter.take('k').resetSeconds, 10)
    advance(4_000)
    assert.deepEqual(limiter.take('k'), { allowed: false, remaining: 0, resetSeconds: 6 })
    advance(6_000)
    assert.equal(limiter.take('k').allowed, true)
  })

  it('forgets buckets that have refilled, so memory stays bounded with many organizations', () => {
    const { limiter, advance } = buckets()
    for (let i = 0; i < 10_000; i++) limiter.take(`org-${i}`)
    assert.equal(limiter.size, 10_000)
    advance(500)
    limiter.take('late')
    assert.equal(limiter.size, 10_001) // one token refills in 1 s: none of them is full yet
    advance(1_000)
    limiter.take('late')
    assert.equal(limiter.size, 1)
  })

  it('a forgotten bucket is a full one: dropping it changes nothing for its key', () => {
    const { limiter, advance } = buckets(60, 3)
    takeMany(limiter, 'org-a', 3)
    advance(3_000)
    limiter.take('other')
    assert.equal(takeMany(limiter, 'org-a', 4).filter((v) => v.allowed).length, 3)
  })
})

describe('rate-limit configuration', () => {
  it('defaults to the reference: 60 per minute, burst 60', () => {
    const config = loadConfig({}, {})
    assert.equal(config.rateLimitPerMinute, 60)
    assert.equal(config.rateLimitBurst, 60)
  })

  it('takes flags before environment, burst defaults to the limit, and 0 or off lifts it', () => {
    assert.deepEqual(pick(loadConfig({ 'rate-limit': '120' }, { DMTRACKER_RATE_LIMIT: '10' })), [120, 120])
    assert.deepEqual(pick(loadConfig({}, { DMTRACKER_RATE_LIMIT: '30', DMTRACKER_RATE_BURST: '5' })), [30, 5])
    assert.deepEqual(pick(loadConfig({ 'rate-limit': 'off' }, {})), [0, 0])
    assert.deepEqual(pick(loadConfig({}, { DMTRACKER_RATE_LIMIT: '0' })), [0, 0])
    assert.deepEqual(pick(loadConfig({ 'rate-burst': 'OFF' }, {})), [60, 0])
  })

  it('rejects a value that is not a whole number', () => {
    for (const bad of ['-1', 'lots', '1.5', '']) {
      assert.throws(() => loadConfig({ 'rate-limit': bad }, {}), /--rate-limit must be a whole number/)
    }
    assert.throws(() => loadConfig({}, { DMTRACKER_RATE_BURST: 'x' }), /--rate-burst/)
  })
})

function pick(config: { rateLimitPerMinute: number; rateLimitBurst: number }) {
  return [config.rateLimitPerMinute, config.rateLimitBurst]
}
