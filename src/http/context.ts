import type { Config } from '../config.ts'
import type { ManychatStatus } from '../contacts/manychat-status.ts'
import type { Caller } from '../core/actor.ts'
import type { Logger } from '../core/logger.ts'
import type { Store } from '../db/open.ts'
import type { Organization, Role } from '../db/schema.ts'
import type { Reads } from '../read-tasks.ts'
import type { SignedIn } from '../sessions/service.ts'

/** Hono's typed context variables for every route of this app. */
export interface AppEnv {
  Variables: {
    requestId: string
    caller: Caller
    /** The request came over HTTPS (serve --domain); see http/https.ts. */
    https: boolean
    /** Set when the request carries an Idempotency-Key: where its answer is stored (http/idempotency.ts). */
    idempotency?: { organizationId: string; key: string; fingerprint: string; saved: boolean }
    /** A signed-in person of the web app, in the organization their session looks at. */
    member: Member
  }
}

/** Who a web page request acts for: the session's user, the organization chosen and their role in it. */
export interface Member {
  session: SignedIn
  organization: Organization
  role: Role
  /** Every organization of the user, for the switcher. */
  organizations: { id: string; name: string; role: Role }[]
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
  /** Each organization's last ManyChat webhook call, for Settings. */
  manychat: ManychatStatus
}
