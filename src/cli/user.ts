import * as v from 'valibot'
import { CLI_ACTOR, recordAudit } from '../audit/repo.ts'
import { AppError } from '../core/errors.ts'
import { email as emailField } from '../core/fields.ts'
import { isoTime } from '../core/time.ts'
import type { Role } from '../db/schema.ts'
import { listOrganizations } from '../organizations/service.ts'
import { hashPassword, passwordProblem } from '../sessions/password.ts'
import { createInvite, endUserSessions, findUserByEmail, listSessions, setPasswordHash } from '../sessions/service.ts'
import { addUser, ROLES } from '../users/service.ts'
import { type CliIo, group, output, parse, positionals, table, UsageError, withStore } from './common.ts'
import { serverBase } from './hints.ts'

const HELP = `Usage:
  dmtracker user add --email EMAIL [--name NAME] [--org ORG_ID] [--role member|admin|owner] [--json]
  dmtracker user invite --email EMAIL [--org ORG_ID] [--role member|admin|owner] [--url BASE_URL] [--json]
  dmtracker user set-password --email EMAIL --password-stdin
  dmtracker user sessions [--email EMAIL] [--json]
  dmtracker user sign-out-all --email EMAIL
Without --org the user has no membership; with --org on an existing user it adds (or changes) the membership.
invite prints a one-time link (valid 7 days) where the person sets a password and signs in to the web
app; --org may be left out when there is one organization; --url is the address people open (default:
where serve listens). set-password reads the password from standard input and signs the user out
everywhere. The API's "email" fields resolve to these users. Every command takes --db PATH.`

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
      store.write(async (trx) => {
        const user = await addUser(trx, { email: values.email!, name: values.name, organizationId: values.org, role }, isoTime())
        if (values.org)
          await recordAudit(
            trx,
            CLI_ACTOR,
            { organizationId: values.org, action: 'team', detail: `Added ${user.email} as ${role}` },
            isoTime(),
          )
        return user
      }),
    )
    const membership = values.org ? ` is ${role === 'member' ? 'a' : 'an'} ${role} of ${values.org}` : ''
    output(io, values.json, user, () => `User ${user.email} (${user.id})${membership}`)
    return 0
  },
  async invite(args, io) {
    const { values, positionals: rest } = parse(args, {
      email: { type: 'string' },
      org: { type: 'string' },
      role: { type: 'string' },
      url: { type: 'string' },
    })
    positionals(rest, [])
    if (!values.email) throw new UsageError('--email is required')
    const role = (values.role ?? 'member') as Role
    if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${values.role}"`)
    const now = Date.now()
    const invite = await withStore(values, io.env, (store) =>
      store.write(async (trx) => {
        let org = values.org
        if (!org) {
          const all = await listOrganizations(trx)
          if (all.length !== 1) throw new UsageError(`--org is required: there are ${all.length} organizations (see \`org list\`)`)
          org = all[0]!.id
        }
        // Checked here too, so a mistyped address fails now rather than when the link is opened.
        await addUserCheck(values.email!)
        const token = await createInvite(trx, { email: values.email!, organizationId: org, role }, now)
        await recordAudit(
          trx,
          CLI_ACTOR,
          { organizationId: org, action: 'team', detail: `Invited ${values.email} as ${role}` },
          isoTime(now),
        )
        return { organization_id: org, token }
      }),
    )
    const base = (values.url ?? serverBase(io.env)).replace(/\/+$/, '')
    const link = `${base}/invite/${invite.token}`
    const expires = isoTime(now + 7 * 24 * 3600_000)
    output(io, values.json, { link, email: values.email, organization_id: invite.organization_id, role, expires_at: expires }, () =>
      [`Invite for ${values.email} (${role} of ${invite.organization_id}); open once, before ${expires}:`, `  ${link}`].join('\n'),
    )
    return 0
  },
  async 'set-password'(args, io) {
    const { values, positionals: rest } = parse(args, { email: { type: 'string' }, 'password-stdin': { type: 'boolean' } })
    positionals(rest, [])
    if (!values.email) throw new UsageError('--email is required')
    // Never a flag: a password on the command line ends up in shell history and `ps`.
    if (!values['password-stdin'])
      throw new UsageError(
        '--password-stdin is required: pipe the password in, e.g. `printf %s "$PASSWORD" | dmtracker user set-password ...`',
      )
    const password = (await readStdin(io)).replace(/\r?\n$/, '')
    const problem = passwordProblem(password)
    if (problem) throw new UsageError(`the password is not acceptable: ${problem}`)
    const hash = await hashPassword(password)
    const ended = await withStore(values, io.env, (store) =>
      store.write(async (trx) => {
        const user = await findUserByEmail(trx, values.email!)
        if (!user) throw new AppError('not_found', `No user with email ${values.email}; add one with \`user add\` or \`user invite\``)
        return setPasswordHash(trx, user.id, hash)
      }),
    )
    output(
      io,
      values.json,
      { email: values.email, sessions_ended: ended },
      () => `Password set for ${values.email}; ${ended} session(s) signed out`,
    )
    return 0
  },
  async sessions(args, io) {
    const { values, positionals: rest } = parse(args, { email: { type: 'string' } })
    positionals(rest, [])
    const rows = await withStore(values, io.env, async (store) => {
      const user = values.email ? await findUserByEmail(store.db, values.email) : undefined
      if (values.email && !user) throw new AppError('not_found', `No user with email ${values.email}`)
      return listSessions(store.db, Date.now(), user?.id)
    })
    output(io, values.json, rows, () =>
      rows.length ? table(rows, ['email', 'organization_id', 'created_at', 'last_seen_at', 'expires_at']) : 'No live sessions',
    )
    return 0
  },
  async 'sign-out-all'(args, io) {
    const { values, positionals: rest } = parse(args, { email: { type: 'string' } })
    positionals(rest, [])
    if (!values.email) throw new UsageError('--email is required')
    const ended = await withStore(values, io.env, (store) =>
      store.write(async (trx) => {
        const user = await findUserByEmail(trx, values.email!)
        if (!user) throw new AppError('not_found', `No user with email ${values.email}`)
        return endUserSessions(trx, user.id)
      }),
    )
    output(io, values.json, { email: values.email, sessions_ended: ended }, () => `Signed ${values.email} out of ${ended} session(s)`)
    return 0
  },
})

async function addUserCheck(email: string): Promise<void> {
  if (!v.safeParse(emailField, email).success) throw new UsageError(`"${email}" is not a valid email address`)
}

async function readStdin(io: CliIo): Promise<string> {
  if (io.stdin) return io.stdin()
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
