// The compiled binary as the crash test and the soak see it: built into a folder of their own,
// run on loopback with a free port, watched through its JSON log, stopped or killed on demand.
// Runs under Node (the e2e test) and under Bun (the scripts).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')

/** Builds the binary with the project's own build script, as `npm run build` does. */
export function buildBinary(outfile: string): void {
  const build = spawnSync(resolve(ROOT, 'node_modules/.bin/bun'), ['scripts/build.ts', '--outfile', outfile], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr || build.stdout}`)
}

/** Runs a CLI command of the binary and parses its --json output. */
export function cliJson<T>(binary: string, args: string[]): T {
  const result = spawnSync(binary, [...args, '--json'], { encoding: 'utf8', env: { PATH: process.env.PATH } })
  if (result.status !== 0) throw new Error(`dmtracker ${args.join(' ')}: ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}

export interface ServerProcess {
  readonly pid: number
  /** Resolves with the base URL once the server logs "listening"; rejects if it exits first or takes over 20 s. */
  readonly listening: Promise<string>
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Everything it wrote to stdout and stderr so far (the last 64 KiB). */
  output(): string
  kill(signal: NodeJS.Signals): void
}

const KEEP = 64 * 1024
const START_TIMEOUT_MS = 20_000

/**
 * Starts `binary serve` on 127.0.0.1 with a free port; `args` are extra serve options. Of the
 * environment only PATH and DMTRACKER_* settings are passed on (e.g. DMTRACKER_CHECKPOINT=inline
 * npm run soak); flags given here win over them.
 */
export function startServer(binary: string, dbPath: string, args: string[] = []): ServerProcess {
  const settings = Object.entries(process.env).filter(([name]) => name.startsWith('DMTRACKER_'))
  const child: ChildProcess = spawn(binary, ['serve', '--host', '127.0.0.1', '--port', '0', '--db', dbPath, ...args], {
    env: { PATH: process.env.PATH, ...Object.fromEntries(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  let onOutput: ((all: string) => void) | undefined
  const collect = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-KEEP)
    onOutput?.(text)
  }
  // Both pipes are always drained, so a chatty server can never block on a full pipe.
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  const listening = new Promise<string>((resolveUrl, reject) => {
    onOutput = (all) => {
      const line = all.split('\n').find((l) => l.includes('"msg":"listening"'))
      if (line) {
        onOutput = undefined
        resolveUrl(JSON.parse(line).url)
      }
    }
    void exited.then(({ code, signal }) => reject(new Error(`server exited (code ${code}, signal ${signal}) before listening:\n${text}`)))
    setTimeout(
      () => reject(new Error(`server did not start listening within ${START_TIMEOUT_MS / 1000} s:\n${text}`)),
      START_TIMEOUT_MS,
    ).unref()
  })
  listening.catch(() => {}) // callers that kill during startup never wait for it
  return {
    pid: child.pid!,
    listening,
    exited,
    output: () => text,
    kill: (signal) => void child.kill(signal),
  }
}

/** Kills the process if it is still running and waits for it: for `finally` blocks. */
export async function ensureStopped(server: ServerProcess | undefined): Promise<void> {
  if (!server) return
  server.kill('SIGKILL')
  await server.exited
}
