// The crash test: the compiled binary under a write load on every write endpoint, killed with
// SIGKILL at random moments and restarted on the same database, round after round. After each
// restart, every write that was acknowledged with a 2xx must be in the database exactly once and
// integrity_check must say ok. Then a SIGTERM under load: requests in flight are answered, the
// process exits 0, and nothing acknowledged is lost. Used by scripts/crash-test.ts (long run)
// and test/e2e/crash.e2e.ts (short run).
import { once } from 'node:events'
import { connect } from 'node:net'
import { join } from 'node:path'
import { ENDPOINT_NAMES, ENDPOINTS } from './endpoints.ts'
import { cliJson, ensureStopped, type ServerProcess, startServer } from './server-process.ts'
import { Ledger, type Org, verifyLedger, Workload } from './workload.ts'

export interface CrashOptions {
  binary: string
  /** A folder of its own for the database. */
  dir: string
  /** Kill rounds; every fifth one kills the server while it is still starting. */
  rounds: number
  workers?: number
  /** The load runs for a random time up to this long before the kill. */
  maxLoadMs?: number
  seed?: number
  log?: (line: string) => void
}

export interface CrashReport {
  rounds: number
  killedUnderLoad: number
  killedWhileStarting: number
  /** Acknowledged writes, all checked after every restart. */
  acknowledged: number
  /** Answers by endpoint and status ("network": the kill cut the request off). */
  answers: Record<string, Record<string, number>>
  sigterm: { exitCode: number | null; inFlightAnswer: number | undefined; stoppedLogged: boolean }
  /** Everything that went wrong; empty means the test passed. */
  problems: string[]
}

