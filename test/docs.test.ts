// The README and docs/ are what a new user reads first: their tables must render and their
// references must lead somewhere inside the repository.

import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { SERVE_HELP } from '../src/cli/serve.ts'

const root = resolve(import.meta.dirname, '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
]

describe('README and docs', () => {
  it('has a configuration table with every serve flag, in one piece', () => {
    const lines = readme.split('\n')
    const start = lines.findIndex((l) => l.startsWith('| Flag |'))
    assert.ok(start > 0, 'no configuration table')
    const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'))
    const rows = lines.slice(start, end).join('\n')
    // A blank line ends a Markdown table: rows after it would render as plain text.
    const next = lines.slice(end).find((l) => l.trim() !== '')
    assert.ok(!next?.startsWith('|'), `a table row after the table ended: ${next}`)
    for (const flag of SERVE_HELP.match(/--[a-z-]+/g)!) assert.ok(rows.includes(`\`${flag}\``), `${flag} is not in the table`)
  })

  it('is a map of at most 250 lines that links every document in docs/', () => {
    assert.ok(readme.split('\n').length <= 250)
    for (const doc of docs.slice(1)) assert.ok(readme.includes(`](${doc})`), `README does not link ${doc}`)
  })

  it('refers only to files inside the repository', () => {
    for (const doc of docs) {
      const text = readFileSync(join(root, doc), 'utf8')
      const targets = [...text.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g), ...text.matchAll(/`(\.\.\/[^`\s]+)`/g)].map((m) => m[1]!)
      for (const target of targets) {
        const path = resolve(dirname(join(root, doc)), target)
        assert.ok(!relative(root, path).startsWith('..'), `${doc} refers to ${target}, outside the repository`)
        assert.ok(existsSync(path), `${doc} links ${target}, which does not exist`)
      }
    }
  })
})
