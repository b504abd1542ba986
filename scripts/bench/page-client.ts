// The mixed bench's signed-in person (scenario 'pages', scripts/bench/mixed.ts): one long-lived
// process that loads the web app's pages in turn over one kept-alive connection, as a browser
// does, RATE pages a second (each page due at its time, the next one right away when late; 0: as
// fast as the server answers), until its stdin closes; then it prints how many pages it loaded.
// A process of its own, so that reading pages takes nothing from the load generator's event loop;
// one process for the whole loop (not a `curl` per page), so that the bench's machine does not
// spend its CPU on starting processes, which a real deployment's server does not (its browsers
// run elsewhere).
//
// `bun scripts/bench/page-client.ts URL COOKIE RATE PATH...`: COOKIE is the Cookie header's value.
import { argv, stdin } from 'node:process'

const [url, cookie, rate, ...paths] = argv.slice(2)
if (!url || !cookie || !/^\d+$/.test(rate ?? '') || paths.length === 0) throw new Error('usage: page-client.ts URL COOKIE RATE PATH...')
const perSecond = Number(rate)

let stopped = false
stdin.on('end', () => {
  stopped = true
})
stdin.resume()

const started = performance.now()
let pages = 0
while (!stopped) {
  const wait = perSecond > 0 ? started + (pages * 1000) / perSecond - performance.now() : 0
  if (wait > 0) await Bun.sleep(wait)
  if (stopped) break
  const path = paths[pages % paths.length]!
  const res = await fetch(url + path, { headers: { cookie }, redirect: 'manual' })
  await res.arrayBuffer() // the whole page, as a browser reads it
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`)
  pages++
}
console.log(pages)
