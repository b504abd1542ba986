// The analytics page's two charts: inline SVG drawn here, on the server (no chart library, no
// script: the CSP allows none inline). Each is a picture with role="img", a <title> and a <desc>
// that says the gist in words; the page puts the numbers beside it as a table too. Colours and
// line styles are presentation attributes (not style=, which the CSP refuses), and each series has
// its own dash pattern as well as its colour, so the lines stay apart without colour vision.

// The drawing's own units: the SVG scales to the width it gets (CSS caps it), and these sizes keep
// its text about 11 px or more on a 375 px phone.
const WIDTH = 400
const FONT = 13

export interface Series {
  name: string
  values: number[]
  colour: string
  dash?: string
}

/** A line's look, for the chart and for its legend (the same strokes). */
function strokeOf(series: Pick<Series, 'colour' | 'dash'>) {
  return { stroke: series.colour, 'stroke-width': 2.5, 'stroke-dasharray': series.dash, fill: 'none' }
}

/** The smallest round number (1, 2, 5 times a power of ten) at or above `value`: the top of the y axis. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power
}

/** Daily lines: one per series, the days along the x axis (first, middle and last day labelled). */
export function LineChart({
  id,
  title,
  desc,
  days,
  series,
}: {
  id: string
  title: string
  desc: string
  days: string[]
  series: Series[]
}) {
  const height = 220
  const left = 40
  const right = 12
  const top = 12
  const bottom = 30
  const plotWidth = WIDTH - left - right
  const plotHeight = height - top - bottom
  // An even top (for counts above 1), so the middle line is a whole number too.
  const ceiling = niceCeiling(Math.max(0, ...series.flatMap((s) => s.values)))
  const max = ceiling > 1 && ceiling % 2 === 1 ? ceiling + 1 : ceiling
  const x = (i: number) => left + (days.length === 1 ? plotWidth / 2 : (i * plotWidth) / (days.length - 1))
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight
  const labelled = [...new Set([0, Math.floor((days.length - 1) / 2), days.length - 1])]
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${height}`}
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      font-size={FONT}
      font-family="system-ui, sans-serif"
    >
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{desc}</desc>
      {[0, max / 2, max].filter(Number.isInteger).map((tick) => (
        <g>
          <line x1={left} x2={WIDTH - right} y1={y(tick)} y2={y(tick)} stroke="#d5d9e0" stroke-width={1} />
          <text x={left - 6} y={y(tick) + FONT / 3} text-anchor="end" fill="#3d4452">
            {tick}
          </text>
        </g>
      ))}
      {labelled.map((i) => (
        <text
          x={x(i)}
          y={height - 8}
          text-anchor={labelled.length > 1 && i === 0 ? 'start' : i === days.length - 1 && days.length > 1 ? 'end' : 'middle'}
          fill="#3d4452"
        >
          {days[i]!.slice(5)}
        </text>
      ))}
      {series.map((s) => (
        <g>
          <polyline points={s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')} {...strokeOf(s)} />
          {days.length <= 31 ? s.values.map((v, i) => <circle cx={x(i).toFixed(1)} cy={y(v).toFixed(1)} r={2.5} fill={s.colour} />) : null}
        </g>
      ))}
    </svg>
  )
}

/** The key under a line chart: a short stroke of each line, then its name, as text that reflows. */
export function Legend({ series }: { series: Pick<Series, 'name' | 'colour' | 'dash'>[] }) {
  return (
    <ul class="legend">
      {series.map((s) => (
        <li>
          <svg width="28" height="10" aria-hidden="true" focusable="false">
            <line x1="1" x2="27" y1="5" y2="5" {...strokeOf(s)} />
          </svg>
          {s.name}
        </li>
      ))}
    </ul>
  )
}

export interface Bar {
  label: string
  /** 0..1 */
  value: number
  text: string
}

/** Horizontal bars from 0 to 100 %: each label above its bar, the value at the right. */
export function BarChart({ id, title, desc, bars, colour }: { id: string; title: string; desc: string; bars: Bar[]; colour: string }) {
  const row = 44
  const height = bars.length * row + 4
  const clip = (text: string) => (text.length > 34 ? `${text.slice(0, 33)}…` : text)
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${height}`}
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      font-size={FONT}
      font-family="system-ui, sans-serif"
    >
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{desc}</desc>
      {bars.map((bar, i) => (
        <g>
          <text x={0} y={i * row + FONT + 2} fill="#1d2330">
            {clip(bar.label)}
          </text>
          <text x={WIDTH} y={i * row + FONT + 2} text-anchor="end" fill="#1d2330" font-weight="600">
            {bar.text}
          </text>
          <rect x={0} y={i * row + FONT + 8} width={WIDTH} height={14} fill="#e3e7ee" rx={3} />
          <rect
            x={0}
            y={i * row + FONT + 8}
            width={(Math.min(1, Math.max(0, bar.value)) * WIDTH).toFixed(1)}
            height={14}
            fill={colour}
            rx={3}
          />
        </g>
      ))}
    </svg>
  )
}
