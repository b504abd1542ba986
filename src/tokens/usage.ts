import { isoTime } from '../core/time.ts'
import type { Store } from '../db/open.ts'

/**
 * Remembers when each token was last used and writes it at most once per interval, so that
 * authenticating a request never costs a database write.
 */
export class TokenUsage {
  private pending = new Map<string, number>()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly store: Store,
    intervalMs = 60_000,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => {}), intervalMs)
    this.timer.unref?.()
  }

  touch(tokenId: string, at: number) {
    this.pending.set(tokenId, at)
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return
    const batch = [...this.pending]
    this.pending.clear()
    try {
      await this.store.write(async (trx) => {
        for (const [id, at] of batch) {
          // Never back in time: with several instances on one database, another may have written a later use.
          await trx
            .updateTable('api_tokens')
            .set({ last_used_at: isoTime(at) })
            .where('id', '=', id)
            .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', isoTime(at))]))
            .execute()
        }
      })
    } catch (error) {
      // Keep them for the next round (unless the token was used again meanwhile).
      for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at)
      throw error
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}
