import { type Context, Hono } from 'hono'
import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import { changeContactStatus } from '../contacts/contact-status.ts'
import type { PipelineLane } from '../contacts/pipeline-board.ts'
import type { ContactView } from '../contacts/view.ts'
import { AppError } from '../core/errors.ts'
import { isoTime } from '../core/time.ts'
import { readForm } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { Filters, filterSearch, type ListQuery, parseListQuery } from './filters.tsx'
import { Notice, renderPage } from './layout.tsx'
import { actionError, agoTime, Dot, safeBack, TagList, withParam } from './pieces.tsx'
import { sameOrigin } from './security.ts'

/** Cards per column on the first load; "Load more" continues one column with the same filters. */
export const PIPELINE_PAGE_SIZE = 20

const NOTICES: Record<string, string> = { moved: 'Card moved.' }

function followUpDue(contact: ContactView, now: number) {
  if (!contact.follow_up_needed || !contact.next_follow_up_at) return null
  const due = Date.parse(contact.next_follow_up_at)
  return due <= now
    ? html`<span class="due"> · Follow-up due</span>`
    : html`<span> · Follow-up ${contact.next_follow_up_at.slice(0, 10)}</span>`
}

/** The Move form's options for a card in stage `selected` (or in none); each set is made once per render. */
type MoveOptions = (selected: string | null) => HtmlEscapedString | Promise<HtmlEscapedString>

export function moveOptions(stages: string[]): MoveOptions {
  const made = new Map<string | null, HtmlEscapedString | Promise<HtmlEscapedString>>()
  return (selected) => {
    let options = made.get(selected)
    if (!options) {
      options = html`${stages.map((name) =>
        name === selected ? html`<option value="${name}" selected="">${name}</option>` : html`<option value="${name}">${name}</option>`,
      )}`
      made.set(selected, options)
    }
    return options
  }
}

/**
 * One card of the pipeline (120 on a first load), an `html` template like the board's cards
 * (src/web/board.tsx says why), byte for byte the markup the JSX version made. The drag handle is
 * for mouse and touch; keyboard and screen-reader users have "Move to".
 */
export function pipelineCard(contact: ContactView, now: number, moveTo: MoveOptions, back: string) {
  const { id, username } = contact
  return html`<li class="card" id="card-${id}" data-contact="${id}"><div class="card-head"><h3><a href="/contacts/${id}">@${username}</a></h3>\
<span class="grip" data-grip="true" title="Drag to another stage" aria-hidden="true">⠿</span></div>\
<p class="meta"><span class="status">${contact.lead_status}</span> · ${contact.last_response_at ? agoTime(contact.last_response_at, now) : 'No reply yet'}\
${followUpDue(contact, now)}</p>${TagList({ tags: contact.tags })}\
<form method="post" action="/pipeline/${id}/move" class="move" data-enhance="true"><input type="hidden" name="back" value="${back}"/>\
<label for="move-${id}">Move <span class="visually-hidden">@${username} </span>to</label>\
<select id="move-${id}" name="stage">${moveTo(contact.pipeline_stage)}</select>\
<button type="submit" class="secondary" aria-label="Move @${username}">Move</button></form></li>`
}

function Lane({ lane, now, moveTo, back }: { lane: PipelineLane; now: number; moveTo: MoveOptions; back: string }) {
  const list = `lane-cards-${lane.number}`
  return (
    <section class="lane" aria-labelledby={`lane-${lane.number}`} data-stage={lane.name}>
      <h2 id={`lane-${lane.number}`}>
        <Dot color={lane.color} />
        {lane.name} <span class="count">{lane.count}</span>
      </h2>
      <ul class="cards" id={list} data-stage={lane.name}>
        {lane.items.map((contact) => pipelineCard(contact, now, moveTo, back))}
      </ul>
      {lane.items.length === 0 ? <p class="meta empty">No contacts here.</p> : null}
      {lane.next ? (
        <p class="more">
          <a href={`${withParam('/pipeline', back, 'column', String(lane.number))}&cursor=${lane.next}`} data-more={list} data-auto>
            Load more in {lane.name}
          </a>
        </p>
      ) : null}
    </section>
  )
}

