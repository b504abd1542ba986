import { isoTime } from '../core/time.ts'
import type { Store } from '../db/open.ts'
import { WriteBehind } from '../db/write-behind.ts'

/**
 * Remembers when each token was last used and writes it at most once per interval, so that
 * authenticating a request never costs a database write.
 */
export class TokenUsage {
  private readonly lastUse: WriteBehind<string, number>

  constructor(store: Store, intervalMs = 60_000) {
    this.lastUse = new WriteBehind(
      store,
      async (trx, batch) => {
        for (const [id, at] of batch) {
          // Never back in time: with several instances on one database, another may have written a later use.
          await trx
            .updateTable('api_tokens')
            .set({ last_used_at: isoTime(at) })
            .where('id', '=', id)
            .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', isoTime(at))]))
            .execute()
        }
      },
      intervalMs,
    )
  }

  touch(tokenId: string, at: number): void {
    this.lastUse.set(tokenId, at)
  }

  flush(): Promise<void> {
    return this.lastUse.flush()
  }

  stop(): Promise<void> {
    return this.lastUse.stop()
  }
}
