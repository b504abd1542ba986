import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import { cycles, folderGraph, importGraph, layerOf, upwardImports } from '../scripts/import-graph.ts'
import type { Database } from '../src/db/schema.ts'
import type { ReadDb, Trx } from '../src/db/write.ts'

// The structure docs/architecture.md describes, checked on every test run.

describe('architecture', () => {
  const graph = importGraph()

  it('has no import cycle between files', () => {
    assert.deepEqual(cycles(graph), [])
  })

  it('has no import cycle between folders', () => {
    assert.deepEqual(cycles(folderGraph(graph)), [])
  })

  it('imports only down the layers: entry -> cli/app -> http -> entities -> core/db', () => {
    assert.deepEqual(upwardImports(graph), [])
  })

  it('keeps core/ at the bottom: it imports only core/', () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      file.startsWith('src/core/') ? targets.filter((t) => !t.startsWith('src/core/')) : [],
    )
    assert.deepEqual(upward, [])
  })

  it('keeps HTTP out of core/ and out of the entities (route files aside)', () => {
    const offenders = [...graph.keys()]
      .filter((file) => layerOf(file) === 'core/db' || layerOf(file) === 'entities')
      .filter((file) => /from 'hono(\/[^']*)?'/.test(readFileSync(file, 'utf8')))
    assert.deepEqual(offenders, [])
  })

  it('places files in the layers the layout promises', () => {
    assert.equal(layerOf('src/main.ts'), 'entry')
    assert.equal(layerOf('src/cli/org.ts'), 'cli/app')
    assert.equal(layerOf('src/contacts/routes.ts'), 'http')
    assert.equal(layerOf('src/contacts/repo.ts'), 'entities')
    assert.equal(layerOf('src/core/errors.ts'), 'core/db')
  })
})

// Checked by the compiler (npm run typecheck), never run: the write rule in types.
function _writeRule(root: Kysely<Database>, read: ReadDb, trx: Trx, takesTrx: (trx: Trx) => void, takesRead: (db: ReadDb) => void) {
  // @ts-expect-error the root handle is not a write transaction: only store.write gives a Trx
  takesTrx(root)
  // @ts-expect-error a read handle cannot stand in for a write transaction
  takesTrx(read)
  // @ts-expect-error read code cannot build a write
  read.insertInto('tags')
  takesRead(trx) // a write transaction reads too
  takesRead(root)
}
void _writeRule
