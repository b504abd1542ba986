import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { archiveContact } from '../contacts/archive.ts'
import { changeContactStatus } from '../contacts/contact-status.ts'
import { setFollowUpsActive } from '../contacts/follow-ups-switch.ts'
import { addContactNote } from '../contacts/notes.ts'
import { contactDetailQuery } from '../contacts/schemas.ts'
import { changeTags } from '../contacts/update-tags.ts'
import { TAG_COLORS } from '../core/colors.ts'
import { AppError } from '../core/errors.ts'
import { note as noteText, tagName } from '../core/fields.ts'
import { LEAD_STATUSES, leadStatusId } from '../core/lead-status.ts'
import { parseQuery } from '../core/query.ts'
import { isoTime } from '../core/time.ts'
import { parseInput } from '../core/validate.ts'
import type { Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { actOnFollowUp } from '../follow-ups/actions.ts'
import { readForm } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { ContactBody } from './contact-view.tsx'
import { Notice, renderPage } from './layout.tsx'
import { actionError, snoozeStart } from './pieces.tsx'
import { sameOrigin } from './security.ts'

// The contact page's routes: GET /contacts/{id} and its edits. What the page shows is in
// contact-view.tsx (facts, conversation, notes, activity) and contact-forms.tsx (the edit forms).

/** Messages, and activity entries, per page; "Older messages" pages back. */
export const CONTACT_PAGE_SIZE = 50

const NOTICES: Record<string, string> = {
  status: 'Lead status and stage saved.',
  'tag-added': 'Tag added.',
  'tag-removed': 'Tag removed.',
  note: 'Note added.',
  done: 'Follow-up marked done.',
  snoozed: 'Follow-up snoozed.',
  'follow-ups': 'Follow-ups setting saved.',
  archived: 'Contact archived.',
}

const tagForm = v.object({ name: tagName })
const noteForm = v.object({ body: noteText })

/** The version a form was rendered from; a form without one (or a bad one) is refused. */
function formVersion(text: string | undefined): number {
  if (!/^\d{1,15}$/.test(text ?? '')) throw new AppError('validation', 'This form is missing its version: reload the page and try again')
  return Number(text)
}

/** GET /contacts/{id} (the contact page) and its edits, each one write through the same services as the API. */
export function contactPage(deps: AppDeps) {
  async function render(c: Context<AppEnv>, options: { error?: string; status?: number } = {}) {
    const org = c.get('member').organization
    const id = c.req.param('id')!
    const now = deps.now()
    const given: Record<string, string[]> = { limit: [String(CONTACT_PAGE_SIZE)] }
    for (const name of ['messages_cursor', 'activity_cursor']) {
      const value = c.req.query(name)
      if (value) given[name] = [value]
    }
    const query = parseQuery(contactDetailQuery, given)
    const d = await deps.reads.run('webContact', { organizationId: org.id, id, query })
    const notice = NOTICES[c.req.query('notice') ?? '']
    return renderPage(
      c,
      { title: `@${d.detail.username}`, current: 'Contacts', status: options.status },
      <>
        <p class="meta">
          <a href="/contacts">Contacts</a> / <a href="/pipeline">Pipeline</a>
        </p>
        <div id="live" data-live data-contact={d.detail.id}>
          <h1 id="contact-heading" tabindex={-1}>
            @{d.detail.username}{' '}
            <a class="small" href={`https://instagram.com/${encodeURIComponent(d.detail.username)}`} rel="noopener noreferrer">
              Instagram profile
            </a>
          </h1>
          {options.error ? <Notice kind="error">{options.error}</Notice> : notice ? <Notice kind="ok">{notice}</Notice> : null}
          <ContactBody d={d} org={org} now={now} query={query} />
        </div>
      </>,
    )
  }

  /** One edit: its write (one transaction through store.write), then back to the page, or the page with what went wrong. */
  function edit(
    notice: string,
    work: (trx: Trx, org: Organization, id: string, email: string, form: Record<string, string>, now: string) => Promise<unknown>,
  ) {
    return async (c: Context<AppEnv>) => {
      const member = c.get('member')
      const id = c.req.param('id')!
      const form = await readForm(c, deps.config.bodyLimitBytes)
      const now = isoTime(deps.now())
      try {
        await deps.store.write((trx) => work(trx, member.organization, id, member.session.user.email, form, now))
      } catch (e) {
        const shown = actionError(e)
        if (!shown) throw e
        return render(c, { error: shown.message, status: shown.status })
      }
      return c.redirect(`/contacts/${encodeURIComponent(id)}?notice=${notice}`, 303)
    }
  }

  return new Hono<AppEnv>()
    .get('/contacts/:id', (c) => render(c))
    .post(
      '/contacts/:id/status',
      sameOrigin(),
      edit('status', (trx, org, id, email, form, now) => {
        const status = leadStatusId(form.lead_status ?? '')
        if (status === undefined) throw new AppError('validation', `Pick a lead status: ${LEAD_STATUSES.join(', ')}`)
        const stageName = form.stage?.trim() ? form.stage : undefined
        return changeContactStatus(trx, org, id, { leadStatusId: status, stageName, version: formVersion(form.version) }, email, now)
      }),
    )
    .post(
      '/contacts/:id/tags',
      sameOrigin(),
      edit('tag-added', (trx, org, id, email, form, now) => {
        const { name } = parseInput(tagForm, { name: form.name ?? '' })
        const color = TAG_COLORS[form.color ?? ''] ?? TAG_COLORS.blue!
        return changeTags(trx, org, id, { mode: 'add', names: [name], color }, email, now)
      }),
    )
    .post(
      '/contacts/:id/tags/remove',
      sameOrigin(),
      edit('tag-removed', (trx, org, id, email, form, now) => {
        const { name } = parseInput(tagForm, { name: form.name ?? '' })
        return changeTags(trx, org, id, { mode: 'remove', names: [name], color: TAG_COLORS.blue! }, email, now)
      }),
    )
    .post(
      '/contacts/:id/notes',
      sameOrigin(),
      edit('note', (trx, org, id, email, form, now) =>
        addContactNote(trx, org, id, parseInput(noteForm, { body: form.body ?? '' }).body, email, now),
      ),
    )
    .post(
      '/contacts/:id/follow-up/done',
      sameOrigin(),
      edit('done', (trx, org, id, email, form, now) => {
        const note = form.note?.trim() ? parseInput(noteForm, { body: form.note }).body : undefined
        return actOnFollowUp(trx, org, id, { note, snoozeUntil: undefined, email }, now)
      }),
    )
    .post(
      '/contacts/:id/follow-up/snooze',
      sameOrigin(),
      edit('snoozed', (trx, org, id, email, form, now) =>
        actOnFollowUp(trx, org, id, { snoozeUntil: snoozeStart(form.until, org.timezone, Date.parse(now)), note: undefined, email }, now),
      ),
    )
    .post(
      '/contacts/:id/follow-ups',
      sameOrigin(),
      edit('follow-ups', (trx, org, id, email, form, now) =>
        setFollowUpsActive(trx, org, id, { active: form.active === 'on', version: formVersion(form.version) }, email, now),
      ),
    )
    .get('/contacts/:id/archive', async (c) => {
      const org = c.get('member').organization
      const id = c.req.param('id')
      const d = await deps.reads.run('webContact', { organizationId: org.id, id, query: { limit: 1 } })
      if (d.detail.archived_at) return c.redirect(`/contacts/${encodeURIComponent(id)}`, 303)
      return renderPage(
        c,
        { title: `Archive @${d.detail.username}`, current: 'Contacts' },
        <>
          <h1>Archive @{d.detail.username}?</h1>
          <p>
            The contact leaves the pipeline, the board and every list. Its history, notes and activity stay readable here. A new reply from
            @{d.detail.username} starts a new contact.
          </p>
          <form method="post" action={`/contacts/${id}/archive`} class="actions">
            <button type="submit" class="danger">
              Archive @{d.detail.username}
            </button>
            <a href={`/contacts/${id}`} class="button secondary">
              Cancel
            </a>
          </form>
        </>,
      )
    })
    .post(
      '/contacts/:id/archive',
      sameOrigin(),
      edit('archived', (trx, org, id, email, _form, now) => archiveContact(trx, org, id, email, now)),
    )
}
