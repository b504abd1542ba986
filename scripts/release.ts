// npm run release: the binary for every platform we publish, cross-compiled from this machine with
// Bun's --target (Bun fetches each target's runtime from the npm registry, @oven/bun-<target>, once,
// into its cache), named dmtracker-<version>-<platform>[.exe], plus SHA256SUMS in `sha256sum -c` form.
// Usage: bun scripts/release.ts [--outdir dist/release] [--platform linux-x64 ...]
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import pkg from '../package.json' with { type: 'json' }
import { buildBinary } from './build.ts'

/**
 * x64 builds use Bun's baseline runtime: the default one needs AVX2, which some VPS CPUs (QEMU's
 * generic model, older hosts) lack, and an "Illegal instruction" on first start is a poor welcome.
 */
export const PLATFORMS = {
  'linux-x64': 'bun-linux-x64-baseline',
  'linux-arm64': 'bun-linux-arm64',
  'darwin-arm64': 'bun-darwin-arm64',
  'darwin-x64': 'bun-darwin-x64-baseline',
  'windows-x64': 'bun-windows-x64-baseline',
} as const satisfies Record<string, Bun.Build.CompileTarget>

export type Platform = keyof typeof PLATFORMS

export function releaseName(platform: Platform, version = pkg.version): string {
  return `dmtracker-${version}-${platform}${platform.startsWith('windows') ? '.exe' : ''}`
}

const root = resolve(import.meta.dir, '..')
const { values } = parseArgs({
  options: { outdir: { type: 'string', default: 'dist/release' }, platform: { type: 'string', multiple: true } },
})
const outdir = resolve(root, values.outdir!)
const platforms = (values.platform ?? Object.keys(PLATFORMS)) as Platform[]
for (const platform of platforms)
  if (!(platform in PLATFORMS)) throw new Error(`unknown platform ${platform}; one of ${Object.keys(PLATFORMS).join(', ')}`)

rmSync(outdir, { recursive: true, force: true })
mkdirSync(outdir, { recursive: true })
const built = new Date() // one build date for the whole release
const sums: string[] = []
for (const platform of platforms) {
  const started = performance.now()
  const name = releaseName(platform)
  await buildBinary(join(outdir, name), PLATFORMS[platform], built)
  sums.push(
    `${createHash('sha256')
      .update(readFileSync(join(outdir, name)))
      .digest('hex')}  ${name}`,
  )
  console.log(`built ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`)
}
writeFileSync(join(outdir, 'SHA256SUMS'), `${sums.join('\n')}\n`)
console.log(`wrote ${join(outdir, 'SHA256SUMS')}`)
