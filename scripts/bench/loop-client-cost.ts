// What the mixed bench's background loops cost the machine, the old way (a `curl` process per
// request) and the new (one kept-alive client process, scripts/bench/loop-client.ts): the client
// side's CPU per request (processes this one started and waited for: /proc's cutime + cstime) and
// the server's, on a small database, loops alternating. CPU time, not wall time, so a busy machine
// blurs it less. `--loop pages`: the signed-in person's pages; `--loop analytics`: issue 17's
// reports of the last 90 days, with the org token.
// `bun scripts/bench/loop-client-cost.ts --binary PATH [--loop pages|analytics] [--requests 200] [--rounds 3]`
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { addPagesUser, analyticsPaths, loopClient } from './mixed.ts'
import { markdown } from './report.ts'
import { seed } from './seed.ts'
import { freePort, start } from './server.ts'

const { values } = parseArgs({
  options: {
    binary: { type: 'string' },
    loop: { type: 'string', default: 'pages' },
    requests: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
  },
})
if (!values.binary) throw new Error('--binary PATH is required')
if (values.loop !== 'pages' && values.loop !== 'analytics') throw new Error('--loop is pages or analytics')
const requests = Number(values.requests)
const dir = mkdtempSync(join(tmpdir(), 'dmtracker-loop-client-'))
const db = join(dir, 'loop.db')
const seeded = await seed(db, { contacts: 2000, orgCount: 5 })
const org = seeded.orgs[0]!
addPagesUser(values.binary, db, org.id)
const port = await freePort()
const env = { DMTRACKER_DB: db, DMTRACKER_HOST: '127.0.0.1', DMTRACKER_PORT: String(port), DMTRACKER_RATE_LIMIT: 'off' }
const server = await start({ command: [values.binary, 'serve'], env }, port, join(dir, 'server.log'), async (url) => {
  return (await fetch(`${url}/healthz`)).status < 500
})

const login = await fetch(`${server.url}/login`, {
  method: 'POST',
  body: new URLSearchParams({ email: 'pages@bench.test', password: 'bench pages password' }),
  headers: { origin: server.url },
  redirect: 'manual',
})
const cookie = /dmtracker_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0]
const list = (await (await fetch(`${server.url}/api/v1/contacts?limit=1`, { headers: { 'x-org-auth-token': org.token } })).json()) as {
  data: { id: string }[]
}
const [header, paths] =
  values.loop === 'pages'
    ? [`cookie: ${cookie}`, ['/follow-ups', '/contacts', '/pipeline', `/contacts/${list.data[0]!.id}`]]
    : [`x-org-auth-token: ${org.token}`, analyticsPaths()]

const TICK_MS = 10 // USER_HZ is 100 on Linux
/** CPU ms of the children this process has waited for. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS
}

async function curlLoop(): Promise<number> {
  for (let i = 0; i < requests; i++) {
    const proc = Bun.spawn(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', header, server.url + paths[i % paths.length]], {
      stdout: 'pipe',
    })
    const status = await new Response(proc.stdout).text()
    await proc.exited
    if (status !== '200') throw new Error(`curl: ${status}`)
  }
  return requests
}

async function clientLoop(): Promise<number> {
  const client = loopClient(server.url, header, 0, paths)
  // Lets it ask for as long as the curl loop took, then stops it.
  const started = performance.now()
  await Bun.sleep(lastCurlMs)
  const loaded = await client.stop()
  lastClientMs = performance.now() - started
  return loaded
}

let lastCurlMs = 0
let lastClientMs = 0
const rows: string[][] = []
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, loop] of [
    ['a curl process per request', curlLoop],
    ['one kept-alive client', clientLoop],
  ] as const) {
    const client = childrenCpuMs()
    const serverCpu = server.cpuMs()
    const started = performance.now()
    const loaded = await loop()
    const ms = performance.now() - started
    if (loop === curlLoop) lastCurlMs = ms
    rows.push([
      String(round + 1),
      name,
      String(loaded),
      (loaded / ((loop === curlLoop ? ms : lastClientMs) / 1000)).toFixed(0),
      ((childrenCpuMs() - client) / loaded).toFixed(2),
      ((server.cpuMs() - serverCpu) / loaded).toFixed(2),
    ])
  }
}
await server.stop()
rmSync(dir, { recursive: true, force: true })
console.log(
  markdown(['round', `${values.loop} loop`, 'requests', 'requests/s', 'client CPU ms per request', 'server CPU ms per request'], rows),
)
