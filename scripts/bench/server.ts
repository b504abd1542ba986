import { spawn, spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'

export interface Launch {
  /** argv: the program and its arguments. */
  command: string[]
  env?: Record<string, string>
  cwd?: string
}

export interface Running {
  readonly url: string
  readonly pid: number
  /** Kilobytes: the current resident set (VmRSS) and the peak since start (VmHWM), from /proc. */
  rss(): { now: number; peak: number }
  /** Milliseconds of CPU (user + system) the process has used, from /proc. */
  cpuMs(): number
  stop(): Promise<void>
}

/** A free loopback port (the kernel's pick, released just before the server takes it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100

function readCpuMs(pid: number): number {
  // Fields after the command name: state is the 1st, utime the 12th, stime the 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
}

export function readRss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
  return { now: kb('VmRSS'), peak: kb('VmHWM') }
}

/**
 * Starts a server on loopback (its output goes to `logPath`) and resolves once `ready` answers.
 * The process is killed if it does not come up within `timeoutMs`; readiness is polled every `pollMs`.
 */
export async function start(
  launch: Launch,
  port: number,
  logPath: string,
  ready: (url: string) => Promise<boolean>,
  timeoutMs = 120_000,
  pollMs = 5,
): Promise<Running> {
  const log = openSync(logPath, 'a')
  const child = spawn(launch.command[0]!, launch.command.slice(1), {
    cwd: launch.cwd,
    env: { ...process.env, ...launch.env },
    stdio: ['ignore', log, log],
  })
  closeSync(log)
  const url = `http://127.0.0.1:${port}`
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
  const deadline = Date.now() + timeoutMs
  while (!(await ready(url).catch(() => false))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`${launch.command.join(' ')} did not start (see ${logPath})`)
    }
    await Bun.sleep(pollMs)
  }
  return { url, pid: child.pid!, rss: () => readRss(child.pid!), cpuMs: () => readCpuMs(child.pid!), stop }
}
