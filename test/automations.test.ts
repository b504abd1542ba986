import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { addContact, cli, setup, type TestEnv } from './helpers.ts'

describe('dmtracker automation', () => {
  let env: TestEnv
  const run = (...argv: string[]) => cli(env.dbPath, 'automation', ...argv)
  const json = async (...argv: string[]) => {
    const result = await run(...argv, '--json')
    assert.equal(result.code, 0, result.err)
    return JSON.parse(result.out)
  }
  const failure = async (...argv: string[]) => {
    const result = await run(...argv)
    assert.equal(result.code, 1, result.out)
    return result.err
  }
  const rules = () => env.store.db.selectFrom('automations').select(['id', 'kind', 'enabled']).orderBy('id').execute()

  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('adds rules of both kinds and lists them', async () => {
    const closedWon = await json('add', env.org.id, '--when-stage', 'closed', '--set-status', 'WON')
    assert.deepEqual(
      { ...closedWon, created_at: undefined },
      {
        id: closedWon.id,
        organization_id: env.org.id,
        kind: 'stage_to_status',
        stage: 'Closed',
        lead_status: 'won',
        enabled: true,
        created_at: undefined,
        description: 'when the stage becomes "Closed", set the status to won',
      },
    )
    const added = await run('add', env.org.id, '--when-status', 'abandoned', '--set-stage', 'Lost', '--disabled')
    assert.equal(added.code, 0, added.err)
    assert.match(added.out, /^Added automation rule #\d+: when the status becomes abandoned, move to stage "Lost" \(disabled\)$/)

    const listed = await json('list', env.org.id)
    assert.deepEqual(
      listed.map((r: { kind: string; enabled: boolean }) => [r.kind, r.enabled]),
      [
        ['stage_to_status', true],
        ['status_to_stage', false],
      ],
    )
    const human = await run('list', env.org.id)
    assert.match(
      human.out,
      /^id\s+enabled\s+description\n\d+\s+yes\s+when the stage becomes "Closed", set the status to won\n\d+\s+no\s+when the status becomes abandoned/,
    )
  })

  it('lists no rules for a new organization', async () => {
    assert.equal((await run('list', env.org.id)).out, '(none)')
  })

  it('enables, disables and removes a rule by id', async () => {
    const { id } = await json('add', env.org.id, '--when-status', 'won', '--set-stage', 'Closed')
    assert.match((await run('disable', env.org.id, String(id))).out, new RegExp(`^Disabled automation rule #${id}: .* \\(disabled\\)$`))
    assert.deepEqual(
      (await rules()).map((r) => r.enabled),
      [0],
    )
    assert.match(
      (await run('enable', env.org.id, String(id))).out,
      new RegExp(`^Enabled automation rule #${id}: when the status becomes won, move to stage "Closed"$`),
    )
    assert.deepEqual(
      (await rules()).map((r) => r.enabled),
      [1],
    )
    assert.match((await run('remove', env.org.id, String(id))).out, new RegExp(`^Removed automation rule #${id}`))
    assert.deepEqual(await rules(), [])
  })

  it('a rule added with the CLI runs through the API until it is disabled', async () => {
    const contact = await addContact(env, { username: 'johndoe', manychatId: '12345678' })
    const { id } = await json('add', env.org.id, '--when-status', 'won', '--set-stage', 'Closed')
    const patch = (status: string) =>
      env.call('PATCH', '/api/v1/contact/contact-status', { organization_id: env.org.id, contact_id: contact.id, lead_status: status })
    assert.equal((await patch('won')).body.data.pipeline_stage, 'Closed')
    await run('disable', env.org.id, String(id))
    await patch('open')
    await patch('won')
    const logged = await env.store.db.selectFrom('activity_log').select(['via', 'automation_id']).orderBy('id').execute()
    assert.deepEqual(logged, [
      { via: 'api', automation_id: null },
      { via: 'automation', automation_id: id },
      { via: 'api', automation_id: null },
      { via: 'api', automation_id: null },
    ])
  })

  const refused: { name: string; argv: (org: string) => string[]; error: RegExp }[] = [
    {
      name: 'an unknown stage',
      argv: (org) => ['add', org, '--when-stage', 'Done', '--set-status', 'won'],
      error:
        /Stage "Done" is not an active pipeline stage; valid stages: Outreach Sent, In Conversation, Interested, Meeting Booked, Closed, Lost/,
    },
    {
      name: 'an unknown status',
      argv: (org) => ['add', org, '--when-status', 'sold', '--set-stage', 'Closed'],
      error: /Unknown lead status "sold"; use one of open, won, lost, abandoned/,
    },
    {
      name: 'a missing half',
      argv: (org) => ['add', org, '--when-stage', 'Closed'],
      error: /give either --when-stage STAGE --set-status STATUS, or --when-status STATUS --set-stage STAGE/,
    },
    { name: 'mixed kinds', argv: (org) => ['add', org, '--when-stage', 'Closed', '--set-stage', 'Lost'], error: /give either/ },
    {
      name: 'both kinds at once',
      argv: (org) => ['add', org, '--when-stage', 'Closed', '--set-status', 'won', '--when-status', 'won', '--set-stage', 'Closed'],
      error: /give either/,
    },
    {
      name: 'an unknown organization',
      argv: () => ['add', '00000000-0000-4000-8000-000000000000', '--when-stage', 'Closed', '--set-status', 'won'],
      error: /No organization with id/,
    },
    { name: 'a missing ORG_ID', argv: () => ['list'], error: /missing ORG_ID/ },
    { name: 'an unknown rule id', argv: () => ['enable', env.org.id, '99'], error: /No automation rule #99/ },
    { name: 'a rule id that is not a number', argv: () => ['remove', env.org.id, 'first'], error: /ID must be a rule number/ },
  ]
  for (const c of refused) {
    it(`refuses ${c.name} with a clear message`, async () => {
      assert.match(await failure(...c.argv(env.org.id)), c.error)
      assert.deepEqual(await rules(), [])
    })
  }

  it('refuses duplicates and a second enabled rule for the same trigger', async () => {
    const first = await json('add', env.org.id, '--when-stage', 'Closed', '--set-status', 'won')
    assert.match(
      await failure('add', env.org.id, '--when-stage', 'CLOSED', '--set-status', 'won', '--disabled'),
      new RegExp(`Rule #${first.id} already does this`),
    )
    assert.match(
      await failure('add', env.org.id, '--when-stage', 'Closed', '--set-status', 'lost'),
      new RegExp(`Rule #${first.id} \\(when the stage becomes "Closed", set the status to won\\) is enabled for the same trigger`),
    )
    const spare = await json('add', env.org.id, '--when-stage', 'Closed', '--set-status', 'lost', '--disabled')
    assert.match(await failure('enable', env.org.id, String(spare.id)), /is enabled for the same trigger/)
    // A status-to-stage rule naming the same stage has another trigger (the status), so it is fine.
    await json('add', env.org.id, '--when-status', 'won', '--set-stage', 'Closed')
    assert.equal((await run('disable', env.org.id, String(first.id))).code, 0)
    assert.equal((await run('enable', env.org.id, String(spare.id))).code, 0)
    assert.deepEqual(
      (await rules()).map((r) => r.enabled),
      [0, 1, 1],
    )
  })

  it('prints its usage for --help and for no subcommand', async () => {
    const help = await run('--help')
    assert.equal(help.code, 0)
    assert.match(help.out, /automation add ORG_ID --when-stage STAGE --set-status STATUS \[--disabled\] \[--json\]/)
    assert.equal((await run()).code, 1)
    assert.match((await cli(env.dbPath, '--help')).out, /automation\s+manage smart automations/)
  })
})