/** Serve options for every start: durable commits, no create-contact limit, no request log. */
const SERVE_ARGS = ['--durability', 'full', '--rate-limit', 'off', '--quiet']

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** mulberry32: a seeded generator, so a run's kill schedule can be repeated. */
function random(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** How long the last round's load may go on until every endpoint has been exercised. */
const EXERCISE_LIMIT_MS = 30_000

function everyEndpointAcknowledged(ledger: Ledger): boolean {
  return ENDPOINT_NAMES.every((e) => Object.keys(ledger.answers[e] ?? {}).some((status) => status.startsWith('2')))
}

async function until(done: () => boolean, limitMs: number) {
  for (const deadline = Date.now() + limitMs; !done() && Date.now() < deadline; ) await sleep(10)
}

export async function runCrashTest({
  binary,
  dir,
  rounds,
  workers = 8,
  maxLoadMs = 1500,
  seed = Date.now(),
  log = () => {},
}: CrashOptions): Promise<CrashReport> {
  const next = random(seed)
  const dbPath = join(dir, 'crash.db')
  const org = cliJson<Org>(binary, ['org', 'create', '--name', 'Crash test', '--db', dbPath])
  const ledger = new Ledger()
  const workload = new Workload(org, ledger)
  const report: CrashReport = {
    rounds,
    killedUnderLoad: 0,
    killedWhileStarting: 0,
    acknowledged: 0,
    answers: ledger.answers,
    sigterm: { exitCode: null, inFlightAnswer: undefined, stoppedLogged: false },
    problems: [],
  }
  const check = async (when: string) => {
    for (const problem of await verifyLedger(dbPath, org.id, ledger)) report.problems.push(`${when}: ${problem}`)
  }
  log(`crash test: ${rounds} rounds, ${workers} workers, seed ${seed}, database ${dbPath}`)

  for (let round = 1; round <= rounds; round++) {
    let server: ServerProcess | undefined
    try {
      server = startServer(binary, dbPath, SERVE_ARGS)
      if (round % 5 === 0) {
        // Killed while opening the database, migrating and starting to listen.
        await sleep(Math.floor(next() * 40))
        server.kill('SIGKILL')
        await server.exited
        report.killedWhileStarting++
        log(`round ${round}: killed while starting`)
        continue
      }
      const url = await server.listening
      // The restart has recovered the previous round's crash: check everything acknowledged so far.
      await check(`round ${round}, after restart`)
      const before = ledger.acknowledged
      let stop = false
      const load = workload.drive(url, workers, () => stop)
      const loadMs = 50 + Math.floor(next() * maxLoadMs)
      await sleep(loadMs)
      // The last kill waits, if need be, until every endpoint has had a write acknowledged in the
      // run: on a busy machine a short random load may end before a chain reaches its last step.
      if (round === rounds) await until(() => everyEndpointAcknowledged(ledger), EXERCISE_LIMIT_MS)
      server.kill('SIGKILL')
      stop = true
      const { signal } = await server.exited
      await load
      if (signal !== 'SIGKILL')
        report.problems.push(`round ${round}: the server ended by itself (${signal}) before the kill:\n${server.output()}`)
      report.killedUnderLoad++
      log(
        `round ${round}: killed after ${loadMs} ms of load; ${ledger.acknowledged - before} writes acknowledged this round, ${ledger.acknowledged} in all`,
      )
    } catch (error) {
      report.problems.push(`round ${round}: ${error instanceof Error ? error.message : String(error)}`)
    } finally {
      await ensureStopped(server)
    }
  }

  await sigtermUnderLoad(binary, dbPath, org, workload, report, next, log)
  await check('at the end, server stopped')
  report.acknowledged = ledger.acknowledged
  report.problems.push(...ledger.problems)
  return report
}

/**
 * SIGTERM while writes are in flight. One request is made to be in flight for sure: its headers
 * and half its body go out before the signal, the rest after. It must still get its 201, the
 * process must exit 0 after logging "stopped", and its write is checked with all the others.
 */
async function sigtermUnderLoad(
  binary: string,
  dbPath: string,
  org: Org,
  workload: Workload,
  report: CrashReport,
  next: () => number,
  log: (line: string) => void,
) {
  let server: ServerProcess | undefined
  try {
    server = startServer(binary, dbPath, SERVE_ARGS)
    const url = new URL(await server.listening)
    let stop = false
    const load = workload.drive(url.origin, 4, () => stop)

    const inFlight = workload.createContact()
    const body = JSON.stringify(inFlight.body)
    const socket = connect(Number(url.port), url.hostname)
    await once(socket, 'connect')
    const { path } = ENDPOINTS['create-contact']
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nx-org-auth-token: ${org.token}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
    )
    socket.write(body.slice(0, body.length / 2))
    let answer = ''
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')))
    const closed = once(socket, 'close')

    await sleep(200 + Math.floor(next() * 400))
    server.kill('SIGTERM')
    stop = true
    await sleep(100)
    socket.end(body.slice(body.length / 2))
    await Promise.race([closed, sleep(10_000)])
    socket.destroy()
    await load

    const exit = await Promise.race([server.exited, sleep(15_000).then(() => undefined)])
    if (!exit) throw new Error(`the server did not exit within 15 s of SIGTERM:\n${server.output()}`)
    const { code } = exit
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]) || undefined
    report.sigterm = { exitCode: code, inFlightAnswer: status, stoppedLogged: server.output().includes('"msg":"stopped"') }
    if (status === 201) {
      inFlight.acknowledge(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).data.id)
    } else {
      report.problems.push(`SIGTERM: the request in flight got ${status ?? 'no answer'}: ${answer.slice(0, 200)}`)
    }
    if (code !== 0) report.problems.push(`SIGTERM: exit code ${code}:\n${server.output()}`)
    if (!report.sigterm.stoppedLogged) report.problems.push(`SIGTERM: no "stopped" log line:\n${server.output()}`)
    log(`SIGTERM under load: in-flight request answered ${status}, exit code ${code}`)
  } catch (error) {
    report.problems.push(`SIGTERM: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    await ensureStopped(server)
  }
}
