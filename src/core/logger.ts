import { isoTime } from './time.ts'

/** One JSON object per line on stdout; never tokens, bodies or SQL. */
export type Logger = (entry: Record<string, unknown>) => void

export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return (entry) => write(`${JSON.stringify({ time: isoTime(), ...entry })}\n`)
}

export const silentLogger: Logger = () => {}
