import * as v from 'valibot'
import { resolveTagColor } from './colors.ts'
import { isoTime } from './time.ts'

// Field schemas shared by the endpoints. Messages are predicates; parseInput() prefixes the field.

export const MAX_TEXT = 10_000
export const MAX_SHORT_TEXT = 500
const MAX_TAG_NAME = 50

export const text = (max: number) => v.pipe(v.string('must be a string'), v.maxLength(max, `must be at most ${max} characters`))

export const uuid = v.pipe(v.string('must be a string'), v.trim(), v.uuid('must be a UUID'), v.toLowerCase())

const ID_NUMBER = 'must be a whole number or a string of digits'

/** ManyChat sends ids as numbers or strings; we store the exact digits as a string. */
export const manychatId = v.pipe(
  v.union(
    [
      v.pipe(v.string(), v.trim(), v.nonEmpty('must not be empty'), v.maxLength(100, 'must be at most 100 characters')),
      v.pipe(v.number(), v.safeInteger(ID_NUMBER), v.minValue(0, 'must not be negative')),
      v.pipe(v.bigint(), v.minValue(0n, 'must not be negative'), v.maxValue(10n ** 100n - 1n, 'must be at most 100 digits')),
    ],
    'must be a non-empty string or a whole number',
  ),
  v.transform(String),
)

/** Instagram ids exceed 2^53: a JSON number (kept exact by parseJson) or a string of digits. */
export const igId = v.pipe(
  v.union(
    [
      v.pipe(v.string(), v.trim(), v.regex(/^\d{1,30}$/, ID_NUMBER)),
      v.pipe(v.number(), v.safeInteger(ID_NUMBER), v.minValue(0, 'must not be negative')),
      v.pipe(v.bigint(), v.minValue(0n, 'must not be negative'), v.maxValue(10n ** 30n - 1n, 'must be at most 30 digits')),
    ],
    ID_NUMBER,
  ),
  v.transform(String),
)

/** Trimmed, leading @ stripped, lowercased: the form usernames are stored and matched in. */
export function normalizeUsername(input: string): string {
  return input.trim().replace(/^@+/, '').trim().toLowerCase()
}

const MAX_USERNAME = 30

/** Whatever ManyChat sends, normalized, 1-30 characters. */
export const looseUsername = v.pipe(
  v.string('must be a string'),
  v.transform(normalizeUsername),
  v.nonEmpty('must not be empty'),
  v.maxLength(MAX_USERNAME, `must be at most ${MAX_USERNAME} characters`),
)

/** An Instagram handle: after normalization, 1-30 characters of a-z 0-9 . _ */
export const instagramUsername = v.pipe(looseUsername, v.regex(/^[a-z0-9._]+$/, 'must contain only letters, digits, "." and "_"'))

export const email = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.maxLength(254, 'must be at most 254 characters'),
  v.email('must be a valid email address'),
)

// YYYY-MM-DD, optionally with Thh:mm[:ss[.fff]] and an offset; no offset means UTC.
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))?)?$/i

// RFC 3339 has four-digit years: instants outside these cannot be written back in it.
const EARLIEST = Date.parse('0000-01-01T00:00:00.000Z')
const LATEST = Date.parse('9999-12-31T23:59:59.999Z')
const INVALID_DATE = 'must be a valid ISO 8601 date-time, like 2025-01-12T10:00:00.000Z'
const DATE_OUT_OF_RANGE = 'must fall between the years 0000 and 9999 once its offset is applied'

/**
 * Parses an ISO 8601 timestamp to UTC ISO text with milliseconds (digits past the milliseconds
 * are cut off), or says why it is not one. The only date parser: every date a request carries
 * goes through `isoDate`, which uses it.
 */
function parseIsoDate(input: string): { value: string } | { problem: string } {
  const m = ISO_8601.exec(input.trim())
  if (!m) return { problem: INVALID_DATE }
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', , sign, offsetH = '00', offsetM = '00'] = m
  if (+mo! < 1 || +mo! > 12 || +d! < 1 || +d! > 31 || +h > 23 || +mi > 59 || +s > 59 || +offsetH > 23 || +offsetM > 59) {
    return { problem: INVALID_DATE }
  }
  // setUTCFullYear, unlike Date.UTC, takes years 0-99 as they are (not as 1900-1999).
  const date = new Date(0)
  date.setUTCFullYear(+y!, +mo! - 1, +d!)
  // Feb 30 would roll over to March: a date that does not exist is refused.
  if (date.getUTCDate() !== +d!) return { problem: INVALID_DATE }
  date.setUTCHours(+h, +mi, +s, +fraction.padEnd(3, '0').slice(0, 3))
  const offsetMinutes = (sign === '-' ? -1 : 1) * (+offsetH * 60 + +offsetM)
  const time = date.getTime() - offsetMinutes * 60_000
  if (time < EARLIEST || time > LATEST) return { problem: DATE_OUT_OF_RANGE }
  return { value: isoTime(time) }
}

export const isoDate = v.pipe(
  v.string('must be an ISO 8601 date-time string'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const parsed = parseIsoDate(dataset.value)
    if ('problem' in parsed) {
      addIssue({ message: parsed.problem })
      return NEVER
    }
    return parsed.value
  }),
)

/** A colour name or hex; unknown values become gray (the reference's rule), never an error. */
export const tagColor = v.pipe(
  text(MAX_SHORT_TEXT),
  v.transform((value: string) => resolveTagColor(value)),
)

/**
 * For names SQLite compares case-insensitively (COLLATE NOCASE): it compares them as C strings,
 * so "a\u0000b" and "a\u0000c" would be the same name there and different ones everywhere else.
 */
export const noNul = v.check((value: string) => !value.includes('\u0000'), 'must not contain NUL (\\u0000) characters')

/** The longest name a pipeline stage can have (and so the longest worth looking up). */
const MAX_STAGE_NAME = 50

/** A pipeline stage's name, wherever one is given: in a body, a query or the CLI. */
export const stageName = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.nonEmpty('must not be empty'),
  v.maxLength(MAX_STAGE_NAME, `must be at most ${MAX_STAGE_NAME} characters`),
  noNul,
)

export const tagName = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.nonEmpty('must not be empty'),
  v.maxLength(MAX_TAG_NAME, `must be at most ${MAX_TAG_NAME} characters`),
  noNul,
)

/** Tag names, trimmed; the same name twice (in any case) counts once. */
export const tagNames = v.pipe(
  v.array(tagName, 'must be an array of strings'),
  v.maxLength(100, 'must have at most 100 tags'),
  v.transform((names) => names.filter((n, i) => names.findIndex((o) => o.toLowerCase() === n.toLowerCase()) === i)),
)

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 200
const PAGE_SIZE = `must be a whole number from 1 to ${MAX_PAGE_SIZE}`

/** `limit` in a query string: a page size from 1 to 200, default 50. */
export const pageSize = v.optional(
  v.pipe(
    v.string(PAGE_SIZE),
    v.regex(/^\d{1,4}$/, PAGE_SIZE),
    v.transform(Number),
    v.number(),
    v.minValue(1, PAGE_SIZE),
    v.maxValue(MAX_PAGE_SIZE, PAGE_SIZE),
  ),
  String(DEFAULT_PAGE_SIZE),
)

/** A note on a contact, as the reference allows on create-contact: at most 1000 characters. */
export const MAX_NOTE_LENGTH = 1000
export const note = v.pipe(text(MAX_NOTE_LENGTH), v.trim(), v.nonEmpty('must not be empty'))
