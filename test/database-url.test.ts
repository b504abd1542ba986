import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isPostgresUrl } from '../migrations/dialect.ts'
import { ConfigError, dbPathFrom, loadConfig } from '../src/config.ts'
import { redactUrl } from '../src/db/postgres.ts'

// Choosing the engine: --database / DMTRACKER_DATABASE_URL name PostgreSQL, --db / DMTRACKER_DB a file.

describe('which database a command uses', () => {
  const url = 'postgres://app:s3cret@db.internal:5432/dmtracker'

  it('takes --database, then --db, then DMTRACKER_DATABASE_URL, then DMTRACKER_DB, then the default file', () => {
    const env = { DMTRACKER_DATABASE_URL: url, DMTRACKER_DB: '/env/file.db' }
    assert.equal(dbPathFrom({ database: 'postgres://other/db', db: 'flag.db' }, env), 'postgres://other/db')
    assert.equal(dbPathFrom({ db: 'flag.db' }, env), 'flag.db')
    assert.equal(dbPathFrom({}, env), url)
    assert.equal(dbPathFrom({}, { DMTRACKER_DB: '/env/file.db' }), '/env/file.db')
    assert.equal(dbPathFrom({}, {}), './data/dmtracker.db')
  })

  it('knows a PostgreSQL URL from a file name', () => {
    for (const yes of [url, 'postgresql://localhost/x', 'POSTGRES://h/d']) assert.ok(isPostgresUrl(yes), yes)
    for (const no of ['./data/dmtracker.db', ':memory:', 'postgres.db', '/srv/postgres://x']) assert.ok(!isPostgresUrl(no), no)
  })

  it('never shows the password of a URL it prints', () => {
    assert.equal(redactUrl(url), 'postgres://app:***@db.internal:5432/dmtracker')
    assert.equal(redactUrl('postgres://app@db/x'), 'postgres://app@db/x')
    assert.ok(!redactUrl('postgres://a:b@c:notaport/d').includes(':b@'))
  })

  it('refuses automatic HTTPS with PostgreSQL (several instances cannot share one ACME account and challenge)', () => {
    assert.throws(
      () => loadConfig({ database: url, domain: ['crm.example.com'], 'acme-email': 'ops@example.com' }, {}),
      (error) => error instanceof ConfigError && /--domain .* SQLite database only/.test(error.message),
    )
    assert.equal(loadConfig({ database: url }, {}).dbPath, url)
  })
})
