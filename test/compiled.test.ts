import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { isoTime } from '../src/core/time.ts'
import { compiled, compiledWrite } from '../src/db/compiled.ts'
import { createOrganization } from '../src/organizations/service.ts'
import { setup, T0, type TestEnv } from './helpers.ts'

describe('compiled queries', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('builds once and binds each call’s values, keeping the constants of the query', async () => {
    const other = await env.store.write((trx) => createOrganization(trx, { name: 'Other', pageName: 'other_page' }, isoTime(T0)))
    let builds = 0
    const stage = compiled((db, orgId: string, name: string) => {
      builds++
      return db
        .selectFrom('pipeline_stages')
        .select(['organization_id', 'name'])
        .where('organization_id', '=', orgId)
        .where('name', '=', name)
        .where('active', '=', 1)
    })
    assert.deepEqual(await stage(env.store.db, env.org.id, 'Closed'), [{ organization_id: env.org.id, name: 'Closed' }])
    assert.deepEqual(await stage(env.store.db, other.id, 'Lost'), [{ organization_id: other.id, name: 'Lost' }])
    assert.deepEqual(await stage(env.store.db, other.id, 'No such stage'), [])
    assert.equal(builds, 1)
  })

  it('runs inside a write transaction like any query', async () => {
    const rename = compiledWrite((db, name: string, id: string) => db.updateTable('organizations').set({ name }).where('id', '=', id))
    await env.store.write((trx) => rename(trx, 'Renamed', env.org.id))
    const row = await env.store.db.selectFrom('organizations').select('name').where('id', '=', env.org.id).executeTakeFirstOrThrow()
    assert.equal(row.name, 'Renamed')
  })

  it('refuses a query in which an argument did not become a parameter', async () => {
    const branching = compiled((db, name: string | null) =>
      db
        .selectFrom('organizations')
        .select('id')
        .where('name', 'is', name === null ? null : 'x'),
    )
    await assert.rejects(branching(env.store.db, 'Acme'), /did not become query parameters/)
  })
})
