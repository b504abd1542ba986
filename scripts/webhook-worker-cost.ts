// `bun scripts/webhook-worker-cost.ts [--tree DIR] [--receiver slow|instant|tls|dead] [--busy]`: what the
// webhook delivery worker costs per attempt, in CPU. The worker of the checkout at --tree (default
// this one; give another checkout for its code) sends a seeded outbox (3,000 changes of two events
// each about a 1.2 KB contact, 6,000 deliveries over 4 endpoints, so the worker runs at its default
// 16 attempts in flight) to a receiver in a child process, whose CPU is not counted: `slow` answers
// after 200 ms (as in `npm run bench -- --webhooks`), `instant` at once, `tls` at once over https
// (a self-signed certificate for localhost, trusted by the worker), `dead` is a port where nothing
// listens (every attempt fails at once and waits 5 s for its retry). After a warm-up, this
// process's CPU time over the attempts recorded in a window, less the same window's CPU time
// before the worker started. Alternate runs of two checkouts: CPU time holds up on a shared
// machine, one run's absolute figure does not. `--busy` tells the worker requests are always in
// flight (as in a flat-out benchmark), so it keeps to its pace; the CPU per second of the window
// is then the share of the request thread it takes (a tree whose worker has no pace ignores it).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { selfSignedPair } from '../test/tls-helpers.ts'

const { values } = parseArgs({
  options: {
    tree: { type: 'string', default: resolve(import.meta.dirname, '..') },
    receiver: { type: 'string', default: 'slow' },
    warmup: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '5' },
    busy: { type: 'boolean', default: false },
  },
})
const delays: Record<string, number> = { slow: 200, instant: 0, tls: 0, dead: -1 }
const delay = delays[values.receiver]
if (delay === undefined) throw new Error(`--receiver is slow, instant, tls or dead, got ${values.receiver}`)
const tls = values.receiver === 'tls' ? selfSignedPair('webhook receiver') : undefined
const tree = resolve(values.tree)

const { seed } = await import(join(tree, 'scripts/bench/seed.ts'))
const { openStore } = await import(join(tree, 'src/db/open.ts'))
const { addEndpoint } = await import(join(tree, 'src/webhooks/service.ts'))
const events = await import(join(tree, 'src/webhooks/events.ts'))
const { startDeliveryWorker } = await import(join(tree, 'src/webhooks/worker.ts'))

/** A receiver in its own process, answering 200 after `ms` (over https with `tls`); its port, and the process to end. */
async function startReceiver(ms: number): Promise<{ port: number; child?: ChildProcess }> {
  if (ms < 0) return { port: 9 } // discard: nothing listens on 127.0.0.1:9
  const server = tls ? `require('node:https').createServer(${JSON.stringify(tls)}, ` : `require('node:http').createServer(`
  const code = `const s = ${server}(q, r) => { q.resume(); q.on('end', () => setTimeout(() => r.end('ok'), ${ms})) });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port))`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((done) => child.stdout!.once('data', (line: Buffer) => done(Number(String(line).trim()))))
  return { port, child }
}

const dir = mkdtempSync(join(tmpdir(), 'dmtracker-worker-cost-'))
const path = join(dir, 'outbox.db')
const { orgs } = await seed(path, { contacts: 100, orgCount: 4 })
const receiver = await startReceiver(delay)
const store = openStore(path, { checkpoint: 'background' })
const now = new Date().toISOString()
// Changes of two events each (a reply and its tags), as a create-contact makes them.
const contact = { id: '0190f2a0-0000-7000-8000-000000000000', username: 'jane.doe', notes: 'x'.repeat(1000) }
const draft = (type: string, changes: Record<string, unknown>) =>
  // Main before issue 18's contact-once change took the event's data whole.
  events.fullPayload
    ? { type, via: 'api', changes, contact: async () => contact }
    : { type, via: 'api', data: async () => ({ contact, changes }) }
const endpoints = orgs as { id: string }[]
await store.write(async (trx: unknown) => {
  for (const org of endpoints)
    await addEndpoint(
      trx,
      org.id,
      { url: `${tls ? 'https://localhost' : 'http://127.0.0.1'}:${receiver.port}/hook`, allowPrivate: true },
      now,
    )
  // The organizations' changes interleaved, as under load: the worker looks at the oldest due first.
  for (let i = 0; i < 750; i++) {
    for (const org of endpoints) {
      const changes = [
        draft('contact.replied', { reply: { content: 'hi', sent_at: now } }),
        draft('contact.tags_changed', { tags: { added: ['vip'], removed: [] } }),
      ]
      await events.recordEvents(trx, org.id, changes, now)
    }
  }
})

const attempts = async () =>
  Number(
    (
      await store.db
        .selectFrom('webhook_attempts')
        .select((eb: any) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )
const cpuUs = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

// What the process spends without the worker (the checkpointer, timers), taken off below.
const window = Number(values.seconds) * 1000
const idleStart = cpuUs()
await sleep(window)
const idle = cpuUs() - idleStart
const worker = startDeliveryWorker(store, {
  log: () => {},
  ...(tls ? { extraRoots: [tls.cert] } : {}),
  ...(values.busy ? { busy: () => true } : {}),
})
await sleep(Number(values.warmup) * 1000)
const [cpu0, n0] = [cpuUs(), await attempts()]
await sleep(window)
const [cpu1, n1] = [cpuUs(), await attempts()]
await worker.stop()
const made = n1 - n0
const spent = cpu1 - cpu0 - idle
console.log(
  `${tree} ${values.receiver}${values.busy ? ' busy' : ''}: ${made} attempts in ${values.seconds} s, ` +
    `${made > 0 ? (spent / made).toFixed(0) : '-'} µs of process CPU per attempt, ` +
    `${(spent / window).toFixed(0)} ms per second ` +
    `(${(spent / 1000).toFixed(0)} ms in all, after ${(idle / 1000).toFixed(0)} ms without the worker)`,
)
await store.close()
receiver.child?.kill()
rmSync(dir, { recursive: true, force: true })
