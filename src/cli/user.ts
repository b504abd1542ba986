import { isoTime } from '../core/time.ts'
import type { Role } from '../db/schema.ts'
import { addUser, ROLES } from '../users/service.ts'
import { group, output, parse, positionals, UsageError, withStore } from './common.ts'

const HELP = `Usage:
  dmtracker user add --email EMAIL [--name NAME] [--org ORG_ID] [--role member|admin|owner] [--json]
Without --org the user has no membership; with --org on an existing user it adds (or changes) the membership.
The API's "email" fields resolve to these users. Every command takes --db PATH.`

export const userCommand = group(HELP, {
  async add(args, io) {
    const { values, positionals: rest } = parse(args, {
      email: { type: 'string' },
      name: { type: 'string' },
      org: { type: 'string' },
      role: { type: 'string' },
    })
    positionals(rest, [])
    if (!values.email) throw new UsageError('--email is required')
    const role = (values.role ?? 'member') as Role
    if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${values.role}"`)
    if (values.role && !values.org) throw new UsageError('--role needs --org')
    const user = await withStore(values, io.env, (store) =>
      store.write((trx) => addUser(trx, { email: values.email!, name: values.name, organizationId: values.org, role }, isoTime())),
    )
    output(io, values.json, user, () => `User ${user.email} (${user.id})${values.org ? ` is a ${role} of ${values.org}` : ''}`)
    return 0
  },
})
