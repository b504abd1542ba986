// Builds dist/dmtracker: one executable with the Bun runtime, bun:sqlite and the migrations inside.
// Run with Bun (`npm run build`). Usage: bun scripts/build.ts [--outfile PATH] [--target bun-linux-arm64]
// The binary knows the commit and date it was built from (`dmtracker version`, GET /version).
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

const root = resolve(import.meta.dir, '..')

/** The commit this checkout is at, short; `unknown` outside git. */
export function checkoutCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return 'unknown'
  }
}

/** Compiles src/main.ts into one executable for `target` (a Bun cross-compile target; default: this machine). */
export async function buildBinary(outfile: string, target?: Bun.Build.CompileTarget, built = new Date()) {
  const result = await Bun.build({
    // The read workers' program is a second entry point: Bun bundles each one into the executable.
    entrypoints: [resolve(root, 'src/main.ts'), resolve(root, 'src/read-worker.ts')],
    compile: target ? { outfile, target } : { outfile },
    minify: true,
    bytecode: true,
    sourcemap: 'none',
    target: 'bun',
    format: 'esm',
    define: {
      DMTRACKER_BUILD_COMMIT: JSON.stringify(checkoutCommit()),
      DMTRACKER_BUILD_DATE: JSON.stringify(built.toISOString().replace(/\.\d+Z$/, 'Z')),
    },
  })
  if (!result.success) throw new AggregateError(result.logs, `build of ${outfile} failed`)
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { outfile: { type: 'string', default: 'dist/dmtracker' }, target: { type: 'string' } } })
  const outfile = resolve(root, values.outfile!)
  try {
    await buildBinary(outfile, values.target as Bun.Build.CompileTarget | undefined)
  } catch (error) {
    for (const log of (error as AggregateError).errors ?? [error]) console.error(log)
    process.exit(1)
  }
  console.log(`built ${outfile}`)
}
