// The mixed bench's background readers (scripts/bench/mixed.ts): one long-lived process that asks
// for PATHs in turn over one kept-alive connection, sending HEADER (`name: value`, e.g. a session
// cookie or an org token) with each, RATE requests a second (each due at its time, the next one
// right away when late; 0: back to back, as fast as the server answers), until its stdin closes;
// then it prints how many answers it read. Used for the signed-in person's pages (scenario
// 'pages', as a browser) and for the loops of reads and analytics reports (scenarios 'reads' and
// 'analytics', as a dashboard or a script polling the API).
// A process of its own, so that reading answers takes nothing from the load generator's event
// loop; one process for the whole loop (not a `curl` per request), so that the bench's machine
// does not spend its CPU on starting processes, which a real deployment's server does not (its
// browsers and scripts run elsewhere): 16-38 ms of CPU per `curl` (a report, a page) on the 2-core
// bench machine, more than the server spends on either (docs/performance.md).
//
// `bun scripts/bench/loop-client.ts URL HEADER RATE PATH...`
import { argv, stdin } from 'node:process'

const [url, header, rate, ...paths] = argv.slice(2)
const colon = header?.indexOf(':') ?? -1
if (!url || colon < 1 || !/^\d+$/.test(rate ?? '') || paths.length === 0) throw new Error('usage: loop-client.ts URL HEADER RATE PATH...')
const headers = { [header!.slice(0, colon).trim()]: header!.slice(colon + 1).trim() }
const perSecond = Number(rate)

let stopped = false
stdin.on('end', () => {
  stopped = true
})
stdin.resume()

const started = performance.now()
let answers = 0
while (!stopped) {
  const wait = perSecond > 0 ? started + (answers * 1000) / perSecond - performance.now() : 0
  if (wait > 0) await Bun.sleep(wait)
  if (stopped) break
  const path = paths[answers % paths.length]!
  const res = await fetch(url + path, { headers, redirect: 'manual' })
  await res.arrayBuffer() // the whole answer, as a browser or a script reads it
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`)
  answers++
}
console.log(answers)
