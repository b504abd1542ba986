/** The reference's tag colour names. */
export const TAG_COLORS: Readonly<Record<string, string>> = Object.freeze({
  red: '#dc2626',
  blue: '#2563eb',
  green: '#16a34a',
  yellow: '#ca8a04',
  purple: '#9333ea',
  pink: '#db2777',
  indigo: '#4f46e5',
  orange: '#ea580c',
  teal: '#0d9488',
  cyan: '#0891b2',
  gray: '#374151',
  slate: '#475569',
  amber: '#d97706',
  lime: '#65a30d',
  emerald: '#059669',
  sky: '#0284c7',
  violet: '#7c3aed',
  fuchsia: '#c026d3',
  rose: '#e11d48',
})

export const DEFAULT_TAG_COLOR = TAG_COLORS.gray!

/** A colour name (any case) or #RGB/#RRGGBB hex, as lowercase #rrggbb; undefined for anything else. */
export function parseColor(input: string): string | undefined {
  const value = input.trim().toLowerCase()
  const named = Object.hasOwn(TAG_COLORS, value) ? TAG_COLORS[value] : undefined
  if (named) return named
  if (/^#[0-9a-f]{6}$/.test(value)) return value
  if (/^#[0-9a-f]{3}$/.test(value)) return `#${[...value.slice(1)].map((c) => c + c).join('')}`
  return undefined
}

/** The API's tag_color rule (docs/decisions.md): a colour parseColor knows, anything else is gray. */
export function resolveTagColor(input: string | undefined | null): string {
  return (input == null ? undefined : parseColor(input)) ?? DEFAULT_TAG_COLOR
}

/** What `parseColor` accepts, for an error message. */
export const ACCEPTED_COLORS = `${Object.keys(TAG_COLORS).join(', ')}, or #RRGGBB / #RGB hex`
