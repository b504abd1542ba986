// The pipeline (/pipeline) and the contact page (/contacts/{id}) in a real browser: playwright-core
// driving Debian's chromium, axe-core on every page, screenshots to test-screenshots/ (git-ignored).
// Cards are moved the three ways a person moves them: the keyboard ("Move to"), the mouse (drag
// and drop) and a finger at phone width (touch events, which Chromium turns into pointer events).

import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { runtime } from '#runtime'
import { type App, createApp } from '../../src/app.ts'
import { addRule } from '../../src/automations/service.ts'
import { loadConfig } from '../../src/config.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'
import { openStore, type Store } from '../../src/db/open.ts'
import { createOrganization } from '../../src/organizations/service.ts'
import { addStage, deactivateStage } from '../../src/pipeline/service.ts'
import { hashPassword } from '../../src/sessions/password.ts'
import { setPasswordHash } from '../../src/sessions/service.ts'
import { addUser } from '../../src/users/service.ts'
import { assertAccessible, launchChromium, SHOTS, shot } from './kit.ts'

const PASSWORD = 'correct horse battery'

describe('pipeline and contact page in a browser', () => {
  let dir: string
  let store: Store
  let app: App
  let server: { port: number; stop(): Promise<void> }
  let browser: Browser
  let base: string
  let org: { id: string; token: string }
  const ids: Record<string, string> = {}

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
  const reply = async (username: string, text: string) => {
    const res = await api('POST', '/api/v1/contact/default-reply', {
      organization_id: org.id,
      manychat_id: `mc_${username}`,
      username,
      message_content: text,
    })
    ids[username] = res.data.id
  }
  const stageOf = async (username: string) => (await api('GET', `/api/v1/contacts/${ids[username]}`)).data.pipeline_stage

  async function signedIn(options: { width?: number; height?: number; touch?: boolean } = {}) {
    const { width = 1920, height = 1000, touch = false } = options
    const context = await browser.newContext({ viewport: { width, height }, hasTouch: touch, isMobile: touch })
    const page = await context.newPage()
    await page.goto(`${base}/login`)
    await page.getByLabel('Email').fill('setter@acme.test')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(/\/follow-ups$/)
    return { context, page }
  }

  const lane = (page: Page, stage: string) => page.locator(`section.lane[data-stage="${stage}"]`)
  const card = (page: Page, username: string) => page.locator('li.card', { hasText: `@${username}` })
  // The notice an action puts on the page (not the screen-reader announcement of it, #status).
  const notice = (page: Page, text: string) => page.locator('#live > .notice', { hasText: text })
  const count = (page: Page, stage: string) => lane(page, stage).locator('h2 .count')

  /** Drags a card's grip across to a column with the mouse (columns run the page's height), in small steps as a hand would. */
  async function mouseDrag(page: Page, username: string, stage: string) {
    await card(page, username).locator('[data-grip]').scrollIntoViewIfNeeded()
    const from = (await card(page, username).locator('[data-grip]').boundingBox())!
    const to = (await lane(page, stage).boundingBox())!
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2)
    await page.mouse.down()
    await page.mouse.move(to.x + to.width / 2, from.y + from.height / 2, { steps: 12 })
    await page.mouse.up()
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), 'dmtracker-pipeline-'))
    store = openStore(join(dir, 'web.db'))
    await migrateToLatest(store.db)
    const now = () => new Date().toISOString()
    const made = await store.write((trx) => createOrganization(trx, { name: 'Acme Agency', pageName: 'acme' }, now()))
    org = { id: made.id, token: made.token.token }
    app = createApp({ store, config: { ...loadConfig({}, {}), dbPath: join(dir, 'web.db') }, now: () => Date.now() })
    server = await runtime.listen(app.fetch, { hostname: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${server.port}`
    browser = await launchChromium()
    const hash = await hashPassword(PASSWORD)
    await store.write(async (trx) => {
      const user = await addUser(trx, { email: 'setter@acme.test', organizationId: org.id, role: 'member' }, now())
      await setPasswordHash(trx, user.id, hash)
      await addRule(trx, org.id, { kind: 'stage_to_status', stage: 'Closed', status: 'won', enabled: true }, now())
      await addStage(trx, org.id, 'Going away', 'gray', now())
    })
    await reply('ana_inbound', 'Hi! What does it cost?')
    await reply('ben_keys', 'Tell me more')
    await reply('cara_mouse', 'Sounds interesting')
    await reply('dan_touch', 'Send me the link')
    await reply('eve_fails', 'Maybe later')
    await reply('fay_live', 'Ok!')
    await reply('gus_page', 'Can we talk on Friday?')
    await api('POST', '/api/v1/organization/create-contact', {
      organization_id: org.id,
      username: 'olly_outreach',
      had_outreach: true,
      outreach_reason: 'Commented on a reel',
      outreach_text: 'Hey, loved the reel!',
      tags: ['vip'],
      tag_color: 'purple',
    })
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    await app?.close()
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('shows the active stages as columns with the counts the API gives, and is accessible', async () => {
    const { context, page } = await signedIn()
    await page.getByRole('link', { name: 'Pipeline' }).click()
    await page.waitForURL(/\/pipeline$/)
    const stages = (await api('GET', '/api/v1/pipeline')).data.stages.filter((s: any) => s.active)
    const headings = await page.locator('section.lane h2').allTextContents()
    assert.deepEqual(
      headings,
      stages.map((s: any) => `${s.name} ${s.count}`),
    )
    assert.equal(await count(page, 'In Conversation').textContent(), '7')
    assert.equal(await count(page, 'Outreach Sent').textContent(), '1')
    await card(page, 'olly_outreach').getByText('vip').waitFor()
    await card(page, 'ana_inbound').getByRole('link', { name: '@ana_inbound' }).click()
    await page.waitForURL(new RegExp(`/contacts/${ids.ana_inbound}$`))
    await page.goBack()
    await assertAccessible(page, 'pipeline')
    await context.close()
  })

  it('moves a card with the keyboard through its Move to control', async () => {
    const { context, page } = await signedIn()
    await page.goto(`${base}/pipeline`)
    await page.getByLabel('Move @ben_keys to').focus()
    await page.keyboard.type('Interested')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await lane(page, 'Interested').locator('li.card', { hasText: '@ben_keys' }).waitFor()
    await notice(page, 'Card moved.').waitFor()
    assert.equal(await count(page, 'Interested').textContent(), '1')
    assert.equal(await stageOf('ben_keys'), 'Interested')
    await context.close()
  })

  it('moves a card by dragging it with the mouse, and the stage automation sets its status', async () => {
    const { context, page } = await signedIn()
    await page.goto(`${base}/pipeline`)
    await mouseDrag(page, 'cara_mouse', 'Closed')
    await lane(page, 'Closed').locator('li.card', { hasText: '@cara_mouse' }).locator('.status', { hasText: 'won' }).waitFor()
    assert.equal(await count(page, 'Closed').textContent(), '1')
    assert.equal(await stageOf('cara_mouse'), 'Closed')
    await shot(page, 'pipeline-desktop')
    // The activity names the member for the move and marks the automation's status change.
    await page.goto(`${base}/contacts/${ids.cara_mouse}`)
    const activity = page.locator('ul.activity')
    await activity.locator('li', { hasText: 'Stage' }).getByText('by setter@acme.test').waitFor()
    await activity.locator('li', { hasText: 'Lead status' }).getByText('Automation').waitFor()
    await context.close()
  })

  it('puts a card back and says why when the move fails (the stage was removed meanwhile)', async () => {
    const { context, page } = await signedIn()
    await page.goto(`${base}/pipeline`)
    await lane(page, 'Going away').waitFor()
    await store.write((trx) => deactivateStage(trx, org.id, 'Going away'))
    await mouseDrag(page, 'eve_fails', 'Going away')
    await page
      .getByRole('alert')
      .getByText(/The card was not moved: stage "Going away" is not an active pipeline stage/)
      .waitFor()
    await lane(page, 'In Conversation').locator('li.card', { hasText: '@eve_fails' }).waitFor()
    await page.locator('#status', { hasText: 'The card was not moved' }).waitFor()
    assert.equal(await stageOf('eve_fails'), 'In Conversation')
    await context.close()
  })

  it('shows a stage change made through the API on an open pipeline within seconds', async () => {
    const { context, page } = await signedIn()
    await page.goto(`${base}/pipeline`)
    await page.waitForSelector('html[data-live-ready]')
    await api('PATCH', '/api/v1/contact/contact-status', {
      organization_id: org.id,
      contact_id: ids.fay_live,
      pipeline_stage: 'Meeting Booked',
    })
    await lane(page, 'Meeting Booked').locator('li.card', { hasText: '@fay_live' }).waitFor({ timeout: 5_000 })
    await context.close()
  })

  it('updates an open contact page live (status, stage, tags, a reply, a teammate’s note) and keeps a half-typed note', async () => {
    await reply('hal_live', 'First message')
    const { context, page } = await signedIn()
    await page.goto(`${base}/contacts/${ids.hal_live}`)
    await page.waitForSelector('html[data-live-ready]')
    const note = page.getByLabel('Note', { exact: true })
    await note.fill('Half-written thou')
    await api('PATCH', '/api/v1/contact/contact-status', {
      organization_id: org.id,
      contact_id: ids.hal_live,
      lead_status: 'lost',
      pipeline_stage: 'Meeting Booked',
    })
    await page.locator('dl.facts dd', { hasText: 'Meeting Booked' }).waitFor({ timeout: 5_000 })
    assert.equal(await page.getByLabel('Lead status', { exact: true }).inputValue(), 'lost', 'the status form shows the new status')
    await api('POST', '/api/v1/contact/update-tags-external', {
      organization_id: org.id,
      username: 'hal_live',
      mode: 'add',
      tag_names: ['from-zapier'],
    })
    await page.locator('ul.tags.editable li', { hasText: 'from-zapier' }).waitFor({ timeout: 5_000 })
    await reply('hal_live', 'Second message, live')
    await page.locator('#messages').getByText('Second message, live').waitFor({ timeout: 5_000 })
    // A teammate adds a note and snoozes the follow-up from their own browser.
    const teammate = await signedIn()
    await teammate.page.goto(`${base}/contacts/${ids.hal_live}`)
    await teammate.page.getByLabel('Note', { exact: true }).fill('Called, no answer')
    await teammate.page.getByRole('button', { name: 'Add note' }).click()
    await teammate.page.locator('.notice', { hasText: 'Note added.' }).waitFor()
    await teammate.page.getByRole('button', { name: 'Snooze' }).click()
    await teammate.page.locator('.notice', { hasText: 'Follow-up snoozed.' }).waitFor()
    await teammate.context.close()
    await page.locator('ul.notes').getByText('Called, no answer').waitFor({ timeout: 5_000 })
    await page.locator('ul.activity li', { hasText: 'Follow-up snoozed' }).waitFor({ timeout: 5_000 })
    // All the while the note being typed stayed as it was, with the cursor in it.
    assert.equal(await note.inputValue(), 'Half-written thou')
    assert.ok(await note.evaluate((el: any) => el === el.ownerDocument.activeElement), 'the note keeps the focus')
    await page.keyboard.type('ght')
    await page.getByRole('button', { name: 'Add note' }).click()
    await page.locator('.notice', { hasText: 'Note added.' }).waitFor()
    await page.locator('ul.notes').getByText('Half-written thought').waitFor()
    // A redraw for someone else's change keeps the notice of this person's own last action.
    await reply('hal_live', 'Third message, after the note')
    await page.locator('#messages').getByText('Third message, after the note').waitFor({ timeout: 5_000 })
    await notice(page, 'Note added.').waitFor({ timeout: 1_000 })
    await context.close()
  })

  it('moves a card with a finger at 375 px wide, and fits the phone screen', async () => {
    const { context, page } = await signedIn({ width: 375, height: 812, touch: true })
    await page.goto(`${base}/pipeline`)
    assert.ok((await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)) <= 375 + 1)
    // The columns stack at this width: put the card near the top, the next column is then on screen too.
    await card(page, 'dan_touch').evaluate((el: any) => el.ownerDocument.defaultView.scrollBy(0, el.getBoundingClientRect().top - 60))
    const from = (await card(page, 'dan_touch').locator('[data-grip]').boundingBox())!
    const to = (await lane(page, 'Interested').locator('h2').boundingBox())!
    assert.ok(from.y > 0 && to.y + to.height + 40 < 812, `both on screen: ${from.y}, ${to.y}`)
    const cdp = await context.newCDPSession(page)
    const touch = (type: string, x: number, y: number) =>
      cdp.send('Input.dispatchTouchEvent', { type: type as any, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] })
    const start = { x: from.x + from.width / 2, y: from.y + from.height / 2 }
    const end = { x: to.x + 40, y: to.y + to.height + 20 }
    await touch('touchStart', start.x, start.y)
    for (let i = 1; i <= 12; i++) await touch('touchMove', start.x + ((end.x - start.x) * i) / 12, start.y + ((end.y - start.y) * i) / 12)
    await touch('touchEnd', end.x, end.y)
    await lane(page, 'Interested').locator('li.card', { hasText: '@dan_touch' }).waitFor()
    assert.equal(await stageOf('dan_touch'), 'Interested')
    await shot(page, 'pipeline-phone')
    await assertAccessible(page, 'pipeline at 375 px')
    await context.close()
  })

  it('shows a contact with its conversation, notes and activity, and each edit works', async () => {
    const { context, page } = await signedIn()
    await page.goto(`${base}/pipeline`)
    await card(page, 'olly_outreach').getByRole('link', { name: '@olly_outreach' }).click()
    await page.getByRole('heading', { level: 1, name: /@olly_outreach/ }).waitFor()
    assert.equal(await page.getByRole('link', { name: 'Instagram profile' }).getAttribute('href'), 'https://instagram.com/olly_outreach')
    await page.getByText('Commented on a reel').waitFor()
    await page.locator('#messages').getByText('Hey, loved the reel!').waitFor()
    await assertAccessible(page, 'contact page')
    // Status and stage.
    await page.getByLabel('Lead status', { exact: true }).selectOption('lost')
    await page.getByLabel('Stage', { exact: true }).selectOption('Interested')
    await page.getByRole('button', { name: 'Save status and stage' }).click()
    await notice(page, 'Lead status and stage saved.').waitFor()
    await page.locator('ul.activity li', { hasText: 'Lead status' }).getByText('open → lost').waitFor()
    // Tags: add a new one in a palette colour, remove it again.
    await page.getByLabel('Tag', { exact: true }).fill('Hot lead')
    await page.getByLabel('Colour (for a new tag)').selectOption('green')
    await page.getByRole('button', { name: 'Add tag' }).click()
    await notice(page, 'Tag added.').waitFor()
    assert.equal(await page.locator('ul.tags.editable li', { hasText: 'Hot lead' }).locator('circle').getAttribute('fill'), '#16a34a')
    await page.getByRole('button', { name: 'Remove tag Hot lead' }).click()
    await notice(page, 'Tag removed.').waitFor()
    assert.equal(await page.locator('ul.tags.editable li', { hasText: 'Hot lead' }).count(), 0)
    // A note.
    await page.getByLabel('Note', { exact: true }).fill('Prefers voice notes')
    await page.getByRole('button', { name: 'Add note' }).click()
    await notice(page, 'Note added.').waitFor()
    await page.locator('ul.notes').getByText('Prefers voice notes').waitFor()
    // Follow-up: snooze, then turn follow-ups off.
    await page.getByRole('button', { name: 'Snooze' }).click()
    await notice(page, 'Follow-up snoozed.').waitFor()
    await page.getByRole('button', { name: 'Turn follow-ups off' }).click()
    await notice(page, 'Follow-ups setting saved.').waitFor()
    await page.getByRole('button', { name: 'Turn follow-ups on' }).waitFor()
    const d = (await api('GET', `/api/v1/contacts/${(await page.url()).split('/contacts/')[1]!.split('?')[0]}`)).data
    assert.equal(d.lead_status, 'lost')
    assert.equal(d.pipeline_stage, 'Interested')
    assert.equal(d.activate_followups, false)
    assert.equal(d.notes[0].body, 'Prefers voice notes')
    await context.close()
  })

  it('marks a follow-up done, archives after a confirmation, and works at 375 px', async () => {
    const { context, page } = await signedIn({ width: 375, height: 812, touch: true })
    await page.goto(`${base}/contacts/${ids.gus_page}`)
    await page.locator('#messages').getByText('Can we talk on Friday?').waitFor()
    assert.ok((await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)) <= 375 + 1)
    await shot(page, 'contact-phone')
    await assertAccessible(page, 'contact page at 375 px')
    await page.getByLabel('Note (optional)').fill('Called, will book')
    await page.getByRole('button', { name: 'Done' }).click()
    await notice(page, 'Follow-up marked done.').waitFor()
    await page.getByText('Follow-ups done: 1.').waitFor()
    await page.getByRole('link', { name: 'Archive…' }).click()
    await page.getByRole('heading', { name: 'Archive @gus_page?' }).waitFor()
    await assertAccessible(page, 'archive confirmation')
    await page.getByRole('button', { name: 'Archive @gus_page' }).click()
    await page.getByText(/Archived on/).waitFor()
    await context.close()
    const desktop = await signedIn()
    await desktop.page.goto(`${base}/contacts/${ids.ana_inbound}`)
    await shot(desktop.page, 'contact-desktop')
    await desktop.context.close()
  })
})
