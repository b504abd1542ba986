import type { Context } from 'hono'
import type { Child } from 'hono/jsx'
import type { AppEnv, Member } from '../http/context.ts'
import { CSS_URL, JS_URL } from './assets.ts'
import { pageHeaders } from './security.ts'

type NavName = 'Follow-ups' | 'Pipeline' | 'Contacts' | 'Settings'

const NAV: { name: NavName; href: string; adminOnly?: boolean }[] = [
  { name: 'Follow-ups', href: '/follow-ups' },
  { name: 'Pipeline', href: '/pipeline' },
  { name: 'Contacts', href: '/contacts' },
  { name: 'Settings', href: '/settings', adminOnly: true },
]

function Head({ title }: { title: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · DmTracker`}</title>
      <link rel="stylesheet" href={CSS_URL} />
      <script src={JS_URL} defer></script>
    </head>
  )
}

/** Navigation, the organization (a switcher when there are several) and Sign out. */
function TopBar({ member, current }: { member: Member; current?: NavName }) {
  return (
    <header class="top">
      <nav aria-label="Main">
        <ul>
          {NAV.filter((item) => !item.adminOnly || member.role !== 'member').map((item) => (
            <li>
              <a href={item.href} aria-current={item.name === current ? 'page' : undefined}>
                {item.name}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <span class="spacer"></span>
      {member.organizations.length > 1 ? (
        <form method="post" action="/organization" class="org">
          <label for="organization-switch" class="visually-hidden">
            Organization
          </label>
          <select id="organization-switch" name="organization_id">
            {member.organizations.map((o) => (
              <option value={o.id} selected={o.id === member.organization.id}>
                {o.name}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary">
            Switch
          </button>
        </form>
      ) : (
        <span class="org">{member.organization.name}</span>
      )}
      <form method="post" action="/logout">
        <button type="submit">Sign out</button>
      </form>
    </header>
  )
}

/** A whole page for a signed-in person. */
export function renderPage(c: Context<AppEnv>, options: { title: string; current?: NavName; status?: number }, body: Child) {
  pageHeaders(c)
  const member = c.get('member')
  return c.html(
    '<!doctype html>' +
      (
        <html lang="en">
          <Head title={options.title} />
          <body>
            <a class="skip" href="#main">
              Skip to content
            </a>
            {member ? <TopBar member={member} current={options.current} /> : null}
            <main id="main">
              {body}
              <p id="status" class="visually-hidden" role="status" aria-live="polite"></p>
            </main>
          </body>
        </html>
      ).toString(),
    (options.status ?? 200) as 200,
  )
}

export function Notice({ kind, children }: { kind: 'error' | 'ok'; children: Child }) {
  return (
    <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  )
}
