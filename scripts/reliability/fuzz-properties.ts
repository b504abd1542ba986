// Property-based fuzzing of every endpoint, shared by test/fuzz.test.ts (a short seeded run) and
// scripts/fuzz.ts (the long run). Per write endpoint, two properties:
//   hostile:    any body, mutated or malformed, with any token, gets a JSON answer below 500;
//               every 4xx is in the error shape.
//   round-trip: a valid body with arbitrary text (emoji, quotes, injection strings, NUL, lone
//               surrogates) is answered 2xx, and the database and the read API return it literally.
// The read API gets the hostile property over its paths, query strings and bodies.
import fc from 'fast-check'
import { resolveTagColor } from '../../src/core/colors.ts'
import { normalizeUsername } from '../../src/core/fields.ts'
import { type CallResult, isErrorShape } from '../../test/helpers.ts'
import { ENDPOINT_NAMES, type EndpointName, toJsonText } from './endpoints.ts'
import { hostileBody, literalText, readApiRequest, tagText, tokenChoice, wellFormed } from './fuzz-values.ts'
import type { FuzzWorld } from './fuzz-world.ts'

/** The answer every request must get: JSON (or CSV), below 500, a 4xx in the error shape. */
function checkAnswer(res: CallResult, what: string, { document = false } = {}): void {
  if (res.status >= 500) throw new Error(`${what}: ${res.status} ${res.text.slice(0, 300)}`)
  const csv = res.status === 200 && res.headers.get('content-type')?.startsWith('text/csv')
  if (csv) return
  if (res.body === undefined) throw new Error(`${what}: answer is not JSON: ${res.text.slice(0, 300)}`)
  if (res.status >= 400 && !isErrorShape(res.body))
    throw new Error(`${what}: ${res.status} not in the error shape: ${res.text.slice(0, 300)}`)
  if (res.status < 300 && !document && res.body.status !== 'success')
    throw new Error(`${what}: ${res.status} without status success: ${res.text.slice(0, 300)}`)
}

/** `statuses` counts the answers by status code, to show how deep the cases reached. */
export function hostileProperty(w: FuzzWorld, endpoint: EndpointName, statuses: Record<number, number> = {}) {
  return fc.asyncProperty(hostileBody(w, endpoint), tokenChoice(w), async (text, token) => {
    const res = await w.send(endpoint, text, token)
    statuses[res.status] = (statuses[res.status] ?? 0) + 1
    checkAnswer(res, `${endpoint} ${text.slice(0, 200)}`)
  })
}

/** The read API and its two writes: never a 5xx, every 4xx in the error shape. */
export function readApiProperty(w: FuzzWorld, statuses: Record<number, number> = {}) {
  return fc.asyncProperty(readApiRequest(w), tokenChoice(w), async ({ method, path, body }, token) => {
    const res = await w.env.call(method, path, body, { token })
    statuses[res.status] = (statuses[res.status] ?? 0) + 1
    // The OpenAPI document is the one answer that is not an API envelope.
    checkAnswer(res, `${method} ${path.slice(0, 200)} ${body?.slice(0, 200) ?? ''}`, { document: path.startsWith('/api/v1/openapi.json') })
  })
}

let unique = 0
const nonce = Math.random().toString(36).slice(2, 7)
/** A suffix no other case has (nor a hostile case's random name), so each case makes its own contact and tags. */
const nextSuffix = () => `_${nonce}${(unique++).toString(36)}`

function expectEqual(actual: unknown, expected: unknown, what: string) {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    throw new Error(`${what}: stored ${JSON.stringify(actual)}, sent ${JSON.stringify(expected)}`)
}

