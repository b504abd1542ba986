import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { archiveContact } from '../contacts/archive.ts'
import { changeContactStatus } from '../contacts/contact-status.ts'
import type { ContactDetail } from '../contacts/detail.ts'
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
import { localDate } from '../core/time-zone.ts'
import { parseInput } from '../core/validate.ts'
import type { Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { actOnFollowUp } from '../follow-ups/actions.ts'
import { readForm } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { ago } from './filters.tsx'
import { Notice, renderPage } from './layout.tsx'
import { actionError, Dot, localTime, snoozeStart } from './pieces.tsx'
import { sameOrigin } from './security.ts'

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

type Activity = ContactDetail['activity']['items'][number]

const ACTIONS: Record<string, string> = {
  lead_status: 'Lead status',
  pipeline_stage: 'Stage',
  tags_added: 'Tags added',
  tags_removed: 'Tags removed',
  note_added: 'Note added',
  follow_up_done: 'Follow-up done',
  follow_up_snoozed: 'Follow-up snoozed',
  follow_ups: 'Follow-ups',
  archived: 'Archived',
  contact_created: 'Contact created',
}

function ActivityLine({ entry, timeZone }: { entry: Activity; timeZone: string }) {
  const what = ACTIONS[entry.action] ?? entry.action.replaceAll('_', ' ')
  const change =
    entry.old_value !== null && entry.new_value !== null
      ? `${entry.old_value} → ${entry.new_value}`
      : (entry.new_value ?? entry.old_value ?? '')
  const when = entry.action === 'follow_up_snoozed' && entry.new_value ? `until ${localTime(entry.new_value, timeZone)}` : change
  return (
    <li>
      <time datetime={entry.created_at}>{localTime(entry.created_at, timeZone)}</time> <strong>{what}</strong>
      {when ? `: ${when}` : ''}{' '}
      <span class="who">
        {entry.via === 'automation' ? (
          <span class="badge">Automation{entry.automation_id === null ? '' : ` #${entry.automation_id}`}</span>
        ) : (
          `by ${entry.user_email ?? (entry.via === 'cli' ? 'the command line' : 'the API')}`
        )}
      </span>
    </li>
  )
}

interface ContactData {
  detail: ContactDetail
  version: number
  tags: { name: string; color: string }[]
  stages: string[]
}

function Editing({ d, org, now }: { d: ContactData; org: Organization; now: number }) {
  const c = d.detail
  const base = `/contacts/${c.id}`
  const tomorrow = localDate(org.timezone, now + 24 * 3600_000)
  return (
    <>
      <section aria-labelledby="h-status" class="panel">
        <h2 id="h-status">Lead status and stage</h2>
        <form method="post" action={`${base}/status`} data-enhance class="inline">
          <input type="hidden" name="version" value={String(d.version)} />
          <div class="field">
            <label for="lead-status">Lead status</label>
            <select id="lead-status" name="lead_status">
              {LEAD_STATUSES.map((name) => (
                <option value={name} selected={name === c.lead_status}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="stage">Stage</label>
            <select id="stage" name="stage">
              {c.pipeline_stage && !d.stages.includes(c.pipeline_stage) ? (
                <option value="" selected>
                  {c.pipeline_stage} (inactive)
                </option>
              ) : null}
              {d.stages.map((name) => (
                <option value={name} selected={name === c.pipeline_stage}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Save status and stage</button>
        </form>
      </section>
      <section aria-labelledby="h-tags" class="panel">
        <h2 id="h-tags">Tags</h2>
        {c.tags.length === 0 ? <p class="meta">No tags.</p> : null}
        <ul class="tags editable">
          {c.tags.map((t) => (
            <li class="tag">
              <Dot color={t.color} />
              {t.name}
              <form method="post" action={`${base}/tags/remove`} data-enhance>
                <input type="hidden" name="name" value={t.name} />
                <button type="submit" class="link" aria-label={`Remove tag ${t.name}`}>
                  ×
                </button>
              </form>
            </li>
          ))}
        </ul>
        <form method="post" action={`${base}/tags`} data-enhance class="inline">
          <div class="field">
            <label for="tag-name">Tag</label>
            <input id="tag-name" name="name" type="text" list="org-tags" maxlength={100} required autocomplete="off" />
            <datalist id="org-tags">
              {d.tags.map((t) => (
                <option value={t.name}></option>
              ))}
            </datalist>
          </div>
          <div class="field">
            <label for="tag-color">Colour (for a new tag)</label>
            <select id="tag-color" name="color">
              {Object.keys(TAG_COLORS).map((name) => (
                <option value={name} selected={name === 'blue'}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Add tag</button>
        </form>
      </section>
      <section aria-labelledby="h-follow" class="panel">
        <h2 id="h-follow">Follow-up</h2>
        <p>
          {c.follow_up_needed && c.next_follow_up_at
            ? `Next follow-up: ${localTime(c.next_follow_up_at, org.timezone)}${Date.parse(c.next_follow_up_at) <= now ? ' (due)' : ''}`
            : 'No follow-up waiting'}
          {'. '}
          Follow-ups done: {c.follow_up_count}.
        </p>
        {c.follow_up_needed ? (
          <div class="actions">
            <form method="post" action={`${base}/follow-up/done`} data-enhance>
              <div class="field">
                <label for="done-note">Note (optional)</label>
                <input id="done-note" name="note" type="text" maxlength={1000} />
              </div>
              <button type="submit">Done</button>
            </form>
            <form method="post" action={`${base}/follow-up/snooze`} data-enhance>
              <div class="field">
                <label for="snooze-until">Snooze until</label>
                <input id="snooze-until" name="until" type="date" min={tomorrow} value={tomorrow} required />
              </div>
              <button type="submit" class="secondary">
                Snooze
              </button>
            </form>
          </div>
        ) : null}
        <form method="post" action={`${base}/follow-ups`} data-enhance>
          <input type="hidden" name="version" value={String(d.version)} />
          <input type="hidden" name="active" value={c.activate_followups ? 'off' : 'on'} />
          <p class="meta">Follow-ups are {c.activate_followups ? 'on' : 'off'} for this contact.</p>
          <button type="submit" class="secondary">
            {c.activate_followups ? 'Turn follow-ups off' : 'Turn follow-ups on'}
          </button>
        </form>
      </section>
      <section aria-labelledby="h-note" class="panel">
        <h2 id="h-note">Add a note</h2>
        <form method="post" action={`${base}/notes`} data-enhance>
          <div class="field">
            <label for="note-body">Note</label>
            <textarea id="note-body" name="body" rows={3} maxlength={1000} required></textarea>
          </div>
          <button type="submit">Add note</button>
        </form>
      </section>
      <p>
        <a href={`${base}/archive`} class="button danger">
          Archive…
        </a>
      </p>
    </>
  )
}

function ContactBody({
  d,
  org,
  now,
  query,
}: {
  d: ContactData
  org: Organization
  now: number
  query: v.InferOutput<typeof contactDetailQuery>
}) {
  const c = d.detail
  const tz = org.timezone
  const messages = [...c.messages.items]
  return (
    <>
      <dl class="facts">
        <dt>Type</dt>
        <dd>{c.contact_type === 'outreach' ? 'Outreach' : 'Inbound'}</dd>
        <dt>Lead status</dt>
        <dd>{c.lead_status}</dd>
        <dt>Stage</dt>
        <dd>{c.pipeline_stage ?? '—'}</dd>
        {c.outreach_reason ? (
          <>
            <dt>Outreach reason</dt>
            <dd>{c.outreach_reason}</dd>
          </>
        ) : null}
        {c.outreach_text ? (
          <>
            <dt>Outreach message</dt>
            <dd>{c.outreach_text}</dd>
          </>
        ) : null}
        <dt>Created</dt>
        <dd>
          <time datetime={c.created_at}>{localTime(c.created_at, tz)}</time>
        </dd>
        <dt>Last reply</dt>
        <dd>
          {c.last_response_at ? (
            <time datetime={c.last_response_at}>
              {localTime(c.last_response_at, tz)} ({ago(c.last_response_at, now)})
            </time>
          ) : (
            'No reply yet'
          )}
        </dd>
      </dl>
      <p class="meta">Times in {tz}.</p>
      {c.archived_at ? (
        <Notice kind="ok">Archived on {localTime(c.archived_at, tz)}: its history stays readable, it takes no more changes.</Notice>
      ) : (
        <Editing d={d} org={org} now={now} />
      )}
      <div class="columns">
        <section aria-labelledby="h-conversation" class="panel">
          <h2 id="h-conversation">Conversation</h2>
          {messages.length === 0 && !c.outreach_text ? <p class="meta">No messages yet.</p> : null}
          <ol class="messages" id="messages">
            {messages.map((m) => (
              <li class={`message ${m.direction}`}>
                <span class="who">{m.direction === 'inbound' ? `@${c.username}` : 'Team'}</span>{' '}
                <time datetime={m.sent_at}>{localTime(m.sent_at, tz)}</time>
                <p>{m.content}</p>
              </li>
            ))}
            {!c.messages.next_cursor && c.outreach_text ? (
              <li class="message outbound">
                <span class="who">Team (outreach)</span>
                <p>{c.outreach_text}</p>
              </li>
            ) : null}
          </ol>
          {c.messages.next_cursor ? (
            <p class="more">
              <a href={`/contacts/${c.id}?messages_cursor=${c.messages.next_cursor}`}>Older messages</a>
            </p>
          ) : null}
          {query.messages_cursor ? (
            <p>
              <a href={`/contacts/${c.id}`}>Newest messages</a>
            </p>
          ) : null}
        </section>
        <section aria-labelledby="h-notes" class="panel">
          <h2 id="h-notes">Notes</h2>
          {c.notes.length === 0 ? <p class="meta">No notes.</p> : null}
          <ul class="notes">
            {c.notes.map((n) => (
              <li>
                <time datetime={n.created_at}>{localTime(n.created_at, tz)}</time>
                <p>{n.body}</p>
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="h-activity" class="panel">
          <h2 id="h-activity">Activity</h2>
          <ul class="activity">
            {c.activity.items.map((entry) => (
              <ActivityLine entry={entry} timeZone={tz} />
            ))}
          </ul>
          {c.activity.next_cursor ? (
            <p class="more">
              <a href={`/contacts/${c.id}?activity_cursor=${c.activity.next_cursor}`}>Older activity</a>
            </p>
          ) : null}
        </section>
      </div>
    </>
  )
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
        <div id="live">
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
