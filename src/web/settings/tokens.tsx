import { type Context, Hono } from 'hono'
import { isoTime } from '../../core/time.ts'
import type { AppDeps, AppEnv } from '../../http/context.ts'
import { curlExample } from '../../tokens/curl.ts'
import { type CreatedToken, createToken, describeToken, listTokens, revokeToken } from '../../tokens/service.ts'
import { localTime } from '../pieces.tsx'
import { act, confirmPage, type Flash, form, publicOrigin, settingsPage } from './frame.tsx'

// API tokens: the same service as `dmtracker token ...`. A new token is shown once, on the page
// that answers its creation, and never stored.

export function tokenPages(deps: AppDeps) {
  async function render(c: Context<AppEnv>, flash: Flash = {}, created?: CreatedToken) {
    const { id: organizationId, timezone } = c.get('member').organization
    const tokens = await listTokens(deps.store.db, organizationId)
    const curl = created ? curlExample(organizationId, created.token, publicOrigin(deps, c)) : ''
    return settingsPage(
      c,
      'API tokens',
      flash,
      <>
        {created ? (
          <section aria-labelledby="new-token-heading" class="settings-form">
            <h2 id="new-token-heading">Your new token</h2>
            <p>Copy it now: it is shown only this once. Paste it where a tool sends the x-org-auth-token header.</p>
            <code id="new-token" class="secret">
              {created.token}
            </code>
            <p class="actions">
              <button type="button" class="secondary" data-copy="new-token" hidden>
                Copy token
              </button>
            </p>
            <p>Try it (records a test reply from @john_doe):</p>
            <code id="new-token-curl" class="secret">
              {curl}
            </code>
            <p class="actions">
              <button type="button" class="secondary" data-copy="new-token-curl" hidden>
                Copy curl command
              </button>
            </p>
          </section>
        ) : null}
        <p>
          Tools that call the API (ManyChat, Zapier, n8n, scripts) send a token in the <code>x-org-auth-token</code> header. Give each tool
          its own token, so you can revoke one without breaking the others.
        </p>
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">API tokens</caption>
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">State</th>
                <th scope="col">Starts with</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr>
                  <td>{t.label ?? '(no label)'}</td>
                  <td>
                    {t.revoked_at ? (
                      `Revoked ${localTime(t.revoked_at, timezone)}`
                    ) : (
                      <form method="post" action={`/settings/tokens/${t.id}/revoke`}>
                        <button type="submit" class="danger">
                          Revoke<span class="visually-hidden"> {t.label ?? t.display_prefix}</span>
                        </button>
                      </form>
                    )}
                  </td>
                  <td>
                    <code>{t.display_prefix}…</code>
                  </td>
                  <td>{localTime(t.created_at, timezone)}</td>
                  <td>{t.last_used_at ? localTime(t.last_used_at, timezone) : 'never'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="meta">Times in {timezone}. Last use is saved about once a minute.</p>
        <section aria-labelledby="create-token-heading" class="settings-form">
          <h2 id="create-token-heading">Create a token</h2>
          <form method="post" action="/settings/tokens" class="filters">
            <div class="field">
              <label for="token-label">Label</label>
              <input id="token-label" name="label" type="text" maxlength={100} placeholder="e.g. manychat" />
            </div>
            <button type="submit">Create token</button>
          </form>
        </section>
      </>,
    )
  }

  return new Hono<AppEnv>()
    .get('/settings/tokens', (c) => render(c))
    .post('/settings/tokens', async (c) => {
      const f = await form(deps, c)
      const label = f.label?.trim().slice(0, 100) || null
      const { flash, result } = await act(
        deps,
        c,
        'token',
        (trx, org) => createToken(trx, org, label, isoTime(deps.now())),
        (t) => describeToken('Created', t),
      )
      return render(c, flash, result)
    })
    .post('/settings/tokens/:id/revoke', async (c) => {
      const f = await form(deps, c)
      const id = c.req.param('id')
      if (f.confirmed !== 'yes') {
        const token = (await listTokens(deps.store.db, c.get('member').organization.id)).find((t) => t.id === id && !t.revoked_at)
        if (!token) return render(c, { error: 'No active token with that id', status: 404 })
        return confirmPage(c, 'API tokens', {
          question: `Revoke the token ${token.display_prefix}…${token.label ? ` (${token.label})` : ''}?`,
          detail: 'Anything that uses it gets a 401 from then on. This cannot be undone.',
          action: `/settings/tokens/${id}/revoke`,
          fields: {},
          button: 'Revoke token',
          back: '/settings/tokens',
        })
      }
      const { flash } = await act(
        deps,
        c,
        'token',
        (trx, org) => revokeToken(trx, id, isoTime(deps.now()), org),
        (t) => describeToken('Revoked', t),
      )
      return render(c, flash)
    })
}
