import { isoTime } from '../core/time.ts'
import type { Store } from '../db/open.ts'
import type { ReadDb } from '../db/write.ts'

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
  private pending = new Map<string, ManychatCall>()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly store: Store,
    intervalMs = 5_000,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => {}), intervalMs)
    this.timer.unref?.()
  }

  record(organizationId: string, at: number, statusCode: number, result: string): void {
    this.pending.set(organizationId, { received_at: isoTime(at), status_code: statusCode, result: result.slice(0, 300) })
  }

  async latest(db: ReadDb, organizationId: string): Promise<ManychatCall | undefined> {
    const waiting = this.pending.get(organizationId)
    if (waiting) return waiting
    return db
      .selectFrom('manychat_status')
      .select(['received_at', 'status_code', 'result'])
      .where('organization_id', '=', organizationId)
      .executeTakeFirst()
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return
    const batch = [...this.pending]
    this.pending.clear()
    try {
      await this.store.write(async (trx) => {
        for (const [organizationId, call] of batch) {
          await trx
            .insertInto('manychat_status')
            .values({ organization_id: organizationId, ...call })
            .onConflict((oc) => oc.column('organization_id').doUpdateSet(call))
            .execute()
        }
      })
    } catch (error) {
      // Keep them for the next round, unless a newer call came meanwhile.
      for (const [id, call] of batch) if (!this.pending.has(id)) this.pending.set(id, call)
      throw error
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}
