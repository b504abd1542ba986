// Settings in a real browser (playwright-core + Debian's chromium, axe-core on every page): each
// section's actions as an owner or admin would do them, the hosted product's "manage your pipeline
// stages" steps (add, rename, colour, reorder, delete with move), the role matrix, the phone width.
// Screenshots go to test-screenshots/ (git-ignored).

import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { runtime } from '#runtime'
import { type App, createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'
import { openStore, type Store } from '../../src/db/open.ts'
import { createOrganization } from '../../src/organizations/service.ts'
import { hashPassword } from '../../src/sessions/password.ts'
import { setPasswordHash } from '../../src/sessions/service.ts'
import { addUser } from '../../src/users/service.ts'
import { SECTIONS } from '../../src/web/settings/frame.tsx'
import { assertAccessible, launchChromium, SHOTS, shot } from './kit.ts'

const PASSWORD = 'correct horse battery'

describe('settings in a browser', () => {
  let dir: string
  let store: Store
  let app: App
  let server: { port: number; stop(): Promise<void> }
  let browser: Browser
  let base: string
  let org: { id: string; token: string }

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const json = (await res.json()) as any
    assert.ok(res.ok, JSON.stringify(json))
    return json
  }
  const stageOrder = async () =>
    (
      await store.db
        .selectFrom('pipeline_stages')
        .select(['name', 'color'])
        .where('organization_id', '=', org.id)
        .orderBy('position')
        .execute()
    ).map((s) => s.name)

  async function user(email: string, role: 'owner' | 'admin' | 'member') {
    const hash = await hashPassword(PASSWORD)
    await store.write(async (trx) => {
      const u = await addUser(trx, { email, organizationId: org.id, role }, new Date().toISOString())
      await setPasswordHash(trx, u.id, hash)
    })
  }

  async function signedIn(email: string, width = 1280, height = 900) {
    const context = await browser.newContext({ viewport: { width, height } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base })
    const page = await context.newPage()
    await page.goto(`${base}/login`)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/follow-ups$/)
    return { context, page }
  }

  const notice = (page: Page) => page.locator('main .notice').first()
  const stageItem = (page: Page, name: string) =>
    page.getByRole('list', { name: 'Stages in pipeline order' }).getByRole('listitem', { name: new RegExp(`^${name} `) })

  before(async () => {
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-settings-'))
    store = openStore(join(dir, 'web.db'))
    await migrateToLatest(store.db)
    const made = await store.write((trx) => createOrganization(trx, { name: 'Acme Agency', pageName: 'acme' }, new Date().toISOString()))
    org = { id: made.id, token: made.token.token }
    app = createApp({ store, config: { ...loadConfig({}, {}), dbPath: join(dir, 'web.db') } })
    server = await runtime.listen(app.fetch, { hostname: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${server.port}`
    browser = await launchChromium()
    await user('owner@acme.test', 'owner')
    await user('admin@acme.test', 'admin')
    await user('setter@acme.test', 'member')
    for (const username of ['ivy_interested', 'ian_interested']) {
      const reply = await api('POST', '/api/v1/contact/default-reply', {
        organization_id: org.id,
        manychat_id: `mc_${username}`,
        username,
        message_content: 'hi',
      })
      await api('PATCH', '/api/v1/contact/contact-status', {
        contact_id: reply.data.id,
        organization_id: org.id,
        pipeline_stage: 'Interested',
      })
    }
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    await app?.close()
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('follows the pipeline-stages steps: add, rename, colour, reorder by button, keyboard and drag, delete with move', async () => {
    const { context, page } = await signedIn('owner@acme.test')
    await page.getByRole('link', { name: 'Settings', exact: true }).click()
    await page.getByRole('link', { name: 'Pipeline stages' }).first().click()
    await page.getByRole('heading', { name: 'Pipeline stages', level: 1 }).waitFor()
    await assertAccessible(page, 'settings-stages')
    // Add a stage with a colour from the palette.
    const add = page.getByRole('region', { name: 'Add a stage' })
    await add.getByLabel('Name').fill('Qualified')
    await add.getByLabel('Colour').selectOption('teal')
    await add.getByRole('button', { name: 'Add stage' }).click()
    await notice(page).getByText('Added stage "Qualified" at position 7').waitFor()
    // A duplicate name is refused with a message on the page.
    await add.getByLabel('Name').fill('qualified')
    await add.getByRole('button', { name: 'Add stage' }).click()
    await page.getByRole('alert').getByText('A stage named "Qualified" already exists').waitFor()
    // Rename and recolour.
    await stageItem(page, 'Qualified').getByLabel('New name').fill('Hot Lead')
    await stageItem(page, 'Qualified').getByRole('button', { name: 'Rename' }).click()
    await notice(page).getByText('Renamed stage "Qualified" to "Hot Lead"').waitFor()
    await stageItem(page, 'Hot Lead').getByLabel('Colour').selectOption('rose')
    await stageItem(page, 'Hot Lead').getByRole('button', { name: 'Save colour' }).click()
    await notice(page).getByText('Recoloured stage "Hot Lead"').waitFor()
    assert.equal(await stageItem(page, 'Hot Lead').locator('svg rect').getAttribute('fill'), '#e11d48')
    // Reorder: Move up with the mouse, then with the keyboard.
    await stageItem(page, 'Hot Lead').getByRole('button', { name: 'Move up' }).click()
    await notice(page).getByText('Moved stage "Hot Lead" to position 6').waitFor()
    await stageItem(page, 'Hot Lead').getByRole('button', { name: 'Move up' }).focus()
    await page.keyboard.press('Enter')
    await notice(page).getByText('Moved stage "Hot Lead" to position 5').waitFor()
    assert.deepEqual((await stageOrder()).slice(3, 6), ['Meeting Booked', 'Hot Lead', 'Closed'])
    // Drag "Hot Lead" onto the stage above it: the small script posts the same move, no reload.
    await stageItem(page, 'Hot Lead').locator('h3').dragTo(stageItem(page, 'Meeting Booked').locator('h3'))
    await notice(page).getByText('Moved stage "Hot Lead" to position 4').waitFor()
    assert.deepEqual((await stageOrder()).slice(3, 5), ['Hot Lead', 'Meeting Booked'])
    await page.getByRole('list', { name: 'Stages in pipeline order' }).getByRole('listitem').nth(3).getByText('Hot Lead').first().waitFor()
    await shot(page, 'settings-stages')
    // Delete a stage that holds contacts: pick where they go, confirm.
    await stageItem(page, 'Interested').getByLabel('Move its contacts to').selectOption('Hot Lead')
    await stageItem(page, 'Interested').getByRole('button', { name: 'Remove' }).click()
    await page.getByRole('heading', { name: 'Remove the stage "Interested"?' }).waitFor()
    await page.getByText('Its 2 contact(s) move to "Hot Lead"').waitFor()
    await assertAccessible(page, 'settings-confirm')
    await page.getByRole('button', { name: 'Remove stage' }).click()
    await notice(page).getByText('Removed stage "Interested"; moved 2 contact(s) to "Hot Lead"').waitFor()
    assert.ok(!(await stageOrder()).includes('Interested'))
    const moved = await api('GET', '/api/v1/contacts?stage=Hot%20Lead')
    assert.equal(moved.data.length, 2)
    await context.close()
  })

  it('adds, disables, enables and removes a smart automation, and sets the follow-up time zone and cadence', async () => {
    const { context, page } = await signedIn('admin@acme.test')
    await page.goto(`${base}/settings/automations`)
    await assertAccessible(page, 'settings-automations')
    await page.getByLabel('When the stage becomes').selectOption('Closed')
    await page.getByLabel('Set the status to').selectOption('won')
    await page.getByRole('button', { name: 'Add rule' }).first().click()
    await notice(page).getByText('Added automation rule #1: when the stage becomes "Closed", set the status to won').waitFor()
    await page.getByRole('button', { name: 'Disable rule #1' }).click()
    await notice(page).getByText('Disabled automation rule #1').waitFor()
    await page.getByRole('button', { name: 'Enable rule #1' }).click()
    await notice(page).getByText('Enabled automation rule #1').waitFor()
    await shot(page, 'settings-automations')
    // The rule runs on a stage change made through the API.
    const contact = (await api('GET', '/api/v1/contacts?stage=Hot%20Lead')).data[0]
    await api('PATCH', '/api/v1/contact/contact-status', { contact_id: contact.id, organization_id: org.id, pipeline_stage: 'Closed' })
    assert.equal((await api('GET', `/api/v1/contacts/${contact.id}`)).data.lead_status, 'won')
    await page.getByRole('button', { name: 'Remove rule #1' }).click()
    await page.getByRole('button', { name: 'Remove rule' }).click()
    await notice(page).getByText('Removed automation rule #1').waitFor()
    await page.getByText('No rules yet.').waitFor()

    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Follow-ups' }).click()
    await assertAccessible(page, 'settings-follow-ups')
    await page.getByLabel('Time zone').selectOption('America/New_York')
    await page.getByLabel('Cadence').fill('1d,2d,5d')
    await page.getByRole('button', { name: 'Save follow-up settings' }).click()
    await notice(page).getByText('Follow-ups: time zone America/New_York, cadence 1d,2d,5d').waitFor()
    await page.getByLabel('Cadence').fill('tomorrow')
    await page.getByRole('button', { name: 'Save follow-up settings' }).click()
    await page
      .getByRole('alert')
      .getByText(/cadence "tomorrow" must be/)
      .waitFor()
    await shot(page, 'settings-follow-ups')
    await context.close()
  })

  it('creates an API token shown once with a copy button and a curl line, then revokes it after confirming', async () => {
    const { context, page } = await signedIn('owner@acme.test')
    await page.goto(`${base}/settings/tokens`)
    await assertAccessible(page, 'settings-tokens')
    await page.getByLabel('Label').fill('zapier')
    await page.getByRole('button', { name: 'Create token' }).click()
    const token = ((await page.locator('#new-token').textContent()) ?? '').trim()
    assert.match(token, /^dmt_/)
    assert.match((await page.locator('#new-token-curl').textContent()) ?? '', new RegExp(`${base}/api/v1/contact/default-reply .*${token}`))
    await page.getByRole('button', { name: 'Copy token' }).click()
    await page.locator('#status').getByText('Copied').waitFor()
    assert.equal(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText()), token)
    await shot(page, 'settings-tokens')
    await page.goto(`${base}/settings/tokens`)
    assert.equal(await page.getByText(token).count(), 0, 'shown only once')
    const res = await fetch(`${base}/api/v1/contacts`, { headers: { 'x-org-auth-token': token } })
    assert.equal(res.status, 200)
    await page.getByRole('button', { name: 'Revoke zapier' }).click()
    await page.getByRole('heading', { name: /Revoke the token dmt_.*\(zapier\)\?/ }).waitFor()
    await page.getByRole('button', { name: 'Revoke token' }).click()
    await notice(page)
      .getByText(/Revoked token dmt_.* \(zapier\)/)
      .waitFor()
    assert.equal((await fetch(`${base}/api/v1/contacts`, { headers: { 'x-org-auth-token': token } })).status, 401)
    await context.close()
  })

  it('manages the team: invite with a link, change a role, remove; an admin cannot make an owner', async () => {
    const { context, page } = await signedIn('admin@acme.test')
    await page.goto(`${base}/settings/team`)
    await assertAccessible(page, 'settings-team')
    const roles = await page.getByLabel('Role', { exact: true }).locator('option').allTextContents()
    assert.deepEqual(roles, ['member', 'admin'], "no owner among an admin's choices")
    await page.getByText('Only an owner can change an owner').waitFor()
    await page.getByLabel('Email').fill('new.setter@acme.test')
    await page.getByRole('button', { name: 'Invite' }).click()
    await page
      .locator('#invite-link')
      .getByText(/\/invite\/[\w-]{43}$/)
      .waitFor()
    await page.getByLabel('Role of setter@acme.test').selectOption('admin')
    await page.getByRole('button', { name: 'Change role of setter@acme.test' }).click()
    await notice(page).getByText('Changed the role of setter@acme.test from member to admin').waitFor()
    await page.getByLabel('Role of setter@acme.test').selectOption('member')
    await page.getByRole('button', { name: 'Change role of setter@acme.test' }).click()
    await notice(page).getByText('from admin to member').waitFor()
    await shot(page, 'settings-team')
    await user('leaver@acme.test', 'member')
    await page.reload()
    await page.getByRole('button', { name: 'Remove leaver@acme.test' }).click()
    await page.getByRole('button', { name: 'Remove member' }).click()
    await notice(page).getByText('Removed leaver@acme.test (member)').waitFor()
    await context.close()
  })

  it("shows ManyChat's request filled in for this server, and the last webhook received", async () => {
    await api('POST', '/api/v1/contact/default-reply', {
      organization_id: org.id,
      manychat_id: 'mc_mia',
      username: 'mia',
      message_content: 'hello',
    })
    const { context, page } = await signedIn('owner@acme.test')
    await page.goto(`${base}/settings/manychat`)
    await assertAccessible(page, 'settings-manychat')
    assert.equal(((await page.locator('#manychat-url').textContent()) ?? '').trim(), `${base}/api/v1/contact/default-reply`)
    assert.match((await page.locator('#manychat-body').textContent()) ?? '', new RegExp(`"organization_id": "${org.id}"`))
    await page.getByText('OK (HTTP 200): Contact processed successfully').waitFor()
    await shot(page, 'settings-manychat')
    await context.close()
  })

  it('adds a webhook (secret shown once), lists it and removes it; the audit log shows who did what', async () => {
    const { context, page } = await signedIn('owner@acme.test')
    await page.goto(`${base}/settings/webhooks`)
    await assertAccessible(page, 'settings-webhooks')
    await page.getByLabel('URL').fill('not a url')
    await page.getByLabel('URL').evaluate((input: any) => {
      input.type = 'text' // past the browser's own check, to see the server's
    })
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    await page.getByRole('alert').waitFor()
    await page.getByLabel('URL').fill('https://hooks.example.com/dmtracker')
    await page.getByLabel('contact.stage_changed').check()
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    await notice(page).getByText('Added webhook endpoint https://hooks.example.com/dmtracker (contact.stage_changed)').waitFor()
    assert.match(((await page.locator('#webhook-secret').textContent()) ?? '').trim(), /^whsec_/)
    await page.getByText('Enabled', { exact: true }).waitFor()
    await assertAccessible(page, 'settings-webhooks-added')
    await shot(page, 'settings-webhooks')
    await page.getByRole('link', { name: 'Deliveries to https://hooks.example.com/dmtracker' }).click()
    await page.getByText('No deliveries yet.').waitFor()
    await page.getByRole('link', { name: 'Back to the endpoints' }).click()
    await page.getByRole('button', { name: 'Remove https://hooks.example.com/dmtracker' }).click()
    await page.getByRole('button', { name: 'Remove endpoint' }).click()
    await notice(page).getByText('Removed webhook endpoint https://hooks.example.com/dmtracker').waitFor()

    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Audit log' }).click()
    await assertAccessible(page, 'settings-audit')
    const first = page.locator('tbody tr').first()
    await first.getByText('Removed webhook endpoint https://hooks.example.com/dmtracker').waitFor()
    await first.getByText('owner@acme.test').waitFor()
    await page.getByText('Renamed stage "Qualified" to "Hot Lead"').waitFor()
    await shot(page, 'settings-audit')
    await page.goto(`${base}/settings`)
    await assertAccessible(page, 'settings')
    await shot(page, 'settings')
    await context.close()
  })

  it('keeps a member out of every settings page, and hides the Settings link', async () => {
    const { context, page } = await signedIn('setter@acme.test')
    assert.equal(await page.getByRole('link', { name: 'Settings' }).count(), 0)
    for (const path of ['/settings', ...SECTIONS.map((s) => s.path)]) {
      const res = await page.goto(`${base}${path}`)
      assert.equal(res?.status(), 403, path)
      await page.getByText('Only owners and admins').waitFor()
    }
    await assertAccessible(page, 'settings-403')
    await context.close()
  })

  it('works at phone width (375 px) on every settings page: no sideways scrolling, accessible', async () => {
    const { context, page } = await signedIn('owner@acme.test', 375, 800)
    for (const section of SECTIONS) {
      await page.goto(`${base}${section.path}`)
      await assertAccessible(page, `${section.path} (phone)`)
      const overflow = await page.evaluate(() => {
        const doc = (globalThis as any).document
        const width = doc.documentElement.clientWidth
        const wide = [...doc.querySelectorAll('body *')].filter(
          (e: any) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > width + 1,
        )
        return { by: doc.documentElement.scrollWidth - width, wide: wide.slice(0, 3).map((e: any) => String(e.outerHTML).slice(0, 80)) }
      })
      assert.ok(overflow.by <= 0, `${section.path} scrolls sideways by ${overflow.by}px: ${overflow.wide.join(' | ')}`)
      await shot(page, `${section.path.slice(1).replace('/', '-')}-phone`)
    }
    // A touch-sized control: the stage buttons are at least 44 px high.
    await page.goto(`${base}/settings/stages`)
    const box = await page
      .getByRole('button', { name: /^Move down/ })
      .first()
      .boundingBox()
    assert.ok(box && box.height >= 44)
    await context.close()
  })
})
