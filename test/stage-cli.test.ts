import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { Contact } from '../src/db/schema.ts'
import { addContact, cli, setup, type TestEnv } from './helpers.ts'

describe('dmtracker stage with contacts in the pipeline', () => {
  let env: TestEnv
  let john: Contact // In Conversation
  let jane: Contact // In Conversation
  const stage = (...argv: string[]) => cli(env.dbPath, 'stage', ...argv)
  const automation = (...argv: string[]) => cli(env.dbPath, 'automation', ...argv)
  const ok = async (result: Promise<{ code: number; out: string; err: string }>) => {
    const r = await result
    assert.equal(r.code, 0, r.err)
    return r.out
  }
  const status = (body: Record<string, unknown>) =>
    env.call('PATCH', '/api/v1/contact/contact-status', { organization_id: env.org.id, ...body })
  const stageOf = async (id: string) =>
    (
      await env.store.db
        .selectFrom('contacts as c')
        .leftJoin('pipeline_stages as s', 's.id', 'c.pipeline_stage_id')
        .select('s.name')
        .where('c.id', '=', id)
        .executeTakeFirstOrThrow()
    ).name
  const addRule = async (...flags: string[]) => JSON.parse(await ok(automation('add', env.org.id, ...flags, '--json'))).id as number

  beforeEach(async () => {
    env = await setup()
    john = await addContact(env, { username: 'johndoe', manychatId: '1' })
    jane = await addContact(env, { username: 'janedoe', manychatId: '2' })
    await status({ contact_id: jane.id, pipeline_stage: 'Interested' })
  })
  afterEach(async () => {
    await env.close()
  })

  it('remove --move-to moves the contacts and logs each move', async () => {
    const refused = await stage('remove', env.org.id, 'Interested')
    assert.equal(refused.code, 1)
    assert.match(refused.err, /"Interested" holds 1 contact\(s\); name the stage they move to with --move-to/)
    assert.equal(await stageOf(jane.id), 'Interested')

    assert.equal(
      await ok(stage('remove', env.org.id, 'interested', '--move-to', 'meeting booked')),
      'Removed stage "Interested"; moved 1 contact(s) to "Meeting Booked"',
    )
    assert.equal(await stageOf(jane.id), 'Meeting Booked')
    assert.equal(await stageOf(john.id), 'In Conversation')
    const moves = await env.store.db
      .selectFrom('activity_log')
      .select(['contact_id', 'old_value', 'new_value', 'via'])
      .where('via', '=', 'cli')
      .execute()
    assert.deepEqual(moves, [{ contact_id: jane.id, old_value: 'Interested', new_value: 'Meeting Booked', via: 'cli' }])
    const res = await status({ contact_id: jane.id, pipeline_stage: 'Interested' })
    assert.equal(res.status, 400)
  })

  it('renaming keeps contacts attached, and the API uses the new name', async () => {
    assert.equal(await ok(stage('rename', env.org.id, 'In Conversation', 'Talking')), 'Renamed stage to "Talking"')
    const res = await status({ contact_id: john.id, lead_status: 'won' })
    assert.equal(res.body.data.pipeline_stage, 'Talking')
    const listed = JSON.parse(await ok(stage('list', env.org.id, '--json')))
    assert.equal(listed.find((s: { name: string }) => s.name === 'Talking').contacts, 1)
    assert.equal((await status({ contact_id: jane.id, pipeline_stage: 'talking' })).body.data.pipeline_stage, 'Talking')
    assert.equal((await status({ contact_id: jane.id, pipeline_stage: 'In Conversation' })).status, 400)
  })

  it('the API refuses a deactivated stage; contacts already in it keep working', async () => {
    assert.equal(await ok(stage('deactivate', env.org.id, 'Interested')), 'Deactivated stage "Interested"')
    const refused = await status({ contact_id: john.id, pipeline_stage: 'Interested' })
    assert.equal(refused.status, 400)
    assert.match(refused.body.message, /valid stages: Outreach Sent, In Conversation, Meeting Booked, Closed, Lost$/)
    const res = await status({ contact_id: jane.id, lead_status: 'lost' })
    assert.deepEqual([res.status, res.body.data.pipeline_stage, res.body.data.lead_status], [200, 'Interested', 'lost'])
    await ok(stage('activate', env.org.id, 'Interested'))
    assert.equal((await status({ contact_id: john.id, pipeline_stage: 'Interested' })).status, 200)
  })

  it('deactivating a stage disables the rules that use it and says so', async () => {
    const toStatus = await addRule('--when-stage', 'Closed', '--set-status', 'won')
    const toStage = await addRule('--when-status', 'lost', '--set-stage', 'Closed')
    const unrelated = await addRule('--when-status', 'won', '--set-stage', 'Meeting Booked')
    assert.equal(
      await ok(stage('deactivate', env.org.id, 'closed')),
      `Deactivated stage "Closed"; disabled automation rule(s) #${toStatus}, #${toStage} that used it`,
    )
    const lost = await status({ contact_id: john.id, lead_status: 'lost' })
    assert.equal(lost.body.data.pipeline_stage, 'In Conversation')

    const refused = await automation('enable', env.org.id, String(toStage))
    assert.equal(refused.code, 1)
    assert.match(refused.err, new RegExp(`Rule #${toStage} uses stage "Closed", which is not active; activate the stage first`))
    await ok(stage('activate', env.org.id, 'Closed'))
    await ok(automation('enable', env.org.id, String(toStage)))
    const listed = JSON.parse(await ok(automation('list', env.org.id, '--json')))
    assert.deepEqual(
      listed.map((r: { id: number; enabled: boolean }) => [r.id, r.enabled]),
      [
        [toStatus, false],
        [toStage, true],
        [unrelated, true],
      ],
    )
  })

  it('removing a stage disables its rules, keeps them without a stage and says so', async () => {
    const rule = await addRule('--when-stage', 'Interested', '--set-status', 'won')
    const disabled = await addRule('--when-status', 'abandoned', '--set-stage', 'Interested', '--disabled')
    const out = await ok(stage('remove', env.org.id, 'Interested', '--move-to', 'Closed'))
    assert.equal(out, `Removed stage "Interested"; moved 1 contact(s) to "Closed"; disabled automation rule(s) #${rule} that used it`)
    assert.equal(await stageOf(jane.id), 'Closed')
    const listed = await ok(automation('list', env.org.id))
    assert.match(listed, new RegExp(`${rule}\\s+no\\s+when the stage becomes \\(removed stage\\), set the status to won`))
    assert.match(listed, new RegExp(`${disabled}\\s+no\\s+when the status becomes abandoned, move to stage \\(removed stage\\)`))
    const refused = await automation('enable', env.org.id, String(rule))
    assert.equal(refused.code, 1)
    assert.match(refused.err, new RegExp(`Rule #${rule}'s stage was removed; remove the rule and add a new one`))
    await ok(automation('remove', env.org.id, String(rule)))
  })
})
