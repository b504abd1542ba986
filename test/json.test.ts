import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseJson } from '../src/http/json.ts'

describe('parseJson', () => {
  it('keeps integers beyond 2^53 exact as bigint, digit for digit', () => {
    const parsed = parseJson('{"ig_id": 17841400000000000123, "small": 42, "neg": -9007199254740993}') as Record<string, unknown>
    assert.equal(parsed.ig_id, 17841400000000000123n)
    assert.equal(parsed.small, 42)
    assert.equal(parsed.neg, -9007199254740993n)
  })

  it('keeps safe 16-digit integers and floats as numbers', () => {
    const parsed = parseJson('[9007199254740991, 1234567890123456.5, 1e300, 12345678901234567e2]') as unknown[]
    // biome-ignore lint/correctness/noPrecisionLoss: the parser must round this literal exactly as JavaScript does
    assert.deepEqual(parsed, [9007199254740991, 1234567890123456.5, 1e300, 12345678901234567e2])
  })

  it('decodes strings exactly as JSON.parse does, even next to big numbers', () => {
    const text = '{"a":"\\u00e9\\n\\"q\\" \\ud83d\\ude00 1234567890123456789","b":[true,false,null,{}],"n":12345678901234567890}'
    const parsed = parseJson(text) as Record<string, unknown>
    const native = JSON.parse(text)
    assert.equal(parsed.a, native.a)
    assert.deepEqual(parsed.b, native.b)
    assert.equal(parsed.n, 12345678901234567890n)
  })

  it('agrees with JSON.parse on documents made of every JSON construct', () => {
    const docs = [
      '{"x": [1, -2.5e-3, "s", {"y": null}], "z": ""}',
      '  [ ]  ',
      '"just a string"',
      '{"dup": 1, "dup": 2}',
      '{"__proto__": {"polluted": true}}',
      '0',
    ]
    for (const doc of docs) {
      // Force the exact path by appending a 16-digit number inside an array wrapper.
      const wrapped = `[${doc}, 1234567890123456]`
      assert.deepEqual((parseJson(wrapped) as unknown[])[0], JSON.parse(doc), doc)
    }
  })

  it('never lets "__proto__" become the prototype', () => {
    const parsed = parseJson('{"__proto__": {"polluted": 1}, "n": 12345678901234567890}') as Record<string, unknown>
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype)
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.deepEqual(Object.keys(parsed), ['__proto__', 'n'])
  })

  it('rejects malformed documents on both paths', () => {
    for (const bad of [
      '{',
      '{"a":}',
      '[1,]',
      '{"a" 1}',
      'tru',
      '01',
      '"\u0001"',
      '[1] x',
      '{"a":1234567890123456789',
      '"unterminated 1234567890123456789',
    ]) {
      assert.throws(() => parseJson(bad), SyntaxError, bad)
    }
  })

  it('rejects nesting deeper than the limit instead of overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}1234567890123456789${']'.repeat(100_000)}`
    assert.throws(() => parseJson(deep), /nested too deeply/)
  })

  it('ignores a UTF-8 byte order mark', () => {
    assert.deepEqual(parseJson('\ufeff{"a":1}'), { a: 1 })
  })
})
