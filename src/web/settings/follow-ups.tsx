import { type Context, Hono } from 'hono'
import { describeFollowUpSettings, followUpSettings, updateFollowUpSettings } from '../../follow-ups/settings.ts'
import type { AppDeps, AppEnv } from '../../http/context.ts'
import { getOrganization } from '../../organizations/service.ts'
import { act, type Flash, form, settingsPage } from './frame.tsx'

// Follow-ups: the organization's time zone (the board's Today) and cadence, through the same
// service as `dmtracker org settings`.

/** The IANA zones this runtime knows, once (about 400 names). */
let zones: string[] | undefined
function timeZones(): string[] {
  zones ??= Intl.supportedValuesOf('timeZone')
  return zones
}

export function followUpPages(deps: AppDeps) {
  async function render(c: Context<AppEnv>, flash: Flash = {}, entered?: { timezone?: string; cadence?: string }) {
    const settings = followUpSettings(await getOrganization(deps.store.db, c.get('member').organization.id))
    const zone = entered?.timezone ?? settings.timezone
    // UTC and Etc/ zones are valid too, though some engines leave them out of the list.
    const choices = timeZones().includes(settings.timezone) ? timeZones() : [settings.timezone, ...timeZones()]
    return settingsPage(
      c,
      'Follow-ups',
      flash,
      <>
        <p>
          The Follow-Up Board's <strong>Today</strong> follows the organization's time zone. The cadence is the number of days between
          follow-ups: after the first is done, the next is due the second interval later, and so on (the last interval repeats). Contacts
          keep the follow-up time they have; a new cadence applies from their next follow-up.
        </p>
        <form method="post" action="/settings/follow-ups" class="settings-form">
          <div class="field">
            <label for="timezone">Time zone</label>
            <select id="timezone" name="timezone">
              {choices.map((z) => (
                <option value={z} selected={z === zone}>
                  {z}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="cadence">Cadence (days between follow-ups)</label>
            <input
              id="cadence"
              name="cadence"
              type="text"
              value={entered?.cadence ?? settings.cadence_days.map((d) => `${d}d`).join(',')}
              aria-describedby="cadence-hint"
              required
            />
            <p id="cadence-hint" class="meta">
              Whole days, separated by commas, like 1d,2d,4d,7d.
            </p>
          </div>
          <button type="submit">Save follow-up settings</button>
        </form>
      </>,
    )
  }

  return new Hono<AppEnv>()
    .get('/settings/follow-ups', (c) => render(c))
    .post('/settings/follow-ups', async (c) => {
      const f = await form(deps, c)
      const change = { timezone: f.timezone ?? '', cadence: f.cadence ?? '' }
      const { flash } = await act(deps, c, 'follow-ups', (trx, org) => updateFollowUpSettings(trx, org, change), describeFollowUpSettings)
      // A refused change keeps what was typed, so it can be corrected.
      return render(c, flash, flash.error ? change : undefined)
    })
}
