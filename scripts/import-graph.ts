import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

// The import graph of src/ and migrations/, and the two rules docs/architecture.md states: no
// cycle between files or folders, and imports that run down the layers. `npm test` runs it
// through test/architecture.test.ts; `node --import tsx scripts/import-graph.ts` prints it.

const ROOT = resolve(import.meta.dirname, '..')

/**
 * Higher imports lower. Route files live in entity folders but belong to the HTTP layer, as do the
 * read tasks the routes hand to the read workers; the read worker is a thread's entry point.
 */
export const LAYERS = ['core/db', 'entities', 'http', 'cli/app', 'entry'] as const
export type Layer = (typeof LAYERS)[number]

const LOWEST = new Set(['core', 'db', 'runtime', 'migrations'])
const HTTP = new Set(['http', 'openapi', 'system', 'web'])

export function layerOf(file: string): Layer {
  const parts = file.split('/')
  if (parts[0] === 'migrations') return 'core/db'
  if (file === 'src/main.ts' || file === 'src/read-worker.ts') return 'entry'
  if (file === 'src/read-tasks.ts') return 'http'
  if (file === 'src/app.ts' || parts[1] === 'cli') return 'cli/app'
  if (parts.length === 2) return 'core/db' // src/config.ts and the like: read by every layer
  if (LOWEST.has(parts[1]!)) return 'core/db'
  if (HTTP.has(parts[1]!) || parts.at(-1) === 'routes.ts') return 'http'
  return 'entities'
}

/**
 * The folder a file counts as for folder cycles: src/<folder>, or the file itself at the top. An
 * entity's routes.ts counts on its own: it is the HTTP layer's file, which the entity's other files
 * never import, and HTTP pieces may depend on the entity below it.
 */
export function folderOf(file: string): string {
  const parts = file.split('/')
  if (parts.length > 2 && parts.at(-1) === 'routes.ts' && !['http', 'openapi', 'system'].includes(parts[1]!)) return file
  return parts.length > 2 ? parts.slice(0, 2).join('/') : file
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** Every file's imports of other project files (type-only imports count: they are dependencies too). */
export function importGraph(): Map<string, string[]> {
  const files = [...sourceFiles('src'), ...sourceFiles('migrations')]
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8')
    const targets = new Set<string>()
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2]!
      if (spec === '#runtime') {
        targets.add('src/runtime/bun.ts').add('src/runtime/node.ts')
      } else if (spec.startsWith('.')) {
        const target = relative(ROOT, resolve(ROOT, dirname(file), spec))
        if (target.startsWith('src/') || target.startsWith('migrations/')) targets.add(target)
      }
    }
    graph.set(
      file,
      [...targets].filter((t) => t !== file),
    )
  }
  return graph
}

/** Strongly connected components with more than one member: each is a cycle. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const stack: string[] = []
  const state = new Map<string, { index: number; low: number; onStack: boolean }>()
  const found: string[][] = []
  const visit = (node: string) => {
    const s = { index, low: index, onStack: true }
    index++
    state.set(node, s)
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      const t = state.get(next)
      if (!t) {
        visit(next)
        s.low = Math.min(s.low, state.get(next)!.low)
      } else if (t.onStack) {
        s.low = Math.min(s.low, t.index)
      }
    }
    if (s.low === s.index) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        state.get(member)!.onStack = false
        component.push(member)
      } while (member !== node)
      if (component.length > 1) found.push(component.sort())
    }
  }
  for (const node of graph.keys()) if (!state.has(node)) visit(node)
  return found
}

/** The same graph between folders. */
export function folderGraph(graph: Map<string, string[]>): Map<string, string[]> {
  const folders = new Map<string, Set<string>>()
  for (const [file, targets] of graph) {
    const from = folderOf(file)
    const set = folders.get(from) ?? new Set()
    for (const target of targets) if (folderOf(target) !== from) set.add(folderOf(target))
    folders.set(from, set)
  }
  return new Map([...folders].map(([k, v]) => [k, [...v]]))
}

/** Imports from a lower layer to a higher one, as "from -> to". */
export function upwardImports(graph: Map<string, string[]>): string[] {
  const rank = (file: string) => LAYERS.indexOf(layerOf(file))
  return [...graph].flatMap(([file, targets]) => targets.filter((t) => rank(t) > rank(file)).map((t) => `${file} -> ${t}`))
}

if (import.meta.main || process.argv[1] === import.meta.filename) {
  const graph = importGraph()
  const fileCycles = cycles(graph)
  const folderCycles = cycles(folderGraph(graph))
  const upward = upwardImports(graph)
  console.log(`files: ${graph.size}, imports: ${[...graph.values()].reduce((n, t) => n + t.length, 0)}`)
  console.log(`file cycles: ${fileCycles.length}`)
  for (const c of fileCycles) console.log(`  ${c.join(' <-> ')}`)
  console.log(`folder cycles: ${folderCycles.length}`)
  for (const c of folderCycles) console.log(`  ${c.join(' <-> ')}`)
  console.log(`upward imports: ${upward.length}`)
  for (const u of upward) console.log(`  ${u}`)
}
