// The after-commit change feed: write code notes which contact it changed (`noteChange`), and
// once the transaction holding that change has committed, `createWriter` publishes it here.
// Listeners (the web app's live board over SSE) never see a change that was rolled back, and
// never see one before other readers can. It is in-process; on PostgreSQL the other instances'
// changes reach it too, through LISTEN/NOTIFY (db/postgres.ts listenForChanges).

/** A contact of an organization changed (created, replied, moved, followed up, archived...). */
export interface Change {
  organizationId: string
  contactId: string
}

/** A change as delivered: `id` orders the feed and names a place to resume from. */
export interface ChangeEvent extends Change {
  id: string
}

type Listener = (event: ChangeEvent) => void

/** How many recent events are kept for clients resuming with Last-Event-ID. */
const HISTORY = 1000

export class ChangeFeed {
  // Ids are "<feed>-<seq>": a client resuming with an id from an earlier process (a restart) is
  // told to reload instead of being silently given a gap.
  readonly #feed = Date.now().toString(36)
  #seq = 0
  readonly #history: (ChangeEvent & { seq: number })[] = []
  readonly #listeners = new Map<string, Set<Listener>>()

  publish(changes: readonly Change[]): void {
    for (const change of changes) {
      const seq = ++this.#seq
      const event = { ...change, id: `${this.#feed}-${seq}`, seq }
      this.#history.push(event)
      if (this.#history.length > HISTORY) this.#history.shift()
      for (const listener of this.#listeners.get(change.organizationId) ?? []) {
        listener({ organizationId: event.organizationId, contactId: event.contactId, id: event.id })
      }
    }
  }

  /** Calls `listener` for every later change of the organization; returns the unsubscribe. */
  subscribe(organizationId: string, listener: Listener): () => void {
    const set = this.#listeners.get(organizationId) ?? new Set()
    set.add(listener)
    this.#listeners.set(organizationId, set)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.#listeners.delete(organizationId)
    }
  }

  /**
   * The organization's events after `lastId`, for a client that reconnects; undefined when they
   * cannot be told (an id from another process, or older than the history kept): reload instead.
   */
  since(organizationId: string, lastId: string): ChangeEvent[] | undefined {
    const [feed, seqText] = lastId.split('-')
    const seq = Number(seqText)
    if (feed !== this.#feed || !Number.isInteger(seq) || seq > this.#seq) return undefined
    const oldest = this.#history[0]?.seq ?? this.#seq + 1
    if (seq < oldest - 1) return undefined
    return this.#history
      .filter((e) => e.seq > seq && e.organizationId === organizationId)
      .map(({ organizationId: o, contactId, id }) => ({ organizationId: o, contactId, id }))
  }

  /** How many listeners are attached (for tests and shutdown). */
  get listenerCount(): number {
    let n = 0
    for (const set of this.#listeners.values()) n += set.size
    return n
  }
}

// Write work runs one request at a time on the write connection (see group-commit.ts), so the
// list a connection points to is always the one of the work running on it.
const collecting = new WeakMap<object, Change[]>()

/** Starts collecting the changes the work about to run on `conn` notes. */
export function collectChanges(conn: object, into: Change[]): void {
  collecting.set(conn, into)
}

/** Notes that the running write changed a contact; published only if and after it commits. */
export function noteChange(trx: object, change: Change): void {
  collecting.get(trx)?.push(change)
}
