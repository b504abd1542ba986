import { basename, delimiter, dirname, isAbsolute, relative } from 'node:path'

/** What the process was started as; tests pass their own to see what a user of the binary sees. */
export interface Invocation {
  argv: readonly string[]
  execPath: string
  cwd: string
  env: Record<string, string | undefined>
}

const NPM_FORM = 'npm run dmtracker --'

/**
 * The command a user types to run this CLI where they are, for every command we print: the compiled
 * binary by the shortest path that works from the current folder (its name alone when its folder is on
 * PATH), otherwise the npm script of a checkout. A bare `dmtracker` works in neither place.
 */
export function cliCommand({ argv, execPath, cwd, env }: Invocation): string {
  // A `bun build --compile` binary runs its entry from Bun's embedded file system.
  const compiled = argv[1] !== undefined && (argv[1].startsWith('/$bunfs/') || /^[A-Z]:[\\/]~BUN[\\/]/.test(argv[1]))
  if (!compiled) return NPM_FORM
  const onPath = (env.PATH ?? '').split(delimiter).some((folder) => folder !== '' && isAbsolute(folder) && folder === dirname(execPath))
  if (onPath) return basename(execPath)
  const fromHere = relative(cwd, execPath)
  const path = !fromHere.startsWith('..') && !isAbsolute(fromHere) ? `./${fromHere}` : execPath
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`
}
