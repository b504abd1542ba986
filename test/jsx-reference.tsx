import type { ContactDetail } from '../src/contacts/detail.ts'
import type { ContactView } from '../src/contacts/view.ts'
import type { TagView } from '../src/tags/repo.ts'
import { ago } from '../src/web/filters.tsx'
import { localTime } from '../src/web/pieces.tsx'

// The web app's repeated pieces as they were written in hono/jsx before they became `html`
// templates (issue 15: the request thread's render work per page). Kept here only as the reference
// that test/web-templates.test.ts holds the templates to, byte for byte: change the markup in both.

function Dot({ color }: { color: string }) {
  return (
    <svg class="dot" width="10" height="10" viewBox="0 0 10 10" aria-hidden="true" focusable="false">
      <circle cx="5" cy="5" r="5" fill={color} />
    </svg>
  )
}

function TagList({ tags }: { tags: TagView[] }) {
  if (tags.length === 0) return null
  return (
    <ul class="tags" aria-label="Tags">
      {tags.map((t) => (
        <li class="tag">
          <Dot color={t.color} />
          {t.name}
        </li>
      ))}
    </ul>
  )
}

/** src/web/board.tsx's card before 6ef921d. */
export function BoardCard({ contact, now, back, tomorrow }: { contact: ContactView; now: number; back: string; tomorrow: string }) {
  const id = contact.id
  return (
    <li class="card" id={`card-${id}`}>
      <h3>
        <a href={`/contacts/${id}`}>@{contact.username}</a>
      </h3>
      <p class="msg">{contact.last_message_content ?? (contact.outreach_text ? `Outreach: ${contact.outreach_text}` : 'No message yet')}</p>
      <p class="meta">
        {contact.last_response_at ? <time datetime={contact.last_response_at}>{ago(contact.last_response_at, now)}</time> : 'No reply yet'}
        {' · '}Stage: {contact.pipeline_stage ?? 'none'}
        {' · '}Follow-ups done: {contact.follow_up_count}
      </p>
      <TagList tags={contact.tags} />
      <div class="actions">
        <form method="post" action={`/follow-ups/${id}/done`} data-enhance>
          <input type="hidden" name="back" value={back} />
          <div class="field">
            <label for={`note-${id}`}>Note (optional)</label>
            <input id={`note-${id}`} name="note" type="text" maxlength={1000} />
          </div>
          <button type="submit" aria-label={`Done: follow-up with @${contact.username}`}>
            Done
          </button>
        </form>
        <form method="post" action={`/follow-ups/${id}/snooze`} data-enhance>
          <input type="hidden" name="back" value={back} />
          <div class="field">
            <label for={`until-${id}`}>Snooze until</label>
            <input id={`until-${id}`} name="until" type="date" min={tomorrow} value={tomorrow} required />
          </div>
          <button type="submit" class="secondary" aria-label={`Snooze follow-up with @${contact.username}`}>
            Snooze
          </button>
        </form>
      </div>
    </li>
  )
}

function FollowUpDue({ contact, now }: { contact: ContactView; now: number }) {
  if (!contact.follow_up_needed || !contact.next_follow_up_at) return null
  const due = Date.parse(contact.next_follow_up_at)
  return (
    <span class={due <= now ? 'due' : undefined}>
      {' · '}
      {due <= now ? 'Follow-up due' : `Follow-up ${contact.next_follow_up_at.slice(0, 10)}`}
    </span>
  )
}

/** src/web/pipeline.tsx's card. */
export function PipelineCard({ contact, now, stages, back }: { contact: ContactView; now: number; stages: string[]; back: string }) {
  const id = contact.id
  return (
    <li class="card" id={`card-${id}`} data-contact={id}>
      <div class="card-head">
        <h3>
          <a href={`/contacts/${id}`}>@{contact.username}</a>
        </h3>
        <span class="grip" data-grip title="Drag to another stage" aria-hidden="true">
          ⠿
        </span>
      </div>
      <p class="meta">
        <span class="status">{contact.lead_status}</span>
        {' · '}
        {contact.last_response_at ? <time datetime={contact.last_response_at}>{ago(contact.last_response_at, now)}</time> : 'No reply yet'}
        <FollowUpDue contact={contact} now={now} />
      </p>
      <TagList tags={contact.tags} />
      <form method="post" action={`/pipeline/${id}/move`} class="move" data-enhance>
        <input type="hidden" name="back" value={back} />
        <label for={`move-${id}`}>
          Move <span class="visually-hidden">@{contact.username} </span>to
        </label>
        <select id={`move-${id}`} name="stage">
          {stages.map((name) => (
            <option value={name} selected={name === contact.pipeline_stage}>
              {name}
            </option>
          ))}
        </select>
        <button type="submit" class="secondary" aria-label={`Move @${contact.username}`}>
          Move
        </button>
      </form>
    </li>
  )
}

/** src/web/contacts.tsx's row. */
export function ContactRow({ contact, now }: { contact: ContactView; now: number }) {
  return (
    <tr>
      <th scope="row">
        <a href={`/contacts/${contact.id}`}>@{contact.username}</a>
      </th>
      <td>{contact.contact_type}</td>
      <td>{contact.lead_status}</td>
      <td>{contact.pipeline_stage ?? '—'}</td>
      <td>{contact.tags.map((t) => t.name).join(', ')}</td>
      <td>{contact.last_response_at ? <time datetime={contact.last_response_at}>{ago(contact.last_response_at, now)}</time> : '—'}</td>
      <td>
        {contact.follow_up_needed && contact.next_follow_up_at ? (
          <time datetime={contact.next_follow_up_at}>{contact.next_follow_up_at.slice(0, 10)}</time>
        ) : (
          '—'
        )}
      </td>
    </tr>
  )
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

/** src/web/contact-view.tsx's activity entry. */
export function ActivityLine({ entry, timeZone }: { entry: Activity; timeZone: string }) {
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

/** src/web/contact-view.tsx's message of the conversation. */
export function MessageItem({ m, username, tz }: { m: ContactDetail['messages']['items'][number]; username: string; tz: string }) {
  return (
    <li class={`message ${m.direction}`}>
      <span class="who">{m.direction === 'inbound' ? `@${username}` : 'Team'}</span>{' '}
      <time datetime={m.sent_at}>{localTime(m.sent_at, tz)}</time>
      <p>{m.content}</p>
    </li>
  )
}

/** src/web/contact-view.tsx's note. */
export function NoteItem({ n, tz }: { n: ContactDetail['notes'][number]; tz: string }) {
  return (
    <li>
      <time datetime={n.created_at}>{localTime(n.created_at, tz)}</time>
      <p>{n.body}</p>
    </li>
  )
}
