// What every browser test shares: Debian's chromium driven by playwright-core, the axe-core check
// and the screenshot folder (git-ignored).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'

export const SHOTS = resolve(import.meta.dirname, '../../test-screenshots')
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** Headless chromium (`CHROMIUM=/path` for another binary); each launch has a fresh temporary profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** No serious or critical axe-core violation on the page as it is now. */
export async function assertAccessible(page: Page, name: string) {
  await page.evaluate(AXE)
  const violations = (await page.evaluate(async () => {
    const result = await (globalThis as any).axe.run((globalThis as any).document)
    return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }))
  })) as { id: string; impact: string }[]
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  assert.deepEqual(bad, [], `${name}: ${JSON.stringify(bad)}`)
}

/** A full-page screenshot into test-screenshots/. */
export const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
