import { createOrganization, listOrganizations, setSubscriptionStatus } from '../organizations/service.ts'
import { group, output, parse, positionals, table, UsageError, withStore } from './common.ts'
import { curlExample } from './hints.ts'

const HELP = `Usage:
  dmtracker org create --name NAME [--page-name PAGE] [--json]   prints the id and a new token, shown once
  dmtracker org list [--json]
  dmtracker org set-status ORG_ID active|cancelled
Every command takes --db PATH (env DMTRACKER_DB, default ./data/dmtracker.db).`

export const orgCommand = group(HELP, {
  async create(args, io) {
    const { values, positionals: rest } = parse(args, { name: { type: 'string' }, 'page-name': { type: 'string' } })
    positionals(rest, [])
    if (!values.name) throw new UsageError('--name is required')
    const org = await withStore(values, io.env, (store) =>
      store.write((trx) => createOrganization(trx, { name: values.name!, pageName: values['page-name'] }, new Date())),
    )
    output(io, values.json, { id: org.id, name: org.name, page_name: org.page_name, token: org.token.token }, () =>
      [
        `Organization ${org.name}`,
        `  id:    ${org.id}`,
        `  token: ${org.token.token}`,
        'The token is shown only this once; store it now.',
        `Try it: ${curlExample(org.id, org.token.token)}`,
      ].join('\n'),
    )
    return 0
  },

  async list(args, io) {
    const { values, positionals: rest } = parse(args, {})
    positionals(rest, [])
    const orgs = await withStore(values, io.env, (store) => listOrganizations(store.db))
    output(io, values.json, orgs, () => table(orgs, ['id', 'name', 'page_name', 'subscription_status', 'created_at']))
    return 0
  },

  async 'set-status'(args, io) {
    const { values, positionals: rest } = parse(args, {})
    const [orgId, status] = positionals(rest, ['ORG_ID', 'active|cancelled'])
    if (status !== 'active' && status !== 'cancelled') throw new UsageError(`status must be active or cancelled, got "${status}"`)
    await withStore(values, io.env, (store) => store.write((trx) => setSubscriptionStatus(trx, orgId!, status)))
    io.out(`Organization ${orgId} is now ${status}`)
    return 0
  },
})
