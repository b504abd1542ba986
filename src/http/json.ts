/**
 * JSON.parse, except that integers beyond 2^53 come back as exact `bigint`s instead of being
 * rounded (Instagram ids are that large). Node 20's JSON.parse reviver cannot see the source
 * text, so the exact path is a small parser of our own that runs the same on Bun and Node.
 * Any integer of 15 digits or fewer is exact as a double, so text without a run of 16 digits
 * takes the native parser, and strings are still decoded by JSON.parse in the exact path.
 *
 * A `\uD800`-style escape can also make a string that is not valid Unicode (a lone surrogate),
 * which SQLite cannot store: bun:sqlite would write U+FFFD, better-sqlite3 invalid UTF-8. Such
 * strings take the exact path, which repairs them with U+FFFD, as decoding the body's bytes
 * already does for invalid UTF-8.
 */
export function parseJson(text: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (/\d{16}/.test(text) || SURROGATE_ESCAPE.test(text)) return new ExactParser(text).document()
  // The nesting limit holds on both paths, so a body's fate does not hang on its numbers.
  if (text.length > MAX_DEPTH && nestedDeeperThan(text, MAX_DEPTH)) throw new SyntaxError('JSON nested too deeply')
  return JSON.parse(text)
}

/** Whether brackets outside strings nest deeper than `limit` (malformed text is JSON.parse's to reject). */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/
// Without the u flag a regular expression sees UTF-16 code units, so it can find unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

const MAX_DEPTH = 512
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y

class ExactParser {
  private i = 0
  private depth = 0

  constructor(private readonly text: string) {}

  document(): unknown {
    const value = this.value()
    this.space()
    if (this.i < this.text.length) this.fail('Unexpected data after JSON value')
    return value
  }

  private fail(message: string): never {
    throw new SyntaxError(`${message} at position ${this.i}`)
  }

  private space() {
    const t = this.text
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i)
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
      this.i++
    }
  }

  private value(): unknown {
    this.space()
    const c = this.text[this.i]
    if (c === '{') return this.object()
    if (c === '[') return this.array()
    if (c === '"') return this.string()
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number()
    for (const [word, literal] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length
        return literal
      }
    }
    return this.fail('Unexpected token')
  }

  private enter() {
    if (++this.depth > MAX_DEPTH) this.fail('JSON nested too deeply')
    this.i++
  }

  private object() {
    this.enter()
    const result: Record<string, unknown> = {}
    this.space()
    if (this.text[this.i] === '}') {
      this.i++
    } else {
      for (;;) {
        this.space()
        if (this.text[this.i] !== '"') this.fail('Expected a property name')
        const key = this.string()
        this.space()
        if (this.text[this.i++] !== ':') this.fail("Expected ':'")
        const value = this.value()
        // Like JSON.parse: "__proto__" is an own property, never the prototype.
        if (key === '__proto__') Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true })
        else result[key] = value
        this.space()
        const next = this.text[this.i++]
        if (next === '}') break
        if (next !== ',') this.fail("Expected ',' or '}'")
      }
    }
    this.depth--
    return result
  }

  private array() {
    this.enter()
    const result: unknown[] = []
    this.space()
    if (this.text[this.i] === ']') {
      this.i++
    } else {
      for (;;) {
        result.push(this.value())
        this.space()
        const next = this.text[this.i++]
        if (next === ']') break
        if (next !== ',') this.fail("Expected ',' or ']'")
      }
    }
    this.depth--
    return result
  }

  private string(): string {
    const t = this.text
    const start = this.i++
    for (;;) {
      const c = t.charCodeAt(this.i)
      if (Number.isNaN(c)) this.fail('Unterminated string')
      if (c === 0x22) break
      this.i += c === 0x5c ? 2 : 1
    }
    this.i++
    // JSON.parse decodes escapes and rejects control characters exactly as the standard says.
    return (JSON.parse(t.slice(start, this.i)) as string).replace(LONE_SURROGATE, '\uFFFD')
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.i
    const match = NUMBER.exec(this.text)
    if (!match) return this.fail('Invalid number')
    this.i = NUMBER.lastIndex
    const value = Number(match[0])
    const isInteger = match[1] === undefined && match[2] === undefined
    return isInteger && !Number.isSafeInteger(value) ? BigInt(match[0]) : value
  }
}
