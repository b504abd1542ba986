import type * as v from 'valibot'
import { contactListQuery } from '../contacts/schemas.ts'
import { LEAD_STATUSES } from '../core/lead-status.ts'
import { parseQuery } from '../core/query.ts'

export type ListQuery = v.InferOutput<typeof contactListQuery>

/**
 * A page's filters, read with GET /api/v1/contacts' own schema (the same names, values and
 * errors). A form sends every field, so an empty one means "not given".
 */
export function parseListQuery(queries: Record<string, string[]>): ListQuery {
  const given: Record<string, string[]> = {}
  for (const [name, values] of Object.entries(queries)) {
    const kept = values.filter((value) => value.trim() !== '')
    if (kept.length > 0) given[name] = kept
  }
  return parseQuery(contactListQuery, given)
}

/** The query string of a filter set (without cursor and limit), for links that keep the filters. */
export function filterSearch(query: Partial<ListQuery>, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams()
  for (const name of ['follow_up', 'stage', 'type', 'q', 'updated_since'] as const) {
    const value = query[name]
    if (value !== undefined) params.set(name, value)
  }
  if (query.lead_status !== undefined) params.set('lead_status', LEAD_STATUSES[query.lead_status - 1]!)
  for (const tag of query.tag ?? []) params.append('tag', tag)
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) params.set(name, value)
  const text = params.toString()
  return text ? `?${text}` : ''
}

/**
 * The filter form: stage, tag, type and username search; the contacts list adds lead status and
 * follow-up (`full`), the pipeline (whose columns are the stages: no `stages`) adds lead status.
 */
export function Filters({
  action,
  query,
  stages,
  full = false,
  leadStatus = full,
  setters,
  assigned,
}: {
  action: string
  query: Partial<ListQuery>
  stages?: string[]
  full?: boolean
  leadStatus?: boolean
  /** The organization's members, for an "Assigned setter" filter (named `assigned`). */
  setters?: string[]
  assigned?: string
}) {
  return (
    <form method="get" action={action} class="filters" aria-label="Filters">
      <div class="field">
        <label for="f-q">Username</label>
        <input id="f-q" name="q" type="search" value={query.q ?? ''} autocomplete="off" />
      </div>
      {stages ? (
        <div class="field">
          <label for="f-stage">Stage</label>
          <select id="f-stage" name="stage">
            <option value="">Any stage</option>
            {stages.map((name) => (
              <option value={name} selected={query.stage?.toLowerCase() === name.toLowerCase()}>
                {name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <div class="field">
        <label for="f-tag">Tag</label>
        <input id="f-tag" name="tag" type="text" value={query.tag?.[0] ?? ''} autocomplete="off" />
      </div>
      <div class="field">
        <label for="f-type">Type</label>
        <select id="f-type" name="type">
          <option value="">Any type</option>
          <option value="inbound" selected={query.type === 'inbound'}>
            Inbound
          </option>
          <option value="outreach" selected={query.type === 'outreach'}>
            Outreach
          </option>
        </select>
      </div>
      {leadStatus ? (
        <div class="field">
          <label for="f-status">Lead status</label>
          <select id="f-status" name="lead_status">
            <option value="">Any status</option>
            {LEAD_STATUSES.map((name, i) => (
              <option value={name} selected={query.lead_status === i + 1}>
                {name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {setters ? (
        <div class="field">
          <label for="f-assigned">Assigned setter</label>
          <select id="f-assigned" name="assigned">
            <option value="">Anyone</option>
            {setters.map((email) => (
              <option value={email} selected={assigned?.toLowerCase() === email.toLowerCase()}>
                {email}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {full ? (
        <div class="field">
          <label for="f-follow">Follow-up</label>
          <select id="f-follow" name="follow_up">
            <option value="">Any</option>
            {(['overdue', 'today', 'upcoming', 'any'] as const).map((group) => (
              <option value={group} selected={query.follow_up === group}>
                {group === 'any' ? 'Waiting (any time)' : group[0]!.toUpperCase() + group.slice(1)}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <button type="submit">Filter</button>
    </form>
  )
}

/** "5 min ago", "3 h ago", "2 d ago": how long ago an ISO time was, for a card. */
export function ago(iso: string | null, now: number): string {
  if (!iso) return 'never'
  const minutes = Math.max(0, Math.round((now - Date.parse(iso)) / 60_000))
  if (minutes < 1) return 'just now'
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.round(minutes / 60)
  if (hours < 48) return `${hours} h ago`
  return `${Math.round(hours / 24)} d ago`
}
