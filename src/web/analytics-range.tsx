import { type PageQuery, PRESETS, pageHref } from './analytics-query.ts'

// The /analytics page's range picker: the presets as links, a custom range as a plain GET form
// that keeps the sort and the grouping.

export function RangePicker({ query, report }: { query: PageQuery; report: { from: string; to: string } | undefined }) {
  const custom = query.from !== undefined || query.to !== undefined
  return (
    <section class="filters range" aria-labelledby="range-heading">
      <h2 id="range-heading" class="visually-hidden">
        Range
      </h2>
      <ul class="presets">
        {PRESETS.map((days) => (
          <li>
            <a
              class="button secondary"
              href={pageHref(query, { days, from: undefined, to: undefined })}
              aria-current={!custom && (query.days ?? '30') === days ? 'true' : undefined}
            >
              Last {days} days
            </a>
          </li>
        ))}
      </ul>
      <form method="get" action="/analytics" class="custom">
        {query.sort ? <input type="hidden" name="sort" value={query.sort} /> : null}
        {query.dir ? <input type="hidden" name="dir" value={query.dir} /> : null}
        {query.by !== 'message_label' ? <input type="hidden" name="by" value={query.by} /> : null}
        <div class="field">
          <label for="range-from">From</label>
          <input id="range-from" name="from" type="date" value={report?.from ?? query.from ?? ''} />
        </div>
        <div class="field">
          <label for="range-to">To</label>
          <input id="range-to" name="to" type="date" value={report?.to ?? query.to ?? ''} />
        </div>
        <button type="submit">Show range</button>
      </form>
    </section>
  )
}