/** A query string's parameters as Hono's c.req.queries() gives them (name -> every value). */
function queriesOf(search: string): Record<string, string[]> {
  const queries: Record<string, string[]> = {}
  for (const [name, value] of new URLSearchParams(search)) queries[name] = [...(queries[name] ?? []), value]
  return queries
}

/** GET /pipeline (the Kanban) and POST /pipeline/{id}/move (the same change as PATCH contact-status). */
export function pipelinePages(deps: AppDeps) {
  /** `search`: the filters to show instead of the request's own (a failed move shows the pipeline it came from). */
  async function render(c: Context<AppEnv>, options: { error?: string; status?: number; search?: string } = {}) {
    const org = c.get('member').organization
    const now = deps.now()
    const queries = options.search === undefined ? c.req.queries() : queriesOf(options.search)
    const { notice: _notice, column, cursor, assigned: assignedValues, ...filters } = queries
    const assigned = assignedValues?.[0]?.trim() || undefined
    let query: ListQuery = { limit: PIPELINE_PAGE_SIZE }
    let error = options.error
    let view: { stages: string[]; lanes: PipelineLane[]; setters: string[] }
    const more = column && cursor ? { stage: Number(column[0]), cursor: cursor[0]! } : undefined
    try {
      query = parseListQuery({ ...filters, ...(more ? { cursor: [more.cursor] } : {}) })
      view = await deps.reads.run('webPipeline', {
        organizationId: org.id,
        query,
        now,
        pageSize: PIPELINE_PAGE_SIZE,
        more: more && query.cursor ? { stage: more.stage, cursor: query.cursor } : undefined,
        assigned,
      })
    } catch (e) {
      const shown = actionError(e)
      if (!shown) throw e
      error = shown.message
      query = { limit: PIPELINE_PAGE_SIZE }
      view = await deps.reads.run('webPipeline', { organizationId: org.id, query, now, pageSize: PIPELINE_PAGE_SIZE })
      options.status ??= shown.status
    }
    const { stages, lanes, setters } = view
    const shownAssigned = error ? undefined : assigned
    const back = filterSearch(query, { assigned: shownAssigned })
    const notice = NOTICES[queries.notice?.[0] ?? '']
    const moveTo = moveOptions(stages)
    return renderPage(
      c,
      { title: 'Pipeline', current: 'Pipeline', status: options.status },
      <>
        <h1 id="pipeline-heading" tabindex={-1}>
          Pipeline
        </h1>
        <Filters action="/pipeline" query={query} leadStatus setters={setters} assigned={shownAssigned} />
        <div id="live" data-live>
          {error ? <Notice kind="error">{error}</Notice> : notice ? <Notice kind="ok">{notice}</Notice> : null}
          {more ? (
            <p>
              <a href={`/pipeline${back}`}>Back to the whole pipeline</a>
            </p>
          ) : null}
          <div class="pipeline">
            {lanes.map((lane) => (
              <Lane lane={lane} now={now} moveTo={moveTo} back={back} />
            ))}
          </div>
        </div>
      </>,
    )
  }

  return new Hono<AppEnv>()
    .get('/pipeline', (c) => render(c))
    .post('/pipeline/:id/move', sameOrigin(), async (c) => {
      const member = c.get('member')
      const form = await readForm(c, deps.config.bodyLimitBytes)
      const back = safeBack(form.back)
      try {
        if (!form.stage?.trim()) throw new AppError('validation', 'Pick the stage to move the card to')
        await deps.store.write((trx) =>
          changeContactStatus(
            trx,
            member.organization,
            c.req.param('id'),
            { stageName: form.stage },
            member.session.user.email,
            isoTime(deps.now()),
          ),
        )
      } catch (e) {
        const shown = actionError(e)
        if (!shown) throw e
        return render(c, { error: `The card was not moved: ${shown.message}`, status: shown.status, search: back })
      }
      return c.redirect(withParam('/pipeline', back, 'notice', 'moved'), 303)
    })
}
