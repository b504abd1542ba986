import { ConfigError } from '../config.ts'
import { AppError } from '../core/errors.ts'
import { VERSION } from '../system/routes.ts'
import { versionLine } from '../system/version.ts'
import { automationCommand } from './automation.ts'
import { backupCommand, restoreCommand } from './backup.ts'
import { type CliIo, type Command, commandOf, showHelp, UsageError } from './common.ts'
import { copyCommand } from './copy.ts'
import { orgCommand } from './org.ts'
import { migrateCommand, SERVE_HELP, serveCommand } from './serve.ts'
import { stageCommand } from './stage.ts'
import { tokenCommand } from './token.ts'
import { userCommand } from './user.ts'
import { webhookCommand } from './webhook.ts'

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  migrate: migrateCommand,
  org: orgCommand,
  token: tokenCommand,
  user: userCommand,
  stage: stageCommand,
  automation: automationCommand,
  backup: backupCommand,
  restore: restoreCommand,
  copy: copyCommand,
  webhook: webhookCommand,
}

export const HELP = `dmtracker ${VERSION}: a self-hosted server for the DmTracker API

Usage: dmtracker [command] [options]
  serve       run the HTTP server (the default command)
  version     print the version, git commit and build date (also --version)
  migrate     apply pending database migrations
  org         create, list and cancel organizations; follow-up settings
  token       create, list and revoke API tokens
  user        add users and memberships; web app invites, passwords and sessions
  stage       manage an organization's pipeline stages
  automation  manage smart automations (stage -> status, status -> stage rules)
  backup      copy the live database to a file (safe while serving)
  restore     put a backup in place (server stopped)
  copy        copy the data between SQLite and PostgreSQL, verified (docs/scaling.md)
  webhook     signed outbound webhooks: add, list, remove, rotate-secret, test, deliveries, retry

Run \`dmtracker COMMAND --help\` for a command's options.

${SERVE_HELP}`

/** Runs one CLI invocation and returns its exit code; errors become one line on stderr. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv
  if (first === '--version' || first === '-v' || first === 'version') {
    io.out(versionLine())
    return 0
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    showHelp(io, HELP)
    return 0
  }
  const [name, args] = first === undefined || first.startsWith('-') ? ['serve', argv] : [first, rest]
  const command = COMMANDS[name]
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; run \`${commandOf(io)} --help\``)
    return await command(args, io)
  } catch (error) {
    if (error instanceof UsageError && error.pointToHelp) {
      const sub = command && 'subcommands' in command && (command.subcommands as string[]).includes(args[0]!) ? ` ${args[0]}` : ''
      io.err(`dmtracker: ${error.message}; see \`${commandOf(io)} ${name}${sub} --help\``)
      return 1
    }
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof AppError) {
      io.err(`dmtracker: ${error.message}`)
      return 1
    }
    io.err(`dmtracker: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
}
