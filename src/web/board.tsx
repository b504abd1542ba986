import { type Context, Hono } from 'hono'
import { html } from 'hono/html'
import type { ContactView } from '../contacts/view.ts'
import { AppError } from '../core/errors.ts'
import { isoTime } from '../core/time.ts'
import { localDate, startOfDate } from '../core/time-zone.ts'
import { actOnFollowUp } from '../follow-ups/actions.ts'
import type { BoardSections } from '../follow-ups/board.ts'
import { readForm } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { Filters, filterSearch, type ListQuery, parseListQuery } from './filters.tsx'
import { Notice, renderPage } from './layout.tsx'
import { agoTime, TagList } from './pieces.tsx'
import { sameOrigin } from './security.ts'

/** Cards per section on the board's first load; "Show more" pages on with the same filters. */
export const BOARD_PAGE_SIZE = 20

const NOTICES: Record<string, string> = { done: 'Follow-up marked done.', snoozed: 'Follow-up snoozed.' }

/**
 * One card of the board, written as an `html` template instead of JSX: the board shows 60 of
 * them, and hono/jsx builds and then walks an object per element and attribute, about 15 times the
 * work of filling in this template (1 ms against 0.05 ms for 60 cards on an idle core; on a busy
 * machine the longer render is the one that gets preempted, docs/performance.md). Interpolated
 * values are escaped by `html` as JSX escapes them; the markup is what the JSX version produced.
 */
export function boardCard(contact: ContactView, now: number, back: string, tomorrow: string) {
  const { id, username } = contact
  const message = contact.last_message_content ?? (contact.outreach_text ? `Outreach: ${contact.outreach_text}` : 'No message yet')
  const replied = contact.last_response_at ? agoTime(contact.last_response_at, now) : 'No reply yet'
  const done = html`<form method="post" action="/follow-ups/${id}/done" data-enhance="true">${backField(back)}<div class="field">\
<label for="note-${id}">Note (optional)</label><input id="note-${id}" name="note" type="text" maxlength="1000"/></div>\
<button type="submit" aria-label="Done: follow-up with @${username}">Done</button></form>`
  const snooze = html`<form method="post" action="/follow-ups/${id}/snooze" data-enhance="true">${backField(back)}<div class="field">\
<label for="until-${id}">Snooze until</label><input id="until-${id}" name="until" type="date" min="${tomorrow}" value="${tomorrow}" required=""/></div>\
<button type="submit" class="secondary" aria-label="Snooze follow-up with @${username}">Snooze</button></form>`
  return html`<li class="card" id="card-${id}"><h3><a href="/contacts/${id}">@${username}</a></h3><p class="msg">${message}</p>\
<p class="meta">${replied} · Stage: ${contact.pipeline_stage ?? 'none'} · Follow-ups done: ${contact.follow_up_count}</p>\
${TagList({ tags: contact.tags })}<div class="actions">${done}${snooze}</div></li>`
}

const backField = (back: string) => html`<input type="hidden" name="back" value="${back}"/>`

