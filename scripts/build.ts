// Builds dist/dmtracker: one executable with the Bun runtime, bun:sqlite and the migrations inside.
// Run with Bun (`npm run build`). Usage: bun scripts/build.ts [--outfile PATH]
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'

const { values } = parseArgs({ options: { outfile: { type: 'string', default: 'dist/dmtracker' } } })
const root = resolve(import.meta.dir, '..')
const outfile = resolve(root, values.outfile!)

const result = await Bun.build({
  // The read workers' program is a second entry point: Bun bundles each one into the executable.
  entrypoints: [resolve(root, 'src/main.ts'), resolve(root, 'src/read-worker.ts')],
  compile: { outfile },
  minify: true,
  bytecode: true,
  sourcemap: 'none',
  target: 'bun',
  format: 'esm',
})
if (!result.success) {
  for (const log of result.logs) console.error(log)
  process.exit(1)
}
console.log(`built ${outfile}`)
