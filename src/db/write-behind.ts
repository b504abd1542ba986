import type { Trx, Write } from './write.ts'

/**
 * Keeps the latest value per key in memory and writes them all at most once per interval, in one
 * short write of its own, so the requests that produce them never wait for a database write.
 * A batch whose write fails is kept for the next round, except for keys that got a newer value
 * meanwhile; `stop` writes what is left.
 */
export class WriteBehind<K, V> {
  private pending = new Map<K, V>()
  private timer: ReturnType<typeof setInterval>

  constructor(
    private readonly store: { readonly write: Write },
    private readonly writeBatch: (trx: Trx, batch: [K, V][]) => Promise<void>,
    intervalMs: number,
  ) {
    // A failed round is kept and retried by the next one; nobody awaits the timer's flush.
    this.timer = setInterval(() => void this.flush().catch(() => {}), intervalMs)
    this.timer.unref?.()
  }

  set(key: K, value: V): void {
    this.pending.set(key, value)
  }

  /** The value not written yet for `key`, if any. */
  get(key: K): V | undefined {
    return this.pending.get(key)
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return
    const batch = [...this.pending]
    this.pending.clear()
    try {
      await this.store.write((trx) => this.writeBatch(trx, batch))
    } catch (error) {
      for (const [key, value] of batch) if (!this.pending.has(key)) this.pending.set(key, value)
      throw error
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}
