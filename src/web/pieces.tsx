import { html } from 'hono/html'
import { AppError } from '../core/errors.ts'
import { isoTime } from '../core/time.ts'
import { startOfDate } from '../core/time-zone.ts'
import type { TagView } from '../tags/repo.ts'
import { ago } from './filters.tsx'

// Small pieces the pipeline and the contact page share.

/**
 * A colour swatch. An SVG fill, not a style attribute: the Content-Security-Policy allows no
 * inline style, and a presentation attribute is not one. An `html` template (the markup hono/jsx
 * made of it) because cards repeat it per tag; usable as `<Dot color={...} />` all the same.
 */
export function Dot({ color }: { color: string }) {
  return html`<svg class="dot" width="10" height="10" viewBox="0 0 10 10" aria-hidden="true" focusable="false">\
<circle cx="5" cy="5" r="5" fill="${color}"></circle></svg>`
}

/** Says which zone a page's times are in (the organization's, set in Settings > Follow-ups). */
export function TimesIn({ timeZone }: { timeZone: string }) {
  return <p class="meta">Times in {timeZone}.</p>
}

/** A card's tags (none: nothing), an `html` template as the cards that show it (src/web/board.tsx says why). */
export function TagList({ tags }: { tags: TagView[] }) {
  if (tags.length === 0) return null
  return html`<ul class="tags" aria-label="Tags">${tags.map((t) => html`<li class="tag">${Dot({ color: t.color })}${t.name}</li>`)}</ul>`
}

/** How long ago `iso` was ("5 min ago"), in a <time> element, as cards and list rows show it. */
export function agoTime(iso: string, now: number) {
  return html`<time datetime="${iso}">${ago(iso, now)}</time>`
}

/** "2 Dec 2026, 14:05" in the organization's time zone (every page's times: board, contact page, Settings); a dash for never. */
export function localTime(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '—'
  return localFormat(timeZone).format(new Date(iso))
}

// Making an Intl.DateTimeFormat costs far more than formatting with one, and a contact page formats
// a hundred times: one per time zone, kept (at most one per IANA zone, in practice a handful).
const localFormats = new Map<string, Intl.DateTimeFormat>()

function localFormat(timeZone: string): Intl.DateTimeFormat {
  let format = localFormats.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' })
    localFormats.set(timeZone, format)
  }
  return format
}

/** The kinds of error a page shows in place (with the page, fresh from the database); anything else goes to the error page. */
const SHOWN = { validation: 400, bad_request: 400, not_found: 404, conflict: 409 } as const

/** What a failed page action says and its status, or undefined when the error is not the user's to fix. */
export function actionError(e: unknown): { message: string; status: 400 | 404 | 409 } | undefined {
  if (!(e instanceof AppError) || !Object.hasOwn(SHOWN, e.kind)) return undefined
  const details = e.details?.length ? `: ${e.details.map((d) => `${d.field} ${d.message}`).join('; ')}` : ''
  // A field error's message already names the field and the problem; don't say it twice.
  return {
    message: e.details?.length === 1 && e.message.includes(e.details[0]!.message) ? e.message : `${e.message}${details}`,
    status: SHOWN[e.kind as keyof typeof SHOWN],
  }
}

/** A form's `back` (the filters of the page it came from) when it is a plain query string, else none. */
export function safeBack(back: string | undefined): string {
  return /^\?[^\s#]*$/.test(back ?? '') ? back! : ''
}

/** `path` + `back` + one more parameter. */
export function withParam(path: string, back: string, name: string, value: string): string {
  return `${path}${back}${back ? '&' : '?'}${name}=${encodeURIComponent(value)}`
}

/** The start of the day a snooze form names, in the organization's time zone; a 400 for a missing or past day. */
export function snoozeStart(until: string | undefined, timeZone: string, now: number): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(until ?? '') || Number.isNaN(Date.parse(until!)))
    throw new AppError('validation', 'Pick the date to snooze until')
  const start = startOfDate(timeZone, until!)
  if (start <= isoTime(now)) throw new AppError('validation', 'Snooze until a day after today')
  return start
}
