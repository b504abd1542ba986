import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { AppError } from '../../core/errors.ts'
import { email as emailField } from '../../core/fields.ts'
import type { Role } from '../../db/schema.ts'
import type { AppDeps, AppEnv } from '../../http/context.ts'
import { createInvite } from '../../sessions/service.ts'
import { assertMayGrant, changeRole, listMembers, ROLES, removeMember } from '../../users/service.ts'
import { localTime, TimesIn } from '../pieces.tsx'
import { act, confirmPage, type Flash, form, publicOrigin, settingsPage } from './frame.tsx'

// The team: members and their roles, invites, role changes and removal. The rules (who may give
// which role, the last owner stays) are users/service.ts's; see docs/decisions.md.

/** The roles this person may hand out: an admin never makes an owner. */
const grantable = (role: Role) => ROLES.filter((r) => r !== 'owner' || role === 'owner')

export function teamPages(deps: AppDeps) {
  async function render(c: Context<AppEnv>, flash: Flash = {}, link?: string) {
    const member = c.get('member')
    // One organization's members: a short read on the main connection.
    const team = await listMembers(deps.store.db, member.organization.id)
    return settingsPage(
      c,
      'Team',
      flash,
      <>
        <p>
          Owners and admins manage Settings; members (setters) work the leads. Only an owner can make or change an owner, and the last owner
          cannot be removed or demoted.
        </p>
        {link ? (
          <section aria-labelledby="invite-link-heading" class="settings-form">
            <h2 id="invite-link-heading">Invite link</h2>
            <p>Pass this one-time link on (it works once, for 7 days):</p>
            <code id="invite-link" class="secret link">
              {link}
            </code>
            <p class="actions">
              <button type="button" class="secondary" data-copy="invite-link" hidden>
                Copy link
              </button>
            </p>
          </section>
        ) : null}
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Members</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Member since</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {team.map((m) => {
                const mayManage = m.role !== 'owner' || member.role === 'owner'
                return (
                  <tr>
                    <td>{m.email}</td>
                    <td>{m.name ?? ''}</td>
                    <td>{m.role}</td>
                    <td>{localTime(m.created_at, member.organization.timezone)}</td>
                    <td>
                      {mayManage ? (
                        <div class="actions">
                          <form method="post" action={`/settings/team/${m.id}/role`}>
                            <div class="field">
                              <label for={`role-${m.id}`}>
                                Role<span class="visually-hidden"> of {m.email}</span>
                              </label>
                              <select id={`role-${m.id}`} name="role">
                                {grantable(member.role).map((r) => (
                                  <option value={r} selected={r === m.role}>
                                    {r}
                                  </option>
                                ))}
                              </select>
                            </div>
                            <button type="submit" class="secondary">
                              Change role<span class="visually-hidden"> of {m.email}</span>
                            </button>
                          </form>
                          <form method="post" action={`/settings/team/${m.id}/remove`}>
                            <button type="submit" class="danger">
                              Remove<span class="visually-hidden"> {m.email}</span>
                            </button>
                          </form>
                        </div>
                      ) : (
                        <span class="meta">Only an owner can change an owner</span>
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
        <TimesIn timeZone={member.organization.timezone} />
        <section aria-labelledby="invite-heading" class="settings-form">
          <h2 id="invite-heading">Invite someone</h2>
          <form method="post" action="/settings/invite" class="filters">
            <div class="field">
              <label for="invite-email">Email</label>
              <input id="invite-email" name="email" type="email" required />
            </div>
            <div class="field">
              <label for="invite-role">Role</label>
              <select id="invite-role" name="role">
                {grantable(member.role).map((r) => (
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
    .get('/settings/team', (c) => render(c))
    .post('/settings/invite', async (c) => {
      const member = c.get('member')
      const f = await form(deps, c)
      const role = f.role ?? 'member'
      const { flash, result } = await act(
        deps,
        c,
        'team',
        async (trx, org) => {
          const email = v.safeParse(emailField, f.email ?? '')
          if (!email.success) throw new AppError('validation', 'Enter a valid email address to invite')
          assertMayGrant(member.role, role)
          const token = await createInvite(trx, { email: email.output, organizationId: org, role }, deps.now())
          return { email: email.output, role, token }
        },
        (invite) => `Invited ${invite.email} as ${invite.role}`,
      )
      return render(c, flash, result ? `${publicOrigin(deps, c)}/invite/${result.token}` : undefined)
    })
    .post('/settings/team/:userId/role', async (c) => {
      const f = await form(deps, c)
      const { flash } = await act(
        deps,
        c,
        'team',
        (trx, org) => changeRole(trx, c.get('member').role, org, c.req.param('userId'), f.role ?? ''),
        (r) => `Changed the role of ${r.email} from ${r.from} to ${r.to}`,
      )
      return render(c, flash)
    })
    .post('/settings/team/:userId/remove', async (c) => {
      const f = await form(deps, c)
      const userId = c.req.param('userId')
      if (f.confirmed !== 'yes') {
        const target = (await listMembers(deps.store.db, c.get('member').organization.id)).find((m) => m.id === userId)
        if (!target) return render(c, { error: 'That person is not a member of this organization', status: 404 })
        return confirmPage(c, 'Team', {
          question: `Remove ${target.email} from ${c.get('member').organization.name}?`,
          detail: 'They can no longer open this organization in the app. Their past work stays recorded.',
          action: `/settings/team/${userId}/remove`,
          fields: {},
          button: 'Remove member',
          back: '/settings/team',
        })
      }
      const { flash } = await act(
        deps,
        c,
        'team',
        (trx, org) => removeMember(trx, c.get('member').role, org, userId),
        (r) => `Removed ${r.email} (${r.role})`,
      )
      return render(c, flash)
    })
}
