import { existsSync } from 'node:fs'
import { isPostgresUrl } from '../../migrations/dialect.ts'
import { CopyError, copyDatabase } from '../db/copy.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { openStore } from '../db/open.ts'
import { redactUrl } from '../db/postgres.ts'
import { type Command, output, parse, positionals, showHelp, table, UsageError } from './common.ts'

const HELP = `Usage: dmtracker copy --from DATABASE --to DATABASE [--org ORG_ID] [--replace] [--json]
  Copies every organization's data (or with --org, one organization's) from one database to
  another: an SQLite file to PostgreSQL (postgres://user:password@host/name), back, or between two
  of a kind. Stop the servers writing to the source first: a copy sees the source as it is when
  each table is read. The target is migrated first, the copy is one transaction there, and it is
  verified afterwards: each table's row count and a checksum of its rows must match the source's.
  A target that already holds data is refused, unless --replace, which deletes its data first.
  See docs/scaling.md for moving a running installation step by step.`

export const copyCommand: Command = async (args, io) => {
  const { values, positionals: rest } = parse(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    org: { type: 'string' },
    replace: { type: 'boolean' },
  })
  if (values.help) {
    showHelp(io, HELP)
    return 0
  }
  positionals(rest, [])
  if (!values.from || !values.to) throw new UsageError('--from and --to are both required', true)
  if (values.from === values.to) throw new UsageError('--from and --to name the same database')
  if (!isPostgresUrl(values.from) && !existsSync(values.from)) throw new UsageError(`no database at ${values.from}`)
  const from = openStore(values.from)
  const to = openStore(values.to)
  try {
    // Both sides at this version's schema: an older source file is brought up to date first, as any command would.
    await migrateToLatest(from.db)
    await migrateToLatest(to.db)
    const report = await copyDatabase(from, to, { organizationId: values.org, replace: values.replace })
    const name = (location: string) => (isPostgresUrl(location) ? redactUrl(location) : location)
    output(io, values.json, { from: name(values.from), to: name(values.to), organization_id: values.org ?? null, tables: report }, () =>
      [
        `Copied ${values.org ? `organization ${values.org}` : 'every organization'} from ${name(values.from!)} to ${name(values.to!)}; verified:`,
        table(
          report.map((r) => ({ ...r })),
          ['table', 'rows', 'checksum'],
        ),
      ].join('\n'),
    )
    return 0
  } catch (error) {
    if (error instanceof CopyError) throw new UsageError(error.message)
    throw error
  } finally {
    await from.close()
    await to.close()
  }
}
