import { execFileSync } from 'node:child_process'
import pkg from '../../package.json' with { type: 'json' }

// Replaced by scripts/build.ts (Bun.build `define`) with the commit and date the binary was built
// from; in a checkout they are not defined and the running commit is asked of git.
declare const DMTRACKER_BUILD_COMMIT: string
declare const DMTRACKER_BUILD_DATE: string

export interface BuildInfo {
  readonly version: string
  /** The git commit built from (short hash), or in a checkout the current one; `unknown` without git. */
  readonly commit: string
  /** When the binary was built (ISO 8601, UTC), or `dev` in a checkout. */
  readonly built: string
}

let cached: BuildInfo | undefined

/** What `dmtracker version` and GET /version report. */
export function buildInfo(): BuildInfo {
  cached ??=
    typeof DMTRACKER_BUILD_COMMIT === 'string'
      ? { version: pkg.version, commit: DMTRACKER_BUILD_COMMIT, built: DMTRACKER_BUILD_DATE }
      : { version: pkg.version, commit: gitCommit(), built: 'dev' }
  return cached
}

/** One line: `dmtracker 0.1.0 (commit 1a2b3c4, built 2026-12-02T03:00:00Z)`. */
export function versionLine(info = buildInfo()): string {
  return `dmtracker ${info.version} (commit ${info.commit}, built ${info.built})`
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: import.meta.dirname,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return 'unknown'
  }
}