/** GET /follow-ups (the board), POST /follow-ups/{id}/done and /snooze. */
export function boardPages(deps: AppDeps) {
  const { store } = deps

  async function render(c: Context<AppEnv>, options: { error?: string; status?: number } = {}) {
    const member = c.get('member')
    const now = deps.now()
    let query: ListQuery = { limit: BOARD_PAGE_SIZE }
    let error = options.error
    let board: BoardSections
    try {
      // `notice` says what the last action did (after its redirect); the rest are the list's filters.
      const { notice: _notice, ...filters } = c.req.queries()
      query = parseListQuery(filters)
      board = await deps.reads.run('webBoard', { organizationId: member.organization.id, query, now, pageSize: BOARD_PAGE_SIZE })
    } catch (e) {
      if (!(e instanceof AppError) || e.kind !== 'validation') throw e
      error = `${e.message}${e.details?.length ? `: ${e.details.map((d) => `${d.field} ${d.message}`).join('; ')}` : ''}`
      query = { limit: BOARD_PAGE_SIZE }
      board = await deps.reads.run('webBoard', { organizationId: member.organization.id, query, now, pageSize: BOARD_PAGE_SIZE })
      options.status ??= 400
    }
    const back = filterSearch({ ...query, follow_up: undefined })
    const tomorrow = localDate(member.organization.timezone, now + 24 * 3600_000)
    const notice = NOTICES[c.req.query('notice') ?? '']
    return renderPage(
      c,
      { title: 'Follow-ups', current: 'Follow-ups', status: options.status },
      <>
        <h1 id="board-heading" tabindex={-1}>
          Follow-ups
        </h1>
        <Filters action="/follow-ups" query={query} stages={board.stages} />
        <div id="live" data-live>
          {error ? <Notice kind="error">{error}</Notice> : notice ? <Notice kind="ok">{notice}</Notice> : null}
          <p class="meta">Times in {member.organization.timezone}.</p>
          <div class="board">
            {board.sections.map((s) => (
              <section class="section" aria-labelledby={`h-${s.key}`} id={`section-${s.key}`}>
                <h2 id={`h-${s.key}`}>
                  {s.heading}{' '}
                  <span class="count">
                    {s.count}
                    {s.exact ? '' : '+'}
                  </span>
                </h2>
                <ul class="cards" id={`cards-${s.key}`}>
                  {s.items.map((contact) => boardCard(contact, now, back, tomorrow))}
                </ul>
                {s.items.length === 0 ? <p class="meta">Nothing here.</p> : null}
                {s.next ? (
                  <p class="more">
                    <a href={`/follow-ups${filterSearch({ ...query, follow_up: s.key }, { cursor: s.next })}`} data-more={`cards-${s.key}`}>
                      Show more {s.heading.toLowerCase()}
                    </a>
                  </p>
                ) : null}
              </section>
            ))}
          </div>
        </div>
      </>,
    )
  }

  async function act(c: Context<AppEnv>, kind: 'done' | 'snoozed') {
    const member = c.get('member')
    const form = await readForm(c, deps.config.bodyLimitBytes)
    const back = /^\?[^\s#]*$/.test(form.back ?? '') ? form.back! : ''
    const id = c.req.param('id') ?? ''
    const now = deps.now()
    try {
      const note = form.note?.trim() ? form.note.trim() : undefined
      if (note && note.length > 1000) throw new AppError('validation', 'The note is longer than 1000 characters')
      let snooze: string | undefined
      if (kind === 'snoozed') {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(form.until ?? '') || Number.isNaN(Date.parse(form.until!)))
          throw new AppError('validation', 'Pick the date to snooze until')
        snooze = startOfDate(member.organization.timezone, form.until!)
        if (snooze <= isoTime(now)) throw new AppError('validation', 'Snooze until a day after today')
      }
      // The same service as POST /api/v1/contacts/{id}/follow-ups, acting as the signed-in person.
      await store.write((trx) =>
        actOnFollowUp(trx, member.organization, id, { note, snoozeUntil: snooze, email: member.session.user.email }, isoTime(now)),
      )
    } catch (e) {
      if (!(e instanceof AppError) || !['validation', 'bad_request', 'not_found'].includes(e.kind)) throw e
      const message = e.details?.length ? `${e.message}: ${e.details.map((d) => `${d.field} ${d.message}`).join('; ')}` : e.message
      return render(c, { error: message, status: e.kind === 'not_found' ? 404 : 400 })
    }
    const separator = back ? '&' : '?'
    return c.redirect(`/follow-ups${back}${separator}notice=${kind}`, 303)
  }

  return new Hono<AppEnv>()
    .get('/', (c) => c.redirect('/follow-ups', 303))
    .get('/follow-ups', (c) => render(c))
    .post('/follow-ups/:id/done', sameOrigin(), (c) => act(c, 'done'))
    .post('/follow-ups/:id/snooze', sameOrigin(), (c) => act(c, 'snoozed'))
}
