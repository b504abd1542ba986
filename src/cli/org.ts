import { isoTime } from '../core/time.ts'
import { updateFollowUpSettings } from '../follow-ups/settings.ts'
import { createOrganization, listOrganizations, setSubscriptionStatus } from '../organizations/service.ts'
import { group, output, parse, positionals, table, UsageError, withExistingStore, withStore } from './common.ts'
import { curlExample, serverBase } from './hints.ts'

const HELP = `Usage:
  dmtracker org create --name NAME [--page-name PAGE] [--json]   prints the id and a new token, shown once
  dmtracker org list [--json]
  dmtracker org set-status ORG_ID active|cancelled
  dmtracker org settings ORG_ID [--timezone TZ] [--cadence 1d,2d,4d,7d] [--json]
                                  follow-up settings: the board's IANA time zone and the days between
                                  follow-ups; without flags, prints them
Every command takes --db PATH (env DMTRACKER_DB, default ./data/dmtracker.db).`

export const orgCommand = group(HELP, {
  async create(args, io) {
    const { values, positionals: rest } = parse(args, { name: { type: 'string' }, 'page-name': { type: 'string' } })
    positionals(rest, [])
    if (!values.name) throw new UsageError('--name is required')
    const org = await withStore(values, io.env, (store) =>
      store.write((trx) => createOrganization(trx, { name: values.name!, pageName: values['page-name'] }, isoTime())),
    )
    output(io, values.json, { id: org.id, name: org.name, page_name: org.page_name, token: org.token.token }, () =>
      [
        `Organization ${org.name}`,
        `  id:    ${org.id}`,
        `  token: ${org.token.token}`,
        'The token is shown only this once; store it now.',
        `Try it: ${curlExample(org.id, org.token.token, serverBase(io.env))}`,
      ].join('\n'),
    )
    return 0
  },

  async list(args, io) {
    const { values, positionals: rest } = parse(args, {})
    positionals(rest, [])
    const orgs = await withExistingStore(values, io, (store) => listOrganizations(store.db))
    output(io, values.json, orgs, () => table(orgs, ['id', 'name', 'page_name', 'subscription_status', 'created_at']))
    return 0
  },

  async 'set-status'(args, io) {
    const { values, positionals: rest } = parse(args, {})
    const [orgId, status] = positionals(rest, ['ORG_ID', 'active|cancelled'])
    if (status !== 'active' && status !== 'cancelled') throw new UsageError(`status must be active or cancelled, got "${status}"`)
    await withExistingStore(values, io, (store) => store.write((trx) => setSubscriptionStatus(trx, orgId!, status)))
    io.out(`Organization ${orgId} is now ${status}`)
    return 0
  },

  async settings(args, io) {
    const { values, positionals: rest } = parse(args, { timezone: { type: 'string' }, cadence: { type: 'string' } })
    const [orgId] = positionals(rest, ['ORG_ID'])
    const settings = await withExistingStore(values, io, (store) =>
      store.write((trx) => updateFollowUpSettings(trx, orgId!, { timezone: values.timezone, cadence: values.cadence })),
    )
    output(io, values.json, settings, () =>
      [
        `Follow-up settings of ${orgId}`,
        `  timezone: ${settings.timezone}`,
        `  cadence:  ${settings.cadence_days.map((d) => `${d}d`).join(',')}`,
      ].join('\n'),
    )
    return 0
  },
})
