import { existsSync } from 'node:fs'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { isPostgresUrl } from '../../migrations/dialect.ts'
import { dbPathFrom } from '../config.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { openStore, type Store } from '../db/open.ts'
import { cliCommand } from './invocation.ts'

export type Env = Record<string, string | undefined>

/** Where a command writes; tests pass their own to read what a user would see. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  env: Env
  /** What the user types to run this CLI where they are (see invocation.ts); default `dmtracker`. */
  command?: string
  /** Standard input as text (for --password-stdin); tests pass their own. */
  stdin?: () => Promise<string>
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  command: cliCommand({ argv: process.argv, execPath: process.execPath, cwd: process.cwd(), env: process.env }),
}

/** The command to show in anything printed for the user to run. */
export function commandOf(io: CliIo): string {
  return io.command ?? 'dmtracker'
}

/** Prints a help text with its `dmtracker ...` lines in the form that works where the user is. */
export function showHelp(io: CliIo, text: string) {
  io.out(text.replace(/(^|[\s`])dmtracker(?= [a-zA-Z[-])/gm, `$1${commandOf(io)}`))
}

/** A mistake in how the command was called: printed as one line, exit code 1. */
export class UsageError extends Error {
  /** Whether the line should point to the command's --help (a flag it does not know, say). */
  constructor(
    message: string,
    readonly pointToHelp = false,
  ) {
    super(message)
  }
}

export type Command = (args: string[], io: CliIo) => Promise<number>

const COMMON = {
  db: { type: 'string' },
  database: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options']

type Options = NonNullable<ParseArgsConfig['options']>

/** parseArgs with --db, --json and --help on every command; unknown flags are an error. */
export function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true })
  } catch (error) {
    // Node's own text for an unknown flag is two sentences about `--` with an unclosed quote.
    const { code, message } = error as { code?: string; message: string }
    const flag = /'(-[^'\s]*)'/.exec(message)?.[1]
    throw new UsageError(code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag ? `unknown option ${flag}` : message.split('\n')[0]!, true)
  }
}

/** Positional arguments, exactly `names.length` of them, or a usage error naming what is missing. */
export function positionals(given: string[], names: string[]): string[] {
  if (given.length < names.length) throw new UsageError(`missing ${names.slice(given.length).join(' ')}`)
  if (given.length > names.length) throw new UsageError(`unexpected argument "${given[names.length]}"`)
  return given
}

/** Opens and migrates the database named by --db / DMTRACKER_DB, runs `work`, closes. */
export async function withStore<T>(
  values: { db?: string | boolean | undefined; database?: string | boolean | undefined },
  env: Env,
  work: (store: Store) => Promise<T>,
): Promise<T> {
  const store = openStore(dbPathFrom(values, env))
  try {
    await migrateToLatest(store.db)
    return await work(store)
  } finally {
    await store.close()
  }
}

/**
 * withStore for a command that only reads: a database that does not exist yet is an error that says
 * how to make one, never an empty database created as a side effect.
 */
export async function withExistingStore<T>(
  values: { db?: string | boolean | undefined; database?: string | boolean | undefined },
  io: CliIo,
  work: (store: Store) => Promise<T>,
): Promise<T> {
  const path = dbPathFrom(values, io.env)
  if (path !== ':memory:' && !isPostgresUrl(path) && !existsSync(path)) {
    const command = commandOf(io)
    throw new UsageError(
      `no database at ${path}; nothing was created. Start the server (\`${command} serve\`) or run \`${command} org create --name NAME\` to make one, or pass --db PATH`,
    )
  }
  return withStore(values, io.env, work)
}

/** Prints `value` as JSON with --json, otherwise the human-readable lines. */
export function output(io: CliIo, json: boolean | undefined, value: unknown, human: () => string) {
  io.out(json ? JSON.stringify(value, null, 2) : human())
}

/** A group of subcommands (`org create`, `org list`, ...) with its help text. */
export function group(help: string, commands: Record<string, Command>): Command & { subcommands: string[] } {
  const run: Command = async (args, io) => {
    const [name, ...rest] = args
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      showHelp(io, help)
      return name === undefined ? 1 : 0
    }
    const command = commands[name]
    if (!command) throw new UsageError(`unknown command "${name}"`, true)
    if (rest.includes('--help') || rest.includes('-h')) {
      showHelp(io, help)
      return 0
    }
    return command(rest, io)
  }
  return Object.assign(run, { subcommands: Object.keys(commands) })
}

/** Fixed-width columns for list output. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)'
  const cells = [columns, ...rows.map((r) => columns.map((c) => String(r[c] ?? '')))]
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)))
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
