// A write workload over every write endpoint in which each write can be found again: every
// request carries identifiers no other request has. Each worker runs chains of five requests
// (create a contact, change its status, add a tag, record a reply, a new subscriber's first
// reply). A ledger keeps every write that was acknowledged with a 2xx; verifyLedger() then checks
// the database file: each acknowledged write is there exactly once, nothing is there twice.
import { openStore } from '../../src/db/open.ts'
import { ENDPOINTS, type EndpointName } from './endpoints.ts'

export interface Org {
  id: string
  token: string
}

/** One acknowledged write and what it must have left in the database. */
export type Ack =
  | { kind: 'create-contact'; username: string; manychatId: string; contactId: string; message: string; note: string; tag: string }
  | { kind: 'contact-status'; contactId: string }
  | { kind: 'update-tags'; contactId: string; tag: string }
  | { kind: 'reply'; contactId: string; message: string }
  | { kind: 'first-reply'; username: string; manychatId: string; message: string }

export class Ledger {
  readonly acks: Ack[] = []
  /** Requests sent and answers received, by endpoint and status ("network" when none came). */
  readonly answers: Record<string, Record<string, number>> = {}
  /** Answers that are wrong whatever happens to the process: any 5xx, any unexpected 4xx. */
  readonly problems: string[] = []

  count(endpoint: EndpointName, status: string) {
    this.answers[endpoint] ??= {}
    const byStatus = this.answers[endpoint]
    byStatus[status] = (byStatus[status] ?? 0) + 1
  }

  get acknowledged(): number {
    return this.acks.length
  }
}

const STAGE = 'Interested'
const STATUS = 'won'

export interface WorkloadOptions {
  /** Awaited before each request, to hold a steady rate (the soak); by default requests go at once. */
  pace?: () => Promise<void>
  /** Told every answer's status ("network" if none) and how long it took. */
  onAnswer?: (status: string, ms: number) => void
}

/** Sends requests until `stop()` says so or the server goes away; at most one chain per worker. */
export class Workload {
  private next = 0
  private readonly run = Math.random().toString(36).slice(2, 6)

  constructor(
    private readonly org: Org,
    readonly ledger: Ledger,
    private readonly options: WorkloadOptions = {},
  ) {}

  /** Runs `workers` chains side by side until stop() or a network error; never throws. */
  async drive(url: string, workers: number, stop: () => boolean): Promise<void> {
    await Promise.all(Array.from({ length: workers }, () => this.worker(url, stop)))
  }

  private async worker(url: string, stop: () => boolean) {
    while (!stop()) {
      if (!(await this.chain(url))) return
    }
  }

  /** A unique key per chain; usernames stay within Instagram's 30 characters and alphabet. */
  private key(): string {
    return `${this.run}${(this.next++).toString(36)}`
  }

  /**
   * A create-contact request of the workload's kind (inbound, with a note and a tag). Whoever
   * sends it calls acknowledge() with the new contact's id once it has been answered 201.
   */
  createContact(key = this.key()) {
    const ack = {
      kind: 'create-contact' as const,
      username: `c_${key}`,
      manychatId: `mc_${key}`,
      message: `first ${key}`,
      note: `note ${key}`,
      tag: `t_${key}`,
    }
    const body = {
      organization_id: this.org.id,
      username: ack.username,
      had_outreach: false,
      manychat_id: ack.manychatId,
      last_response_at: '2026-01-10T10:00:00.000Z',
      last_message_content: ack.message,
      note: ack.note,
      tags: [ack.tag],
    }
    return { body, acknowledge: (contactId: string) => void this.ledger.acks.push({ ...ack, contactId }) }
  }

