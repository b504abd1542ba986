import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../../http/context.ts'
import { localTime } from '../pieces.tsx'
import { publicOrigin, settingsPage } from './frame.tsx'

// ManyChat: what to paste into the External Request step, exactly as docs/manychat.md describes
// it, filled in for this organization and this server's address.

/** docs/manychat.md's body template; FULL_CONTACT_DATA stands where ManyChat's variable goes, unquoted. */
export function manychatBody(organizationId: string): string {
  return [
    '{',
    '  "manychat_id": "{{subscriber_id}}",',
    '  "username": "{{instagram_username}}",',
    `  "organization_id": "${organizationId}",`,
    '  "page_name": "{{page_name}}",',
    '  "manychat_data": FULL_CONTACT_DATA',
    '}',
  ].join('\n')
}

export function manychatPages(deps: AppDeps) {
  return new Hono<AppEnv>().get('/settings/manychat', async (c) => {
    const org = c.get('member').organization
    const url = `${publicOrigin(deps, c)}/api/v1/contact/default-reply`
    const last = await deps.manychat.latest(deps.store.db, org.id)
    return settingsPage(
      c,
      'ManyChat',
      {},
      <>
        <section aria-labelledby="last-call-heading" class="settings-form">
          <h2 id="last-call-heading">Last webhook received</h2>
          {last ? (
            <dl class="facts">
              <dt>When</dt>
              <dd>
                <time datetime={last.received_at}>{localTime(last.received_at, org.timezone)}</time> ({org.timezone})
              </dd>
              <dt>Result</dt>
              <dd>
                {last.status_code < 300 ? 'OK' : 'Refused'} (HTTP {last.status_code}): {last.result}
              </dd>
            </dl>
          ) : (
            <p>None yet. Once ManyChat calls this server, the time and result show here.</p>
          )}
        </section>
        <dl class="facts">
          <dt>Organization id</dt>
          <dd>
            <code>{org.id}</code>
          </dd>
          <dt>Page name</dt>
          <dd>{org.page_name ?? '(none yet: a reply that carries page_name stores it)'}</dd>
        </dl>
        <h2>The External Request step</h2>
        <p>
          In ManyChat, add an <strong>Action</strong> step, <strong>Dev Tools</strong>, <strong>External Request</strong>, to the automation
          that runs when a subscriber replies (usually the Instagram <strong>Default Reply</strong>). ManyChat calls this server from the
          internet, so the address below must be public and HTTPS (a tunnel or your reverse proxy; see the ManyChat guide in
          docs/manychat.md).
        </p>
        <dl class="facts">
          <dt>Request type</dt>
          <dd>
            <code>POST</code>
          </dd>
          <dt>Request URL</dt>
          <dd>
            <code id="manychat-url" class="secret">
              {url}
            </code>
            <button type="button" class="secondary" data-copy="manychat-url" hidden>
              Copy URL
            </button>
          </dd>
          <dt>Header</dt>
          <dd>
            <code>x-org-auth-token</code> with one of your tokens as its value (create one named "manychat" under{' '}
            <a href="/settings/tokens">API tokens</a>). No Content-Type header is needed.
          </dd>
          <dt>Body (JSON)</dt>
          <dd>
            <code id="manychat-body" class="secret">
              {manychatBody(org.id)}
            </code>
            <button type="button" class="secondary" data-copy="manychat-body" hidden>
              Copy body
            </button>
          </dd>
        </dl>
        <p>
          Insert each <code>{'{{...}}'}</code> variable with ManyChat's variable picker, and in place of <code>FULL_CONTACT_DATA</code> (no
          quotes around it) insert the <strong>Full Contact Data</strong> variable: the reply travels inside it, JSON-encoded by ManyChat,
          so quotes, line breaks and emoji arrive intact. Leave <code>page_name</code> out if your page's name contains a double quote. Then
          press <strong>Test the request</strong>: the answer should be status 200 with "Contact processed successfully".
        </p>
      </>,
    )
  })
}
