import { parseArgs, type ParseArgsConfig } from 'node:util'
import { dbPathFrom } from '../config.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { openStore, type Store } from '../db/open.ts'

export type Env = Record<string, string | undefined>

/** Where a command writes; tests pass their own to read what a user would see. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  env: Env
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
}

/** A mistake in how the command was called: printed as one line, exit code 1. */
export class UsageError extends Error {}

export type Command = (args: string[], io: CliIo) => Promise<number>

const COMMON = {
  db: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options']

type Options = NonNullable<ParseArgsConfig['options']>

/** parseArgs with --db, --json and --help on every command; unknown flags are an error. */
export function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0])
  }
}

/** Positional arguments, exactly `names.length` of them, or a usage error naming what is missing. */
export function positionals(given: string[], names: string[]): string[] {
  if (given.length < names.length) throw new UsageError(`missing ${names.slice(given.length).join(' ')}`)
  if (given.length > names.length) throw new UsageError(`unexpected argument "${given[names.length]}"`)
  return given
}

/** Opens and migrates the database named by --db / DMTRACKER_DB, runs `work`, closes. */
export async function withStore<T>(values: { db?: string | boolean | undefined }, env: Env, work: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(dbPathFrom(values, env))
  try {
    await migrateToLatest(store.db)
    return await work(store)
  } finally {
    await store.close()
  }
}

/** Prints `value` as JSON with --json, otherwise the human-readable lines. */
export function output(io: CliIo, json: boolean | undefined, value: unknown, human: () => string) {
  io.out(json ? JSON.stringify(value, null, 2) : human())
}

/** A group of subcommands (`org create`, `org list`, ...) with its help text. */
export function group(help: string, commands: Record<string, Command>): Command {
  return async (args, io) => {
    const [name, ...rest] = args
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.out(help)
      return name === undefined ? 1 : 0
    }
    const command = commands[name]
    if (!command) throw new UsageError(`unknown command "${name}"\n${help}`)
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(help)
      return 0
    }
    return command(rest, io)
  }
}

/** Fixed-width columns for list output. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)'
  const cells = [columns, ...rows.map((r) => columns.map((c) => String(r[c] ?? '')))]
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)))
  return cells.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}
