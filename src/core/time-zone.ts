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

/** The calendar date (YYYY-MM-DD) at `now` in `timeZone`. */
export function localDate(timeZone: string, now: number): string {
  return new Date(wallTime(timeZone, now)).toISOString().slice(0, 10)
}

/** The first instant of the calendar day `date` (YYYY-MM-DD) in `timeZone`, as ISO 8601 UTC. */
export function startOfDate(timeZone: string, date: string): string {
  const [year, month, day] = date.split('-').map(Number)
  return isoTime(startOfDay(timeZone, { year: year!, month: month!, day: day! }))
}
