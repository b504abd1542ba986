import { html } from 'hono/html'
import type * as v from 'valibot'
import type { ContactDetail } from '../contacts/detail.ts'
import type { contactDetailQuery } from '../contacts/schemas.ts'
import type { Organization } from '../db/schema.ts'
import { type ContactData, Editing } from './contact-forms.tsx'
import { ago } from './filters.tsx'
import { Notice } from './layout.tsx'
import { localTime } from './pieces.tsx'

// What the contact page shows: the facts, then the edit forms (contact-forms.tsx), then the
// conversation, the notes and the activity log, all times in the organization's time zone.

type Activity = ContactDetail['activity']['items'][number]
type Message = ContactDetail['messages']['items'][number]
type Note = ContactDetail['notes'][number]

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

// The conversation, the notes and the activity are lists of up to 50 entries each: `html`
// templates like the board's cards (src/web/board.tsx says why), byte for byte the JSX markup.

/** One entry of the activity log. */
export function activityLine(entry: Activity, timeZone: string) {
  const what = ACTIONS[entry.action] ?? entry.action.replaceAll('_', ' ')
  const change =
    entry.old_value !== null && entry.new_value !== null
      ? `${entry.old_value} → ${entry.new_value}`
      : (entry.new_value ?? entry.old_value ?? '')
  const when = entry.action === 'follow_up_snoozed' && entry.new_value ? `until ${localTime(entry.new_value, timeZone)}` : change
  const who =
    entry.via === 'automation'
      ? html`<span class="badge">Automation${entry.automation_id === null ? '' : ` #${entry.automation_id}`}</span>`
      : `by ${entry.user_email ?? (entry.via === 'cli' ? 'the command line' : 'the API')}`
  return html`<li><time datetime="${entry.created_at}">${localTime(entry.created_at, timeZone)}</time> <strong>${what}</strong>\
${when ? `: ${when}` : ''} <span class="who">${who}</span></li>`
}

/** One message of the conversation; `username` is the contact's. */
export function messageItem(m: Message, username: string, timeZone: string) {
  return html`<li class="message ${m.direction}"><span class="who">${m.direction === 'inbound' ? `@${username}` : 'Team'}</span> \
<time datetime="${m.sent_at}">${localTime(m.sent_at, timeZone)}</time><p>${m.content}</p></li>`
}

/** One note. */
export function noteItem(n: Note, timeZone: string) {
  return html`<li><time datetime="${n.created_at}">${localTime(n.created_at, timeZone)}</time><p>${n.body}</p></li>`
}

export function ContactBody({
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
            {messages.map((m) => messageItem(m, c.username, tz))}
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
          <ul class="notes">{c.notes.map((n) => noteItem(n, tz))}</ul>
        </section>
        <section aria-labelledby="h-activity" class="panel">
          <h2 id="h-activity">Activity</h2>
          <ul class="activity">{c.activity.items.map((entry) => activityLine(entry, tz))}</ul>
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
