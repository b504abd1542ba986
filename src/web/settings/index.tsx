import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../../http/context.ts'
import { sameOrigin } from '../security.ts'
import { SETTINGS_CSS, SETTINGS_JS } from './assets.ts'
import { auditPages } from './audit.tsx'
import { automationPages } from './automations.tsx'
import { followUpPages } from './follow-ups.tsx'
import { SECTIONS, settingsPage } from './frame.tsx'
import { manychatPages } from './manychat.tsx'
import { stagePages } from './stages.tsx'
import { teamPages } from './team.tsx'
import { tokenPages } from './tokens.tsx'
import { webhookPages } from './webhooks.tsx'

// Settings: owners and admins only, checked on the server for every route (ROUTE_ACCESS has each
// as session-admin); every POST goes through the web app's same-origin check (web/routes.tsx).

const ASSET_HEADERS = { 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' }

const WHAT: Record<(typeof SECTIONS)[number]['name'], string> = {
  'Pipeline stages': 'Add, rename, recolour, reorder and remove the stages of the pipeline.',
  'Smart automations': 'Rules that set a lead status when a contact enters a stage, or move it when its status changes.',
  'Follow-ups': 'The time zone of the Follow-Up Board and the days between follow-ups.',
  'API tokens': 'Tokens for ManyChat, Zapier, n8n and scripts: create, see their last use, revoke.',
  Team: 'Members and their roles, invites, role changes.',
  ManyChat: 'What to paste into ManyChat, and the last webhook it sent.',
  Webhooks: 'Signed notifications to Slack, n8n or your CRM when contacts change.',
  'Audit log': 'Who changed which setting, and when.',
}

export function settingsPages(deps: AppDeps) {
  const routes = new Hono<AppEnv>()
    // Every settings form: sent from one of our own pages (cross-site request forgery).
    .use('/settings/*', sameOrigin())
    .get('/assets/settings.css', (c) => c.body(SETTINGS_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', ...ASSET_HEADERS }))
    .get('/assets/settings.js', (c) => c.body(SETTINGS_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', ...ASSET_HEADERS }))
    .get('/settings', (c) =>
      settingsPage(
        c,
        'Settings',
        {},
        <ul class="settings-list">
          {SECTIONS.map((s) => (
            <li>
              <h2>
                <a href={s.path}>{s.name}</a>
              </h2>
              <p>{WHAT[s.name]}</p>
            </li>
          ))}
        </ul>,
      ),
    )
  for (const pages of [stagePages, automationPages, followUpPages, tokenPages, teamPages, manychatPages, webhookPages, auditPages])
    routes.route('/', pages(deps))
  return routes
}
