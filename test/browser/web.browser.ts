// The web app in a real browser: playwright-core driving Debian's chromium (/usr/bin/chromium,
// or $CHROMIUM), axe-core checking every page. One browser and one server for the whole file.
// Screenshots of each page go to test-screenshots/ (git-ignored).

import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { runtime } from '#runtime'
import { type App, createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'
import { openStore, type Store } from '../../src/db/open.ts'
import { updateFollowUpSettings } from '../../src/follow-ups/settings.ts'
import { createOrganization } from '../../src/organizations/service.ts'
import { hashPassword } from '../../src/sessions/password.ts'
import { createInvite, setPasswordHash } from '../../src/sessions/service.ts'
import { addUser } from '../../src/users/service.ts'
import { assertAccessible, launchChromium, SHOTS, shot } from './kit.ts'

const PASSWORD = 'correct horse battery'
const DAY = 24 * 3600_000

describe('web app in a browser', () => {
  let dir: string
  let store: Store
  let app: App
  let server: { port: number; stop(): Promise<void> }
  let browser: Browser
  let base: string
  let org: { id: string; token: string }
  // The server's clock: starts three days back so the API can make an overdue follow-up, then runs at real time.
  let offset = -3 * DAY

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
  const reply = (username: string, text: string) =>
    api('POST', '/api/v1/contact/default-reply', {
      organization_id: org.id,
      manychat_id: `mc_${username}`,
      username,
      message_content: text,
    })

  async function user(email: string, role: 'owner' | 'admin' | 'member') {
    const hash = await hashPassword(PASSWORD)
    await store.write(async (trx) => {
      const u = await addUser(trx, { email, organizationId: org.id, role }, new Date().toISOString())
      await setPasswordHash(trx, u.id, hash)
    })
  }

  async function newPage(width = 1280, height = 900): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width, height } })
    return { context, page: await context.newPage() }
  }

  async function signIn(page: Page, email: string, password = PASSWORD) {
    await page.goto(`${base}/login`)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-browser-'))
    store = openStore(join(dir, 'web.db'))
    await migrateToLatest(store.db)
    const made = await store.write((trx) => createOrganization(trx, { name: 'Acme Agency', pageName: 'acme' }, new Date().toISOString()))
    org = { id: made.id, token: made.token.token }
    // A zone where it is about noon now, so "today" has hours left on either side whatever the test's hour.
    const hoursFromNoon = new Date().getUTCHours() - 12
    const zone = hoursFromNoon === 0 ? 'UTC' : `Etc/GMT${hoursFromNoon > 0 ? '+' : '-'}${Math.abs(hoursFromNoon)}`
    await store.write((trx) => updateFollowUpSettings(trx, org.id, { timezone: zone }))
    app = createApp({ store, config: { ...loadConfig({}, {}), dbPath: join(dir, 'web.db') }, now: () => Date.now() + offset })
    server = await runtime.listen(app.fetch, { hostname: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${server.port}`
    // Playwright gives each launch a fresh temporary profile (its own --user-data-dir).
    browser = await launchChromium()
    await user('owner@acme.test', 'owner')
    await user('setter@acme.test', 'member')
    // Overdue: a reply three days ago. Then the clock runs at real time.
    await reply('overdue_olga', 'Can you send the price list?')
    offset = 0
    await reply('today_tom', 'Sounds good, talk tomorrow?')
    const upcoming = (await reply('upcoming_ursula', 'I will think about it')).data.contact ?? null
    const ursula = upcoming?.id ?? (await api('GET', '/api/v1/contacts?q=upcoming_ursula')).data[0].id
    await api('POST', `/api/v1/contacts/${ursula}/follow-ups`, { snooze_until: new Date(Date.now() + 3 * DAY).toISOString() })
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    await app?.close()
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses a wrong password with the generic message, signs in, and is accessible', async () => {
    const { context, page } = await newPage()
    await page.goto(base)
    assert.match(page.url(), /\/login$/)
    await assertAccessible(page, 'login')
    await shot(page, 'login')
    await signIn(page, 'owner@acme.test', 'not my password')
    await page.getByText('That email and password do not match an account.').waitFor()
    await signIn(page, 'owner@acme.test')
    await page.waitForURL(/\/follow-ups$/)
    await context.close()
  })

  it('shows the board in three sections with counts and cards, and Done and Snooze move cards without a reload', async () => {
    const { context, page } = await newPage()
    await signIn(page, 'setter@acme.test')
    await page.waitForURL(/\/follow-ups$/)
    const count = (key: string) => page.locator(`#h-${key} .count`).textContent()
    assert.equal(await count('overdue'), '1')
    assert.equal(await count('today'), '1')
    assert.equal(await count('upcoming'), '1')
    const olga = page.locator('#section-overdue .card', { hasText: '@overdue_olga' })
    await olga.getByText('Can you send the price list?').waitFor()
    assert.match((await olga.textContent()) ?? '', /Follow-ups done: 0/)
    await page.waitForSelector('html[data-live-ready]')
    await assertAccessible(page, 'board')
    await shot(page, 'board')
    await page.evaluate(() => ((globalThis as any).__sameDocument = true))

    await olga.getByLabel('Note (optional)').fill('Sent the price list')
    await olga.getByRole('button', { name: /^Done/ }).click()
    await page.getByText('Follow-up marked done.').waitFor()
    await page.locator('#section-overdue .card', { hasText: '@overdue_olga' }).waitFor({ state: 'detached' })
    assert.equal(await count('overdue'), '0')

    const tom = page.locator('#section-today .card', { hasText: '@today_tom' })
    await tom.getByRole('button', { name: /^Snooze/ }).click()
    await page.locator('#section-upcoming .card', { hasText: '@today_tom' }).waitFor()
    assert.equal(await count('today'), '0')
    // Olga's next follow-up (the cadence's second interval), Ursula's and Tom's.
    assert.equal(await count('upcoming'), '3')
    assert.equal(await page.evaluate(() => (globalThis as any).__sameDocument), true, 'no full reload')
    // What the API's POST /contacts/{id}/follow-ups would have done.
    const olgaApi = (await api('GET', '/api/v1/contacts?q=overdue_olga')).data[0]
    assert.equal(olgaApi.follow_up_count, 1)
    await context.close()
  })

  it('shows a ManyChat reply on an open board within a couple of seconds, without a reload', async () => {
    const { context, page } = await newPage()
    await signIn(page, 'setter@acme.test')
    await page.waitForSelector('html[data-live-ready]')
    await page.evaluate(() => ((globalThis as any).__sameDocument = true))
    const started = Date.now()
    await reply('live_lara', 'Just saw your message!')
    await page.locator('#section-today .card', { hasText: '@live_lara' }).waitFor({ timeout: 10_000 })
    const seconds = (Date.now() - started) / 1000
    assert.ok(seconds < 5, `arrived after ${seconds} s`)
    assert.equal(await page.evaluate(() => (globalThis as any).__sameDocument), true)
    await context.close()
  })

  it('works at 375 px wide: nothing wider than the screen, the actions reachable', async () => {
    const { context, page } = await newPage(375, 812)
    await signIn(page, 'setter@acme.test')
    await page.waitForURL(/\/follow-ups$/)
    assert.ok((await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)) <= 375)
    await page.getByRole('button', { name: /^Done: follow-up with @live_lara/ }).waitFor()
    await shot(page, 'board-phone')
    await page.goto(`${base}/contacts`)
    assert.ok((await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)) <= 375 + 1)
    await context.close()
  })

  it('lists contacts with filters and keeps members out of Settings', async () => {
    const { context, page } = await newPage()
    await signIn(page, 'setter@acme.test')
    await page.waitForURL(/\/follow-ups$/)
    await page.getByRole('link', { name: 'Contacts' }).click()
    await page.getByRole('rowheader', { name: '@upcoming_ursula' }).waitFor()
    await page.getByLabel('Username').fill('upcoming')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/q=upcoming/)
    assert.equal(await page.locator('#contact-rows tr').count(), 1)
    await page.getByRole('link', { name: 'Export these contacts as CSV' }).waitFor()
    await assertAccessible(page, 'contacts')
    await shot(page, 'contacts')
    await page.goto(`${base}/pipeline`)
    await assertAccessible(page, 'pipeline')
    const settings = await page.goto(`${base}/settings`)
    assert.equal(settings?.status(), 403)
    await page.getByText('Only owners and admins').waitFor()
    await context.close()
  })

  it('lets an owner invite; the link sets a password, signs in, and works once', async () => {
    const { context, page } = await newPage()
    await signIn(page, 'owner@acme.test')
    await page.getByRole('link', { name: 'Settings' }).click()
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Team' }).click()
    await assertAccessible(page, 'settings')
    await shot(page, 'settings')
    await page.getByLabel('Email').fill('new.setter@acme.test')
    await page.getByRole('button', { name: 'Invite' }).click()
    const link = ((await page.locator('code.link').textContent()) ?? '').trim()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/login$/)

    await page.goto(link)
    await assertAccessible(page, 'invite')
    await shot(page, 'invite')
    await page.getByLabel('Password').fill('my new long password')
    await page.getByRole('button', { name: 'Set password and sign in' }).click()
    await page.waitForURL(/\/follow-ups$/)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/login$/)
    const again = await page.goto(link)
    assert.equal(again?.status(), 404)
    await context.close()
  })

  it('throttles repeated wrong passwords with a clear message', async () => {
    const token = await store.write((trx) =>
      createInvite(trx, { email: 'x@acme.test', organizationId: org.id, role: 'member' }, Date.now()),
    )
    assert.ok(token)
    const { context, page } = await newPage()
    for (let i = 0; i < 5; i++) {
      await signIn(page, 'owner@acme.test', `wrong ${i}`)
      await page.getByText('That email and password do not match an account.').waitFor()
    }
    await signIn(page, 'owner@acme.test')
    await page.getByText(/Too many failed sign-ins\. Try again in \d+ minutes?\./).waitFor()
    await context.close()
  })
})