function expectStatus(res: CallResult, status: number, what: string) {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`)
}

const contactRow = (w: FuzzWorld, id: string) =>
  w.env.store.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

export function roundTripProperty(w: FuzzWorld, endpoint: EndpointName) {
  const { db } = w.env.store
  const looseName = fc.string({ unit: 'grapheme', maxLength: 12 })
  switch (endpoint) {
    case 'default-reply':
      return fc.asyncProperty(literalText(10_000), looseName, literalText(60), async (message, name, mcPrefix) => {
        const suffix = nextSuffix()
        const username = name + suffix
        fc.pre(normalizeUsername(wellFormed(username)).length <= 30)
        const manychatId = mcPrefix + suffix
        const res = await w.send(
          endpoint,
          JSON.stringify({ organization_id: w.a.id, manychat_id: manychatId, username, message_content: message }),
        )
        expectStatus(res, 200, endpoint)
        expectEqual(res.body.data.last_message_content, wellFormed(message), 'last_message_content (response)')
        const row = await contactRow(w, res.body.data.id)
        expectEqual(row.last_message_content, wellFormed(message), 'last_message_content')
        expectEqual(row.manychat_id, wellFormed(manychatId).trim(), 'manychat_id')
        expectEqual(row.username, normalizeUsername(wellFormed(username)), 'username')
        const history = await db.selectFrom('messages').select('content').where('contact_id', '=', row.id).execute()
        expectEqual(
          history.map((m) => m.content),
          [wellFormed(message)],
          'messages',
        )
        const read = await w.env.call('GET', `/api/v1/contacts/${row.id}`)
        expectStatus(read, 200, 'GET /contacts/:id')
        expectEqual(read.body.data.last_message_content, wellFormed(message), 'last_message_content (read API)')
      })
    case 'create-contact':
      return fc.asyncProperty(
        fc.record({
          reason: literalText(500),
          text: literalText(10_000),
          reasonLabel: literalText(500),
          messageLabel: literalText(500),
          note: literalText(1000),
          color: fc.oneof(fc.constantFrom('red', 'Teal', '#ABC'), literalText(50)),
        }),
        fc.array(tagText(), { maxLength: 3 }),
        fc.stringMatching(/^@?[A-Za-z0-9._]{1,10}$/),
        fc.bigInt({ min: 0n, max: 10n ** 30n - 1n }),
        async (f, tagPrefixes, name, igId) => {
          const suffix = nextSuffix()
          const tags = tagPrefixes.map((t, i) => `${t}${suffix}_${i}`).filter((t) => t.trim().length <= 50)
          const body = {
            organization_id: w.a.id,
            username: name + suffix,
            had_outreach: true,
            outreach_reason: f.reason,
            outreach_text: f.text,
            outreach_reason_label: f.reasonLabel,
            outreach_message_label: f.messageLabel,
            note: f.note,
            tags,
            tag_color: f.color,
            ig_id: igId,
          }
          const res = await w.send(endpoint, toJsonText(body))
          expectStatus(res, 201, endpoint)
          const row = await contactRow(w, res.body.data.id)
          expectEqual(
            [row.outreach_reason, row.outreach_text, row.outreach_reason_label, row.outreach_message_label, row.ig_id, row.username],
            [f.reason, f.text, f.reasonLabel, f.messageLabel, igId.toString(), normalizeUsername(name + suffix)].map((s) => wellFormed(s)),
            'outreach fields',
          )
          expectEqual(
            [res.body.data.outreach_reason, res.body.data.outreach_text, res.body.data.ig_id],
            [f.reason, f.text, igId.toString()].map(wellFormed),
            'response',
          )
          const notes = await db.selectFrom('notes').select('body').where('contact_id', '=', row.id).execute()
          expectEqual(
            notes.map((n) => n.body),
            [wellFormed(f.note)],
            'note',
          )
          const stored = await db
            .selectFrom('contact_tags as ct')
            .innerJoin('tags as t', 't.id', 'ct.tag_id')
            .select(['t.name', 't.color'])
            .where('ct.contact_id', '=', row.id)
            .execute()
          expectEqual(stored.map((t) => t.name).sort(), tags.map((t) => wellFormed(t).trim()).sort(), 'tag names')
          for (const t of stored) expectEqual(t.color, resolveTagColor(wellFormed(f.color)), 'tag color')
        },
      )
    case 'update-tags':
      return fc.asyncProperty(fc.array(tagText(), { minLength: 1, maxLength: 5 }), async (prefixes) => {
        const suffix = nextSuffix()
        const names = prefixes.map((t, i) => `${t}${suffix}_${i}`).filter((t) => t.trim().length <= 50)
        const res = await w.send(
          endpoint,
          JSON.stringify({ organization_id: w.a.id, contact_id: w.contact.id, mode: 'set', tag_names: names }),
        )
        expectStatus(res, 200, endpoint)
        const expected = names.map((t) => wellFormed(t).trim()).sort()
        expectEqual(res.body.data.tags.map((t: { name: string }) => t.name).sort(), expected, 'response tags')
        const stored = await db
          .selectFrom('contact_tags as ct')
          .innerJoin('tags as t', 't.id', 'ct.tag_id')
          .select('t.name')
          .where('ct.contact_id', '=', w.contact.id)
          .execute()
        expectEqual(stored.map((t) => t.name).sort(), expected, 'stored tags')
      })
    case 'contact-status':
      return fc.asyncProperty(
        literalText(60),
        fc.constantFrom('open', 'Won', ' LOST ', 'abandoned'),
        fc.constantFrom('Outreach Sent', 'in conversation', 'INTERESTED', 'Meeting Booked', ' closed', 'Lost'),
        async (mcPrefix, status, stage) => {
          const manychatId = mcPrefix + nextSuffix()
          const created = await w.send(
            'default-reply',
            JSON.stringify({ organization_id: w.a.id, manychat_id: manychatId, username: `status${nextSuffix()}`, message_content: 'hi' }),
          )
          expectStatus(created, 200, 'default-reply')
          const res = await w.send(
            endpoint,
            JSON.stringify({ organization_id: w.a.id, manychat_id: manychatId, lead_status: status, pipeline_stage: stage }),
          )
          expectStatus(res, 200, endpoint)
          expectEqual(res.body.data.id, created.body.data.id, 'contact found by its manychat_id')
          expectEqual(res.body.data.lead_status, status.trim().toLowerCase(), 'lead_status')
          expectEqual(res.body.data.pipeline_stage.toLowerCase(), stage.trim().toLowerCase(), 'pipeline_stage')
        },
      )
  }
}

export interface FuzzCounts {
  hostile: number
  roundTrip: number
  /** The hostile cases' answers by status code. */
  statuses: Record<number, number>
}

async function check(property: fc.IAsyncPropertyWithHooks<any>, options: fc.Parameters<any>): Promise<number> {
  const details = await fc.check(property, options)
  if (details.failed) throw new Error(`${fc.defaultReportMessage(details)}\nError: ${String(details.errorInstance)}`)
  return details.numRuns
}

/** What can be fuzzed: each write endpoint, and the read API's routes together. */
export const FUZZ_TARGETS = [...ENDPOINT_NAMES, 'read-api'] as const
export type FuzzTarget = (typeof FUZZ_TARGETS)[number]

/**
 * Runs the target's properties (the read API has no round-trip of its own: the write endpoints'
 * round-trips read their values back through it), then checks that the app still answers a valid
 * request and the database is intact. Throws fast-check's report (seed, counterexample) on failure.
 */
export async function fuzzTarget(w: FuzzWorld, target: FuzzTarget, { runs, seed }: { runs: number; seed?: number }): Promise<FuzzCounts> {
  const options = { numRuns: runs, seed, endOnFailure: true }
  const statuses: Record<number, number> = {}
  const counts =
    target === 'read-api'
      ? { hostile: await check(readApiProperty(w, statuses), options), roundTrip: 0, statuses }
      : {
          hostile: await check(hostileProperty(w, target, statuses), options),
          roundTrip: await check(roundTripProperty(w, target), options),
          statuses,
        }
  const probe = await w.send(
    'default-reply',
    JSON.stringify({ organization_id: w.a.id, manychat_id: 'probe', username: 'probe', message_content: 'still alive' }),
  )
  expectStatus(probe, 200, 'a valid request after fuzzing')
  const integrity = w.env.store.engine === 'sqlite' ? w.env.store.sqlite.value('pragma integrity_check') : 'ok'
  if (integrity !== 'ok') throw new Error(`integrity_check after fuzzing ${target}: ${String(integrity)}`)
  return counts
}
