// `bun scripts/webhook-cost.ts`: what webhooks cost a write request, in CPU. Two apps in this process
// over copies of one seeded database (10,000 contacts, 10 organizations), one without webhook
// endpoints and one with an endpoint per organization subscribed to every event; the same requests
// go through app.request() (no network, no delivery worker) in waves of 64, alternating between
// the two, and the process's CPU time per request is compared. CPU time, unlike req/s, holds up on
// a shared machine. The delivery worker's own cost is the bench's business (`npm run bench -- --webhooks`).
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { openStore } from '../src/db/open.ts'
import { addEndpoint } from '../src/webhooks/service.ts'
import { ENDPOINTS, type Endpoint, requestSource } from './bench/bodies.ts'
import { seed } from './bench/seed.ts'

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string', default: 'contact-status,create-contact,default-reply' },
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '1000' },
  },
})
const endpoints = values.endpoint.split(',') as Endpoint[]
for (const e of endpoints) if (!(ENDPOINTS as readonly string[]).includes(e)) throw new Error(`unknown endpoint ${e}`)
const rounds = Number(values.rounds)
const perRound = Math.ceil(Number(values.requests) / 64) * 64

const dir = mkdtempSync(join(tmpdir(), 'dmtracker-webhook-cost-'))
const seeded = await seed(join(dir, 'seed.db'), { contacts: 10_000, orgCount: 10 })
const cpuUs = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!

async function variant(name: 'none' | 'webhooks') {
  const path = join(dir, `${name}.db`)
  copyFileSync(join(dir, 'seed.db'), path)
  const store = openStore(path, { checkpoint: 'background' })
  if (name === 'webhooks') {
    // Nothing listens there; no worker runs here, so nothing is sent anyway.
    for (const org of await store.db.selectFrom('organizations').select('id').execute())
      await store.write((trx) => addEndpoint(trx, org.id, { url: 'http://127.0.0.1:9/hook', allowPrivate: true }, new Date().toISOString()))
  }
  const app = createApp({ store, config: { ...loadConfig({}, { DMTRACKER_RATE_LIMIT: 'off' }), dbPath: path } })
  return { name, store, app }
}

const variants = [await variant('none'), await variant('webhooks')]
console.log(`CPU per request, median of ${rounds} rounds of ${perRound} requests (64 at a time) after a warm-up round`)
for (const endpoint of endpoints) {
  const next = requestSource(endpoint, seeded)
  const runs = { none: [] as number[], webhooks: [] as number[] }
  for (let round = 0; round <= rounds; round++) {
    for (const { name, app } of variants) {
      const before = cpuUs()
      for (let sent = 0; sent < perRound; sent += 64) {
        await Promise.all(
          Array.from({ length: 64 }, async () => {
            const request = next()
            const response = await app.request(request.path, { method: request.method, headers: request.headers, body: request.body })
            await response.arrayBuffer()
            if (response.status >= 300) throw new Error(`${endpoint}: HTTP ${response.status}`)
          }),
        )
      }
      if (round > 0) runs[name].push((cpuUs() - before) / perRound)
    }
  }
  const none = median(runs.none)
  const hooks = median(runs.webhooks)
  console.log(
    `${endpoint}: ${none.toFixed(0)} µs without webhooks, ${hooks.toFixed(0)} µs with (+${(hooks - none).toFixed(0)} µs); ` +
      `req/s at equal CPU: ${((none / hooks) * 100).toFixed(0)} %`,
  )
}
for (const { app, store } of variants) {
  await app.close()
  await store.close()
}
rmSync(dir, { recursive: true, force: true })