  /** false when the server stopped answering. */
  async chain(url: string): Promise<boolean> {
    const key = this.key()
    const create = this.createContact(key)
    const created = await this.send(url, 'create-contact', create.body, 201)
    if (created === undefined) return false
    const contactId = created.data.id as string
    create.acknowledge(contactId)

    if (
      (await this.send(
        url,
        'contact-status',
        { organization_id: this.org.id, contact_id: contactId, lead_status: STATUS, pipeline_stage: STAGE },
        200,
      )) === undefined
    )
      return false
    this.ledger.acks.push({ kind: 'contact-status', contactId })

    if (
      (await this.send(
        url,
        'update-tags',
        { organization_id: this.org.id, contact_id: contactId, mode: 'add', tag_names: [`a_${key}`] },
        200,
      )) === undefined
    )
      return false
    this.ledger.acks.push({ kind: 'update-tags', contactId, tag: `a_${key}` })

    const reply = { organization_id: this.org.id, manychat_id: `mc_${key}`, username: `c_${key}`, message_content: `reply ${key}` }
    if ((await this.send(url, 'default-reply', reply, 200)) === undefined) return false
    this.ledger.acks.push({ kind: 'reply', contactId, message: `reply ${key}` })

    const first = { organization_id: this.org.id, manychat_id: `dr_${key}`, username: `d_${key}`, message_content: `hello ${key}` }
    if ((await this.send(url, 'default-reply', first, 200)) === undefined) return false
    this.ledger.acks.push({ kind: 'first-reply', username: `d_${key}`, manychatId: `dr_${key}`, message: `hello ${key}` })
    return true
  }

  /** The parsed answer if it is the expected 2xx; undefined if the request failed in any way. */
  private async send(url: string, endpoint: EndpointName, body: Record<string, unknown>, expected: number): Promise<any> {
    const { method, path } = ENDPOINTS[endpoint]
    await this.options.pace?.()
    const started = performance.now()
    const answered = (status: string) => {
      this.ledger.count(endpoint, status)
      this.options.onAnswer?.(status, performance.now() - started)
    }
    let res: Response
    try {
      res = await fetch(url + path, {
        method,
        headers: { 'content-type': 'application/json', 'x-org-auth-token': this.org.token },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      })
    } catch {
      answered('network')
      return undefined
    }
    answered(String(res.status))
    // A 2xx status line means the server committed: it answers only after COMMIT returns.
    // If the body is then cut off by a kill, the write still counts as acknowledged.
    const parsed = (await res.json().catch(() => undefined)) as { data?: unknown } | undefined
    if (res.status === expected && parsed?.data) return parsed
    if (res.status === expected) {
      this.ledger.problems.push(`${endpoint}: ${res.status} whose body was cut off; its write is not checked`)
      return undefined
    }
    this.ledger.problems.push(`${endpoint}: unexpected ${res.status} ${JSON.stringify(parsed).slice(0, 200)}`)
    return undefined
  }
}

/**
 * Checks the database file against the ledger with a connection of its own: integrity_check and
 * foreign_key_check are clean, every acknowledged write is present exactly once, and nothing any
 * request wrote (acknowledged or not) is present twice. Returns what is wrong, [] when all is well.
 */
