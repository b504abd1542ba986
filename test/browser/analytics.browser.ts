// The /analytics page in a real browser (playwright-core + Debian's chromium, axe-core): data made
// through the API, and what the page shows read back and compared with what the API answers for
// the same range. Screenshots go to test-screenshots/ (git-ignored).

import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { runtime } from '#runtime'
import { NUMBER_FIELDS } from '../../src/analytics/report.ts'
import { type App, createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'
import { openStore, type Store } from '../../src/db/open.ts'
import { updateFollowUpSettings } from '../../src/follow-ups/settings.ts'
import { createOrganization } from '../../src/organizations/service.ts'
import { hashPassword } from '../../src/sessions/password.ts'
import { setPasswordHash } from '../../src/sessions/service.ts'
import { addUser } from '../../src/users/service.ts'
import { assertAccessible, launchChromium, SHOTS } from './kit.ts'

const PASSWORD = 'correct horse battery'
const DAY = 24 * 3600_000
const HOUR = 3600_000

/** A number as the page shows it, back into the API's value: "66.67%" -> 0.6667, "2.5 h" -> 2.5, "—" -> null. */
function value(text: string): number | null {
  const t = text.trim()
  if (t === '—') return null
  if (t.endsWith('%')) return Math.round(Number(t.slice(0, -1)) * 100) / 10_000
  return Number(t.replace(/ h$/, ''))
}

describe('analytics page in a browser', () => {
  let dir: string
  let store: Store
  let app: App
  let server: { port: number; stop(): Promise<void> }
  let browser: Browser
  let base: string
  let org: { id: string; token: string }
  // The server's clock: moved back to make history through the API, then real time.
  let offset = 0

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-org-auth-token': org.token },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    assert.ok(res.ok, text)
    return JSON.parse(text)
  }
  /** An API CSV, byte for byte (res.text() would drop the byte order mark). */
  const apiCsv = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { 'x-org-auth-token': org.token } })
    assert.equal(res.status, 200)
    return Buffer.from(await res.arrayBuffer())
  }
  const outreach = (username: string, email: string, label: string) =>
    api('POST', '/api/v1/organization/create-contact', {
      organization_id: org.id,
      username,
      had_outreach: true,
      outreach_reason: label === 'Opener A' ? 'podcast' : 'referral',
      outreach_text: 'Hey there',
      outreach_message_label: label,
      email,
      activate_followups: false,
    })
  const reply = (username: string) =>
    api('POST', '/api/v1/contact/default-reply', {
      organization_id: org.id,
      manychat_id: `mc_${username}`,
      username,
      message_content: 'Hi!',
    })

  async function newPage(width = 1280, height = 900): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } })
    const page = await context.newPage()
    await page.goto(`${base}/login`)
    await page.getByLabel('Email').fill('alice@acme.test')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/follow-ups$/)
    return page
  }

  /** A table's body rows as the person sees them: the row header, then the numbers. */
  async function rows(page: Page, table: string, part: 'tbody' | 'tfoot' = 'tbody') {
    return page
      .locator(`#${table} ${part} tr`)
      .evaluateAll((trs) => trs.map((tr) => [...(tr as any).children].map((cell: any) => cell.textContent as string)))
  }

  /** The page's setters table and totals against GET /api/v1/analytics/setters for the same range. */
  async function assertSettersMatchApi(page: Page) {
    const from = await page.getByLabel('From', { exact: true }).inputValue()
    const to = await page.getByLabel('To', { exact: true }).inputValue()
    const report = (await api('GET', `/api/v1/analytics/setters?from=${from}&to=${to}`)).data
    const shown = await rows(page, 'setters')
    assert.equal(shown.length, report.setters.length)
    for (const setter of report.setters) {
      const name = setter.user_id === null ? 'Unassigned' : setter.name
      const row = shown.find((cells) => cells[0]!.startsWith(name))
      assert.ok(row, `a row for ${name}`)
      assert.deepEqual(
        row.slice(1).map(value),
        NUMBER_FIELDS.map((f) => setter[f]),
        name,
      )
    }
    const [totals] = await rows(page, 'setters', 'tfoot')
    assert.deepEqual(
      totals!.slice(1).map(value),
      NUMBER_FIELDS.map((f) => report.totals[f]),
    )
    return { from, to, report }
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-analytics-browser-'))
    store = openStore(join(dir, 'web.db'))
    await migrateToLatest(store.db)
    const made = await store.write((trx) => createOrganization(trx, { name: 'Acme Agency', pageName: 'acme' }, new Date().toISOString()))
    org = { id: made.id, token: made.token.token }
    // A zone where it is about noon now, so every "N days ago at this hour" is that calendar day.
    const hoursFromNoon = new Date().getUTCHours() - 12
    const zone = hoursFromNoon === 0 ? 'UTC' : `Etc/GMT${hoursFromNoon > 0 ? '+' : '-'}${Math.abs(hoursFromNoon)}`
    await store.write((trx) => updateFollowUpSettings(trx, org.id, { timezone: zone }))
    app = createApp({ store, config: { ...loadConfig({}, {}), dbPath: join(dir, 'web.db') }, now: () => Date.now() + offset })
    server = await runtime.listen(app.fetch, { hostname: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${server.port}`
    browser = await launchChromium()
    const hash = await hashPassword(PASSWORD)
    await store.write(async (trx) => {
      for (const [email, name] of [
        ['alice@acme.test', 'Alice'],
        ['bob@acme.test', 'Bob'],
      ] as const) {
        const user = await addUser(trx, { email, name, organizationId: org.id, role: 'member' }, new Date().toISOString())
        await setPasswordHash(trx, user.id, hash)
      }
    })
    // 20 days ago: Alice's three outreach with opener A, two replied 2 and 4 hours later.
    offset = -20 * DAY
    for (const name of ['a1', 'a2', 'a3']) await outreach(name, 'alice@acme.test', 'Opener A')
    offset += 2 * HOUR
    await reply('a1')
    offset += 2 * HOUR
    await reply('a2')
    // 3 days ago: Bob's two with opener B, one replied an hour later and booked.
    offset = -3 * DAY
    for (const name of ['b1', 'b2']) await outreach(name, 'bob@acme.test', 'Opener B')
    offset += HOUR
    await reply('b1')
    const b1 = (await api('GET', '/api/v1/contacts?q=b1')).data[0].id
    await api('PATCH', '/api/v1/contact/contact-status', { organization_id: org.id, contact_id: b1, pipeline_stage: 'Meeting Booked' })
    // Today: an inbound DM from ManyChat (unassigned).
    offset = 0
    await reply('dm_dana')
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    await app?.close()
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('shows the API’s numbers for the last 30 days, charts with text alternatives, accessible', async () => {
    const page = await newPage()
    await page.getByRole('link', { name: 'Analytics' }).click()
    await page.getByRole('heading', { name: 'Analytics', level: 1 }).waitFor()
    assert.equal(await page.getByRole('link', { name: 'Last 30 days' }).getAttribute('aria-current'), 'true')
    const { from, to, report } = await assertSettersMatchApi(page)
    // By hand: Alice 3 outreach, 2 replied (3 h median); Bob 2, 1 replied and booked; Dana's DM inbound.
    assert.deepEqual(
      [report.totals.outreach_count, report.totals.replied_count, report.totals.booked_count, report.totals.inbound_count],
      [5, 3, 1, 1],
    )
    const alice = (await rows(page, 'setters')).find((r) => r[0]!.startsWith('Alice'))!
    assert.deepEqual(alice.slice(1, 4), ['3', '2', '66.67%'])
    assert.equal(alice[9], '3 h')

    // The daily chart: a picture with a name and a description; its table holds the API's days.
    const chart = page.getByRole('img', { name: 'Outreach, replies and bookings per day' })
    await chart.waitFor()
    await page.screenshot({ path: join(SHOTS, 'analytics.png'), fullPage: true })
    assert.match((await chart.locator('desc').textContent()) ?? '', /5 outreach, 3 replied, 1 booked/)
    await page.getByText('The daily numbers as a table').click()
    const days = (await api('GET', `/api/v1/analytics/daily?from=${from}&to=${to}`)).data.days
    const shownDays = await rows(page, 'daily')
    assert.equal(shownDays.length, 30)
    assert.deepEqual(
      shownDays.map((r) => r.map((cell, i) => (i === 0 ? cell : value(cell)))),
      days.map((d: any) => [d.day, d.outreach_count, d.replied_count, d.booked_count, d.inbound_count]),
    )
    // Reply rate by message label, the same as GET /analytics/outreach?by=message_label.
    await page.getByRole('img', { name: 'Reply rate by message label' }).waitFor()
    await page.getByText('Reply rate by message label as a table').click()
    const labels = (await api('GET', `/api/v1/analytics/outreach?from=${from}&to=${to}&by=message_label`)).data.rows
    assert.deepEqual(
      (await rows(page, 'outreach')).map((r) => [r[0], ...r.slice(1).map(value)]),
      labels.map((l: any) => [l.outreach_message_label ?? '(no message label)', ...NUMBER_FIELDS.map((f) => l[f])]),
    )
    await assertAccessible(page, 'analytics with its tables open')
    await page.context().close()
  })

  it('picks 7 days, a custom range and the reason grouping with links and a plain GET form', async () => {
    const page = await newPage()
    await page.goto(`${base}/analytics`)
    await page.getByRole('link', { name: 'Last 7 days' }).click()
    await page.waitForURL(/days=7/)
    assert.equal(await page.getByRole('link', { name: 'Last 7 days' }).getAttribute('aria-current'), 'true')
    const { report } = await assertSettersMatchApi(page)
    assert.equal(report.totals.outreach_count, 2, 'only Bob’s, 3 days ago')

    const threeDaysAgo = (await api('GET', '/api/v1/analytics/daily')).data.days.at(-4).day
    await page.getByLabel('From', { exact: true }).fill(threeDaysAgo)
    await page.getByLabel('To', { exact: true }).fill(threeDaysAgo)
    await page.getByRole('button', { name: 'Show range' }).click()
    await page.waitForURL(new RegExp(`from=${threeDaysAgo}&to=${threeDaysAgo}`))
    const custom = await assertSettersMatchApi(page)
    assert.deepEqual(
      custom.report.setters.map((s: any) => s.outreach_count),
      [0, 2, 0],
    ) // Alice, Bob, unassigned

    await page.getByRole('link', { name: 'By reason' }).click()
    await page.waitForURL(/by=reason/)
    await page.getByRole('img', { name: 'Reply rate by reason' }).waitFor()
    assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), threeDaysAgo, 'the range stays')
    await page.goto(`${base}/analytics?from=2026-02-30`)
    await page.getByRole('alert').getByText('from must be a date like 2026-01-31').waitFor()
    await page.context().close()
  })

  it('sorts the setters on the server, saying so with aria-sort', async () => {
    const page = await newPage()
    await page.goto(`${base}/analytics`)
    const names = async () =>
      (await rows(page, 'setters')).map((r) => ['Alice', 'Bob', 'Unassigned'].find((name) => r[0]!.startsWith(name)))
    const header = page.locator('#setters thead th', { hasText: 'Reply rate' })
    await header.getByRole('link').click()
    await page.waitForURL(/sort=reply_rate&dir=desc/)
    assert.equal(await header.getAttribute('aria-sort'), 'descending')
    assert.deepEqual(await names(), ['Alice', 'Bob', 'Unassigned']) // 66.67 %, 50 %, none (last)
    await header.getByRole('link').click()
    await page.waitForURL(/dir=asc/)
    assert.equal(await header.getAttribute('aria-sort'), 'ascending')
    assert.deepEqual(await names(), ['Bob', 'Alice', 'Unassigned'])
    await page.locator('#setters thead th', { hasText: 'Inbound' }).getByRole('link').click()
    await page.waitForURL(/sort=inbound_count/)
    assert.deepEqual((await names())[0], 'Unassigned')
    assert.equal(await page.locator('#setters thead th[aria-sort]').count(), 1)
    await page.context().close()
  })

  it('downloads the same CSV as the API', async () => {
    const page = await newPage()
    await page.goto(`${base}/analytics?days=90`)
    const from = await page.getByLabel('From', { exact: true }).inputValue()
    const to = await page.getByLabel('To', { exact: true }).inputValue()
    for (const [link, path] of [
      ['Setters as CSV', `/api/v1/analytics/setters.csv?from=${from}&to=${to}`],
      ['Days as CSV', `/api/v1/analytics/daily.csv?from=${from}&to=${to}`],
      ['By message label as CSV', `/api/v1/analytics/outreach.csv?from=${from}&to=${to}&by=message_label`],
    ] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: link }).click()])
      const file = readFileSync((await download.path())!)
      assert.deepEqual(file, await apiCsv(path), link)
      assert.ok(file.toString('utf8').split('\r\n').length > 3)
    }
    await page.context().close()
  })

  it('fits a 375 px phone: nothing wider than the screen, the charts readable', async () => {
    const page = await newPage(375, 812)
    await page.goto(`${base}/analytics`)
    assert.ok((await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)) <= 375)
    const chart = page.getByRole('img', { name: 'Outreach, replies and bookings per day' })
    const box = (await chart.boundingBox())!
    assert.ok(box.width >= 300 && box.x + box.width <= 375, JSON.stringify(box))
    // The chart's text, scaled to the phone, is still at least 10 px tall.
    const smallest = await chart
      .locator('text')
      .evaluateAll((texts) => Math.min(...texts.map((t: any) => t.getBoundingClientRect().height)))
    assert.ok(smallest >= 10, `chart text ${smallest} px`)
    await assertAccessible(page, 'analytics-phone')
    await page.screenshot({ path: join(SHOTS, 'analytics-phone.png'), fullPage: true })
    await page.context().close()
  })
})
