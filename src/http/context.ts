import type { MiddlewareHandler } from 'hono'
import type { Caller } from '../core/actor.ts'
import type { Store } from '../db/open.ts'
import type { Config } from '../config.ts'
import type { Logger } from '../core/logger.ts'
import type { Reads } from '../read-tasks.ts'

/** Hono's typed context variables for every route of this app. */
export interface AppEnv {
  Variables: {
    requestId: string
    caller: Caller
  }
}

/** What route factories receive: everything a handler may touch, passed in, never imported. */
export interface AppDeps {
  store: Store
  /** Long reads: run in worker threads, off the connection and thread that writes. */
  reads: Reads
  config: Config
  log: Logger
  /** Injected so tests can move time (rate limits, follow-ups); defaults to Date.now. */
  now: () => number
}
