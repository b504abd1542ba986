import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { email as emailField } from '../core/fields.ts'
import type { Role } from '../db/schema.ts'
import { readForm } from '../http/body.ts'
import type { AppDeps, AppEnv } from '../http/context.ts'
import { createInvite } from '../sessions/service.ts'
import { ROLES } from '../users/service.ts'
import { Notice, renderPage } from './layout.tsx'
import { sameOrigin } from './security.ts'

/** Settings (owners and admins only, see ROUTE_ACCESS): the team and invites. Part 2 adds the rest. */
export function settingsPages(deps: AppDeps) {
  const { store } = deps

  async function render(c: Context<AppEnv>, extra: { link?: string; error?: string; status?: number } = {}) {
    const member = c.get('member')
    // One organization's members: a short read on the main connection.
    const team = await store.db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.email', 'u.name', 'm.role'])
      .where('m.organization_id', '=', member.organization.id)
      .orderBy('u.email')
      .execute()
    return renderPage(
      c,
      { title: 'Settings', current: 'Settings', status: extra.status },
      <>
        <h1>Settings</h1>
        <section aria-labelledby="team-heading">
          <h2 id="team-heading">Team</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                </tr>
              </thead>
              <tbody>
                {team.map((m) => (
                  <tr>
                    <td>{m.email}</td>
                    <td>{m.name ?? ''}</td>
                    <td>{m.role}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>Invite someone</h3>
          {extra.error ? <Notice kind="error">{extra.error}</Notice> : null}
          {extra.link ? (
            <Notice kind="ok">
              Invite created. Pass this one-time link on (it works once, for 7 days):
              <code class="link">{extra.link}</code>
            </Notice>
          ) : null}
          <form method="post" action="/settings/invite" class="filters">
            <div class="field">
              <label for="invite-email">Email</label>
              <input id="invite-email" name="email" type="email" required />
            </div>
            <div class="field">
              <label for="invite-role">Role</label>
              <select id="invite-role" name="role">
                {ROLES.filter((r) => r !== 'owner' || member.role === 'owner').map((r) => (
                  <option value={r}>{r}</option>
                ))}
              </select>
            </div>
            <button type="submit">Invite</button>
          </form>
        </section>
      </>,
    )
  }

  return new Hono<AppEnv>()
    .get('/settings', (c) => render(c))
    .post('/settings/invite', sameOrigin(), async (c) => {
      const member = c.get('member')
      const form = await readForm(c, deps.config.bodyLimitBytes)
      const email = v.safeParse(emailField, form.email ?? '')
      const role = (form.role ?? 'member') as Role
      // An admin may invite members and admins; only an owner makes another owner.
      if (!email.success) return render(c, { error: 'Enter a valid email address', status: 400 })
      if (!ROLES.includes(role) || (role === 'owner' && member.role !== 'owner'))
        return render(c, { error: 'Pick a role you may give', status: 403 })
      const token = await store.write((trx) =>
        createInvite(trx, { email: email.output, organizationId: member.organization.id, role }, deps.now()),
      )
      return render(c, { link: `${new URL(c.req.url).origin}/invite/${token}` })
    })
}
