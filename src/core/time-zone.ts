import { isoTime } from './time.ts'

// Calendar days in an organization's time zone, with nothing but Intl (no time zone database of our own).

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** The IANA name Intl knows `name` by (`europe/berlin` -> `Europe/Berlin`), or undefined if it is none. */
export function canonicalTimeZone(name: string): string | undefined {
  // Names only: newer engines also take offsets like +05:00, which are not IANA names and ignore DST.
  if (!/^[A-Za-z][\w+\-/]*$/.test(name.trim())) return undefined
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name.trim() }).resolvedOptions().timeZone
  } catch {
    return undefined // RangeError: not a time zone Intl knows
  }
}

interface Wall {
  year: number
  month: number
  day: number
}

/** The wall-clock time at `instant` in `timeZone`, as if it were UTC (ms). */
function wallTime(timeZone: string, instant: number): number {
  const parts: Record<string, number> = {}
  for (const p of formatter(timeZone).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!)
}

function wallDate(timeZone: string, instant: number): Wall {
  const d = new Date(wallTime(timeZone, instant))
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }
}

const sameDate = (a: Wall, b: Wall) => a.year === b.year && a.month === b.month && a.day === b.day

/**
 * The first instant of a calendar day in `timeZone`. Usually local midnight; where a DST change
 * skips midnight (some zones move clocks at 00:00) it is the first wall time that exists.
 */
function startOfDay(timeZone: string, date: Wall): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day)
  const offset = (instant: number) => wallTime(timeZone, instant) - Math.floor(instant / 1000) * 1000
  const first = wall - offset(wall)
  const second = wall - offset(first) // corrects the guess when the offset changes near midnight
  return [second, first].find((t) => sameDate(wallDate(timeZone, t), date)) ?? first
}

/** Where "today" begins and ends (exclusive) in `timeZone` at `now`, as ISO 8601 UTC strings. */
export function todayBounds(timeZone: string, now: number): { start: string; end: string } {
  const today = wallDate(timeZone, now)
  const tomorrow = new Date(Date.UTC(today.year, today.month - 1, today.day + 1))
  const next = { year: tomorrow.getUTCFullYear(), month: tomorrow.getUTCMonth() + 1, day: tomorrow.getUTCDate() }
  return { start: isoTime(startOfDay(timeZone, today)), end: isoTime(startOfDay(timeZone, next)) }
}

/** A calendar day as `YYYY-MM-DD` text (years 1000-9999), or undefined if it is not a real date. */
export function parseDay(text: string): Wall | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!m) return undefined
  const date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!))
  const wall = { year: +m[1]!, month: +m[2]!, day: +m[3]! }
  return wall.year >= 1000 && sameDate(wallOf(date), wall) ? wall : undefined
}

const wallOf = (d: Date): Wall => ({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() })
const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** `YYYY-MM-DD` of a calendar day. */
export function dayText(date: Wall): string {
  return `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`
}

/** The calendar day `days` after `date` (negative: before). */
export function addCalendarDays(date: Wall, days: number): Wall {
  return wallOf(new Date(Date.UTC(date.year, date.month - 1, date.day + days)))
}

/** The calendar day it is at `instant` in `timeZone`. */
export function calendarDay(timeZone: string, instant: number): Wall {
  return wallDate(timeZone, instant)
}

const HOUR_MS = 3_600_000
const dayStarts = new Map<string, number>()
const MAX_CACHED_DAY_STARTS = 100_000

/**
 * Where each of the days `first`, `first + 1`, ... (`count` of them) begins in `timeZone`, and where
 * the last one ends: `count + 1` ISO 8601 UTC instants, so day i is [bounds[i], bounds[i + 1]).
 * Intl is slow (a report's 367 days took tens of ms), so each day start is worked out once per
 * zone, and a day usually starts 24 hours after the one before: that guess is checked with one
 * Intl call, and only a day with a clock change takes the full search.
 */
export function dayBounds(timeZone: string, first: Wall, count: number): string[] {
  if (dayStarts.size > MAX_CACHED_DAY_STARTS) dayStarts.clear()
  const out: string[] = []
  let previous: number | undefined
  for (let i = 0; i <= count; i++) {
    const date = addCalendarDays(first, i)
    const key = `${timeZone} ${dayText(date)}`
    let start = dayStarts.get(key)
    if (start === undefined) {
      const guess = previous === undefined ? undefined : previous + 24 * HOUR_MS
      const midnight = Date.UTC(date.year, date.month - 1, date.day)
      start =
        guess !== undefined && wallTime(timeZone, guess) === midnight && wallTime(timeZone, guess - 1000) < midnight
          ? guess
          : startOfDay(timeZone, date)
      dayStarts.set(key, start)
    }
    out.push(isoTime(start))
    previous = start
  }
  return out
}

export type { Wall as CalendarDay }
/** The calendar date (YYYY-MM-DD) at `now` in `timeZone`. */
export function localDate(timeZone: string, now: number): string {
  return new Date(wallTime(timeZone, now)).toISOString().slice(0, 10)
}

/** The first instant of the calendar day `date` (YYYY-MM-DD) in `timeZone`, as ISO 8601 UTC. */
export function startOfDate(timeZone: string, date: string): string {
  const [year, month, day] = date.split('-').map(Number)
  return isoTime(startOfDay(timeZone, { year: year!, month: month!, day: day! }))
}
