import { Hono } from 'hono'
import { listAudit } from '../../audit/repo.ts'
import type { AppDeps, AppEnv } from '../../http/context.ts'
import { localTime, TimesIn } from '../pieces.tsx'
import { settingsPage } from './frame.tsx'

// The audit trail of settings actions, newest first, 50 a page (audit/repo.ts). Its table scrolls
// sideways on a phone and holds nothing focusable, so the scroll box itself takes focus (keyboard).

export function auditPages(deps: AppDeps) {
  return new Hono<AppEnv>().get('/settings/audit', async (c) => {
    const raw = c.req.query('before')
    const before = raw && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined
    // One index range of one organization, at most 51 rows.
    const { id: organizationId, timezone } = c.get('member').organization
    const page = await listAudit(deps.store.db, organizationId, before)
    return settingsPage(
      c,
      'Audit log',
      {},
      <>
        <p>Every change made in Settings, and with the command line, with who made it and when. Newest first.</p>
        {page.rows.length === 0 ? (
          <p>Nothing recorded yet.</p>
        ) : (
          <section class="table-wrap" tabindex={0} aria-label="Settings changes">
            <table>
              <caption class="visually-hidden">Settings changes, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Area</th>
                  <th scope="col">What</th>
                </tr>
              </thead>
              <tbody>
                {page.rows.map((r) => (
                  <tr>
                    <td>
                      <time datetime={r.created_at}>{localTime(r.created_at, timezone)}</time>
                    </td>
                    <td>{r.via === 'cli' ? 'command line' : r.actor}</td>
                    <td>{r.action}</td>
                    <td>{r.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
        <TimesIn timeZone={timezone} />
        <p class="actions">
          {before !== undefined ? <a href="/settings/audit">Newest</a> : null}
          {page.next !== undefined ? <a href={`/settings/audit?before=${page.next}`}>Older</a> : null}
        </p>
      </>,
    )
  })
}
