import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { updateContact } from '../src/contacts/repo.ts'
import type { ChangeEvent } from '../src/db/changes.ts'
import { addContact, setup, type TestEnv } from './helpers.ts'

// The after-commit change feed the live board listens to.

describe('change feed', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('publishes a contact change once its transaction has committed, and never a rolled-back one', async () => {
    const contact = await addContact(env, { username: 'lead_one' })
    const seen: ChangeEvent[] = []
    env.store.changes.subscribe(env.org.id, (e) => seen.push(e))
    let seenInside = -1
    await env.store.write(async (trx) => {
      await updateContact(trx, contact.id, {}, new Date(env.now()).toISOString())
      seenInside = seen.length
    })
    assert.equal(seenInside, 0, 'not before the commit')
    assert.deepEqual(
      seen.map((e) => e.contactId),
      [contact.id],
    )
    await assert.rejects(
      env.store.write(async (trx) => {
        await updateContact(trx, contact.id, {}, new Date(env.now()).toISOString())
        throw new Error('rolled back')
      }),
    )
    assert.equal(seen.length, 1, 'nothing from the rolled-back write')
  })

  it('publishes a ManyChat reply recorded through the API, to its organization only', async () => {
    const other = await env.createOrg('Other')
    const mine: ChangeEvent[] = []
    const theirs: ChangeEvent[] = []
    env.store.changes.subscribe(env.org.id, (e) => mine.push(e))
    env.store.changes.subscribe(other.id, (e) => theirs.push(e))
    const res = await env.call('POST', '/api/v1/contact/default-reply', {
      organization_id: env.org.id,
      manychat_id: '77',
      username: 'replier',
      message_content: 'hi',
    })
    assert.equal(res.status, 200, res.text)
    assert.ok(mine.length >= 1)
    assert.equal(theirs.length, 0)
  })

  it('tells a resuming client what it missed, or that it must reload', async () => {
    const a = await addContact(env, { username: 'a_lead' })
    const b = await addContact(env, { username: 'b_lead' })
    const seen: ChangeEvent[] = []
    env.store.changes.subscribe(env.org.id, (e) => seen.push(e))
    const touch = (id: string) => env.store.write((trx) => updateContact(trx, id, {}, new Date(env.now()).toISOString()))
    await touch(a.id)
    await touch(b.id)
    await touch(a.id)
    const missed = env.store.changes.since(env.org.id, seen[0]!.id)!
    assert.deepEqual(
      missed.map((e) => e.contactId),
      [b.id, a.id],
    )
    assert.equal(env.store.changes.since(env.org.id, 'otherprocess-3'), undefined)
  })
})