export async function verifyLedger(dbPath: string, orgId: string, ledger: Ledger): Promise<string[]> {
  const store = openStore(dbPath)
  const problems: string[] = []
  try {
    const integrity = store.sqlite.value('pragma integrity_check')
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`)
    if (store.sqlite.value('pragma foreign_key_check') !== undefined) problems.push('foreign_key_check reports rows')

    const db = store.db
    const contacts = await db
      .selectFrom('contacts')
      .select(['id', 'username', 'manychat_id', 'lead_status_id', 'pipeline_stage_id'])
      .where('organization_id', '=', orgId)
      .execute()
    const ids = new Set(contacts.map((c) => c.id))
    const byId = new Map(contacts.map((c) => [c.id, c]))
    const messages = (await db.selectFrom('messages').select(['contact_id', 'content']).execute()).filter((m) => ids.has(m.contact_id))
    const notes = (await db.selectFrom('notes').select(['contact_id', 'body']).execute()).filter((n) => ids.has(n.contact_id))
    const tags = await db.selectFrom('tags').select(['id', 'name']).where('organization_id', '=', orgId).execute()
    const tagged = new Set(
      (await db.selectFrom('contact_tags').select(['contact_id', 'tag_id']).execute()).map((t) => `${t.contact_id} ${t.tag_id}`),
    )
    // Each contact gets one status change request, so each of these actions happens once at most.
    const activity = await db
      .selectFrom('activity_log')
      .select(['contact_id', 'action'])
      .where('organization_id', '=', orgId)
      .where('via', '=', 'api')
      .where('action', 'in', ['lead_status', 'pipeline_stage'])
      .execute()
    const stage = await db
      .selectFrom('pipeline_stages')
      .select('id')
      .where('organization_id', '=', orgId)
      .where('name', '=', STAGE)
      .executeTakeFirstOrThrow()

    const tally = <T>(items: T[], key: (item: T) => string) => {
      const counts = new Map<string, T[]>()
      for (const item of items) counts.set(key(item), [...(counts.get(key(item)) ?? []), item])
      return counts
    }
    const contactsByName = tally(contacts, (c) => c.username)
    const messagesByContent = tally(messages, (m) => m.content)
    const notesByBody = tally(notes, (n) => n.body)
    const tagsByName = tally(tags, (t) => t.name.toLowerCase())
    const activityByKey = tally(activity, (a) => `${a.contact_id} ${a.action}`)

    // Nothing twice, whether or not it was acknowledged: every value the workload sends is unique.
    for (const [name, list] of [...contactsByName, ...messagesByContent, ...notesByBody, ...tagsByName, ...activityByKey]) {
      if (list.length > 1) problems.push(`"${name}" is stored ${list.length} times`)
    }

    const once = <T>(map: Map<string, T[]>, key: string, what: string): T | undefined => {
      const found = map.get(key) ?? []
      if (found.length !== 1) problems.push(`acknowledged ${what} "${key}" is stored ${found.length} times`)
      return found[0]
    }
    const hasTag = (contactId: string, name: string) => {
      const tag = once(tagsByName, name.toLowerCase(), 'tag')
      if (tag && !tagged.has(`${contactId} ${tag.id}`)) problems.push(`acknowledged tag ${name} is not on contact ${contactId}`)
    }
    const hasMessage = (contactId: string, content: string) => {
      const message = once(messagesByContent, content, 'message')
      if (message && message.contact_id !== contactId) problems.push(`message "${content}" is on the wrong contact`)
    }
    for (const ack of ledger.acks) {
      switch (ack.kind) {
        case 'create-contact': {
          const contact = once(contactsByName, ack.username, 'contact')
          if (contact && (contact.id !== ack.contactId || contact.manychat_id !== ack.manychatId))
            problems.push(`contact ${ack.username} differs from its acknowledgement`)
          hasMessage(ack.contactId, ack.message)
          const note = once(notesByBody, ack.note, 'note')
          if (note && note.contact_id !== ack.contactId) problems.push(`note "${ack.note}" is on the wrong contact`)
          hasTag(ack.contactId, ack.tag)
          break
        }
        case 'contact-status': {
          const contact = byId.get(ack.contactId)
          if (contact?.lead_status_id !== 2 || contact.pipeline_stage_id !== stage.id)
            problems.push(`acknowledged status change of ${ack.contactId} is missing`)
          once(activityByKey, `${ack.contactId} lead_status`, 'status change')
          once(activityByKey, `${ack.contactId} pipeline_stage`, 'stage change')
          break
        }
        case 'update-tags':
          hasTag(ack.contactId, ack.tag)
          break
        case 'reply':
          hasMessage(ack.contactId, ack.message)
          break
        case 'first-reply': {
          const contact = once(contactsByName, ack.username, 'contact')
          if (contact && contact.manychat_id !== ack.manychatId) problems.push(`contact ${ack.username} has the wrong manychat_id`)
          if (contact) hasMessage(contact.id, ack.message)
          break
        }
      }
    }
  } finally {
    await store.close()
  }
  return problems
}
