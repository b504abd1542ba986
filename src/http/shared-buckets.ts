import { sql } from 'kysely'
import type { Store } from '../db/open.ts'
import { type BucketOptions, type Buckets, TokenBuckets, type Verdict, verdictFor } from './rate-limit.ts'

const MINUTE_MS = 60_000
/** Full buckets are deleted once in this many takes, so the table holds about the keys of the last minutes. */
const SWEEP_EVERY = 1000

/**
 * The buckets for one limit (`scope`): in memory with SQLite, where one process serves the
 * database; in the database with PostgreSQL, so that N instances behind a load balancer enforce
 * one limit in total, not N times it.
 */
export function bucketsFor(store: Store, scope: string): (options: BucketOptions) => Buckets {
  return (options) => (store.engine === 'postgres' ? new DatabaseBuckets(store, scope, options) : new TokenBuckets(options))
}

/**
 * TokenBuckets' arithmetic in one atomic statement: the row is the time the bucket is full again;
 * a take moves it one token's time later if that stays within the bucket's size. Concurrent takes
 * on one key queue on the row lock, so no two instances spend the same token. Outside the request's
 * transaction, like the in-memory buckets: a refused request costs no transaction.
 */
class DatabaseBuckets implements Buckets {
  private readonly msPerToken: number
  private readonly capacityMs: number
  private takes = 0

  constructor(
    private readonly store: Store,
    private readonly scope: string,
    private readonly options: BucketOptions,
  ) {
    if (!(options.perMinute > 0 && options.burst >= 1)) throw new RangeError('perMinute must be > 0 and burst >= 1')
    this.msPerToken = MINUTE_MS / options.perMinute
    this.capacityMs = options.burst * this.msPerToken
  }

  async take(key: string): Promise<Verdict> {
    const now = this.options.now()
    const db = this.store.db
    if (++this.takes % SWEEP_EVERY === 0) await db.deleteFrom('rate_buckets').where('full_at', '<', now).execute()
    const taken = await sql<{ full_at: number }>`
      insert into rate_buckets (scope, key, full_at) values (${this.scope}, ${key}, ${now + this.msPerToken})
      on conflict (scope, key) do update
        set full_at = greatest(rate_buckets.full_at, ${now}::double precision) + ${this.msPerToken}::double precision
        where greatest(rate_buckets.full_at, ${now}::double precision) + ${this.msPerToken}::double precision - ${now}::double precision <= ${this.capacityMs}::double precision
      returning full_at`.execute(db)
    const fullAt = taken.rows[0]?.full_at
    if (fullAt !== undefined) return verdictFor(true, Math.max(0, fullAt - now), this.msPerToken, this.capacityMs)
    const row = await db
      .selectFrom('rate_buckets')
      .select('full_at')
      .where('scope', '=', this.scope)
      .where('key', '=', key)
      .executeTakeFirst()
    return verdictFor(false, Math.max(0, (row?.full_at ?? now) - now), this.msPerToken, this.capacityMs)
  }
}
