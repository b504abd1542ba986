import { isPostgresUrl } from '../../migrations/dialect.ts'
import { dbPathFrom } from '../config.ts'
import { isoTime } from '../core/time.ts'
import { BackupError, backupTo, restoreFrom } from '../db/backup.ts'
import { type CliIo, type Command, commandOf, parse, positionals, showHelp, UsageError, withExistingStore } from './common.ts'

const BACKUP_HELP = `Usage:
  dmtracker backup FILE [--db PATH]    consistent copy of the live database (safe while the server runs)
  dmtracker restore FILE [--db PATH]   puts a backup in place (stop the server first); the replaced
                                       database is kept beside it as <db>.before-restore-<time>`

function helpFor(values: { help?: boolean | undefined }, io: CliIo) {
  if (values.help) showHelp(io, BACKUP_HELP)
  return values.help === true
}

export const backupCommand: Command = async (args, io) => {
  const { values, positionals: rest } = parse(args, {})
  if (helpFor(values, io)) return 0
  const [file] = positionals(rest, ['FILE'])
  const { bytes } = await withExistingStore(values, io, async (store) => {
    try {
      return backupTo(store, file!)
    } catch (error) {
      throw new UsageError(error instanceof BackupError ? error.message : `backup failed: ${(error as Error).message}`)
    }
  })
  io.out(`Backed up to ${file} (${bytes} bytes, integrity ok)`)
  return 0
}

export const restoreCommand: Command = async (args, io) => {
  const { values, positionals: rest } = parse(args, {})
  if (helpFor(values, io)) return 0
  const [file] = positionals(rest, ['FILE'])
  const target = dbPathFrom(values, io.env)
  if (isPostgresUrl(target))
    throw new UsageError(
      `restore replaces an SQLite file; to load ${file} into PostgreSQL use \`${commandOf(io)} copy --from ${file} --to URL\``,
    )
  try {
    const { keptAs } = restoreFrom(file!, target, isoTime())
    io.out(`Restored ${target} from ${file}${keptAs ? `; the previous database is kept as ${keptAs}` : ''}`)
  } catch (error) {
    throw new UsageError(error instanceof BackupError ? error.message : `restore failed: ${(error as Error).message}`)
  }
  return 0
}
