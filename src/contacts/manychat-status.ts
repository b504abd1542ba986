import { isoTime } from '../core/time.ts'
import type { Store } from '../db/open.ts'
import type { ReadDb } from '../db/write.ts'
import { WriteBehind } from '../db/write-behind.ts'

/** The last default-reply (ManyChat webhook) an organization received: when, its status code, what happened. */
export interface ManychatCall {
  received_at: string
  status_code: number
  result: string
}

/**
 * Remembers each organization's last default-reply call in memory and writes the latest per
 * organization at most once per interval, in one short write of its own: the webhook's
 * transaction gains nothing, and a failed request (which writes nothing) is remembered too.
 * Settings reads `latest`, which prefers what is not written yet.
 */
export class ManychatStatus {
  private readonly lastCall: WriteBehind<string, ManychatCall>

  constructor(store: Store, intervalMs = 5_000) {
    this.lastCall = new WriteBehind(
      store,
      async (trx, batch) => {
        for (const [organizationId, call] of batch) {
          await trx
            .insertInto('manychat_status')
            .values({ organization_id: organizationId, ...call })
            .onConflict((oc) => oc.column('organization_id').doUpdateSet(call))
            .execute()
        }
      },
      intervalMs,
    )
  }

  record(organizationId: string, at: number, statusCode: number, result: string): void {
    this.lastCall.set(organizationId, { received_at: isoTime(at), status_code: statusCode, result: result.slice(0, 300) })
  }

  async latest(db: ReadDb, organizationId: string): Promise<ManychatCall | undefined> {
    const waiting = this.lastCall.get(organizationId)
    if (waiting) return waiting
    return db
      .selectFrom('manychat_status')
      .select(['received_at', 'status_code', 'result'])
      .where('organization_id', '=', organizationId)
      .executeTakeFirst()
  }

  flush(): Promise<void> {
    return this.lastCall.flush()
  }

  stop(): Promise<void> {
    return this.lastCall.stop()
  }
}
