import type { ContactDetail } from '../contacts/detail.ts'
import { TAG_COLORS } from '../core/colors.ts'
import { LEAD_STATUSES } from '../core/lead-status.ts'
import { localDate } from '../core/time-zone.ts'
import type { Organization } from '../db/schema.ts'
import { Dot, localTime } from './pieces.tsx'

// The contact page's edit forms (each posts to one route of contact.tsx): lead status and stage,
// tags, follow-up Done/Snooze and on/off, a note, and the link to archiving.

/** What the contact page is drawn from (the webContact read). */
export interface ContactData {
  detail: ContactDetail
  version: number
  tags: { name: string; color: string }[]
  stages: string[]
}

export function Editing({ d, org, now }: { d: ContactData; org: Organization; now: number }) {
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
