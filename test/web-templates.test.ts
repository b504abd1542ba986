import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { ContactDetail } from '../src/contacts/detail.ts'
import type { ContactView } from '../src/contacts/view.ts'
import { LEAD_STATUSES } from '../src/core/lead-status.ts'
import { boardCard } from '../src/web/board.tsx'
import { activityLine, messageItem, noteItem } from '../src/web/contact-view.tsx'
import { contactRow } from '../src/web/contacts.tsx'
import { moveOptions, pipelineCard } from '../src/web/pipeline.tsx'
import { ActivityLine, BoardCard, ContactRow, MessageItem, NoteItem, PipelineCard } from './jsx-reference.tsx'

// Issue 15: the pages' repeated pieces (board and pipeline cards, contact-list rows, the contact
// page's messages, notes and activity) are `html` templates instead of hono/jsx, to take less of
// the request thread. What a browser gets must not change: each template gives, byte for byte,
// what the JSX it replaced (test/jsx-reference.tsx) gives, for text that HTML must escape
// (quotes, <, >, &), emoji and the empty and missing values each piece treats apart.

const NOW = Date.parse('2026-12-02T12:00:00.000Z')
const TZ = 'Europe/Berlin'
const TRICKY = `Tom "T" O'Neil <b>&amp; 😀 </b>`

const text = (x: unknown) => String(x)
const same = (template: unknown, jsx: unknown, what: string) => assert.equal(text(template), text(jsx), what)

function contact(over: Partial<ContactView> = {}): ContactView {
  return {
    id: '0193a4b2-0000-7000-8000-000000000001',
    manychat_id: null,
    username: TRICKY,
    organization_id: 'org',
    ig_id: null,
    created_at: '2026-11-01T10:00:00.000Z',
    updated_at: '2026-11-01T10:00:00.000Z',
    last_response_at: '2026-12-02T09:30:00.000Z',
    last_message_content: `<script>alert("x")</script> & 'more' 👋🏽`,
    contact_type: 'inbound',
    had_outreach: false,
    outreach_reason: null,
    outreach_message: null,
    outreach_text: null,
    outreach_reason_label: null,
    outreach_message_label: null,
    follow_up_needed: true,
    follow_up_count: 3,
    next_follow_up_at: '2026-12-01T08:00:00.000Z',
    lead_status: 'open',
    lead_status_id: 1,
    pipeline_stage: `Call "booked" <soon> & 🚀`,
    contact_ingestion_type: 'manychat',
    created_by_user_id: null,
    assigned_user_id: null,
    tags: [
      { id: 1, name: `hot "lead" <1> & 🔥`, color: `#f00" onload="x` },
      { id: 2, name: 'vip', color: '#00f' },
    ],
    ...over,
  }
}

/** The variations each piece treats apart, on top of the tricky defaults. */
const CONTACTS: [string, ContactView][] = [
  ['tricky text everywhere', contact()],
  [
    'no reply, no message, no tags, no stage',
    contact({ last_response_at: null, last_message_content: null, tags: [], pipeline_stage: null }),
  ],
  [
    'outreach text instead of a message',
    contact({ last_message_content: null, outreach_text: `Hi "you" <3 & 🙂`, contact_type: 'outreach' }),
  ],
  ['follow-up in the future', contact({ next_follow_up_at: '2026-12-09T08:00:00.000Z' })],
  ['no follow-up needed', contact({ follow_up_needed: false })],
  ['follow-up needed without a time', contact({ next_follow_up_at: null })],
  ['a stage the organization no longer has', contact({ pipeline_stage: 'Gone' })],
  ['plain text, a reply just now', contact({ username: 'maria.garcia', last_response_at: '2026-12-02T11:59:50.000Z', lead_status: 'won' })],
]

const STAGES = ['New Lead', `Call "booked" <soon> & 🚀`, 'Gone?', "Won't buy", 'A&B']
const BACK = `?q=${encodeURIComponent(TRICKY)}&tag=a"b&stage=<x>`

describe('page templates give the markup their JSX gave', () => {
  it('board cards', () => {
    for (const [what, c] of CONTACTS)
      same(boardCard(c, NOW, BACK, '2026-12-03'), BoardCard({ contact: c, now: NOW, back: BACK, tomorrow: '2026-12-03' }), what)
  })

  it('pipeline cards, with the Move form naming every stage', () => {
    const moveTo = moveOptions(STAGES)
    for (const [what, c] of CONTACTS) {
      same(pipelineCard(c, NOW, moveTo, BACK), PipelineCard({ contact: c, now: NOW, stages: STAGES, back: BACK }), what)
      // The options made once per stage serve every later card in that stage unchanged.
      same(pipelineCard(c, NOW, moveTo, ''), PipelineCard({ contact: c, now: NOW, stages: STAGES, back: '' }), `${what}, again`)
    }
    same(
      pipelineCard(contact(), NOW, moveOptions([]), BACK),
      PipelineCard({ contact: contact(), now: NOW, stages: [], back: BACK }),
      'no stages',
    )
  })

  it('contact-list rows', () => {
    for (const [what, c] of CONTACTS) same(contactRow(c, NOW), ContactRow({ contact: c, now: NOW }), what)
  })

  it("the contact page's messages and notes", () => {
    const message = (direction: 'inbound' | 'outbound', content: string) => ({
      id: 1,
      direction,
      content,
      sent_at: '2026-12-02T09:30:00.000Z',
      source: 'manychat',
      created_at: '2026-12-02T09:30:00.000Z',
    })
    for (const m of [message('inbound', TRICKY), message('outbound', `Reply "soon" <3 & 👍`), message('inbound', '')])
      for (const username of [TRICKY, 'plain'])
        same(messageItem(m, username, TZ), MessageItem({ m, username, tz: TZ }), `${m.direction} ${JSON.stringify(m.content)}`)
    for (const body of [TRICKY, '', 'line one\nline two'])
      for (const tz of [TZ, 'UTC', 'America/New_York']) {
        const n = { id: 7, body, created_by_user_id: null, created_at: '2026-12-02T09:30:00.000Z' }
        same(noteItem(n, tz), NoteItem({ n, tz }), `note ${JSON.stringify(body)} in ${tz}`)
      }
  })

  it("the contact page's activity, by each kind of actor", () => {
    type Activity = ContactDetail['activity']['items'][number]
    const entry = (over: Partial<Activity>): Activity => ({
      id: 1,
      action: 'lead_status',
      old_value: 'open',
      new_value: 'won',
      via: 'api',
      automation_id: null,
      user_id: null,
      user_email: null,
      created_at: '2026-12-02T09:30:00.000Z',
      ...over,
    })
    const entries: Activity[] = [
      entry({}),
      entry({ user_email: `a"b'<c>&d@example.com` }),
      entry({ via: 'cli', old_value: null }),
      entry({ via: 'automation', automation_id: 12, new_value: TRICKY }),
      entry({ via: 'automation', automation_id: null, old_value: null, new_value: null }),
      entry({ action: 'follow_up_snoozed', old_value: null, new_value: '2026-12-05T23:00:00.000Z' }),
      entry({ action: 'follow_up_snoozed', old_value: null, new_value: null }),
      entry({ action: 'tags_added', old_value: null, new_value: `hot "lead" <1> & 🔥` }),
      entry({ action: 'some_new_thing', old_value: TRICKY, new_value: null }),
    ]
    for (const e of entries) same(activityLine(e, TZ), ActivityLine({ entry: e, timeZone: TZ }), JSON.stringify(e))
  })

  it('for any text in any field (generated, fixed seed)', () => {
    const chars = fc.constantFrom('a', 'Z', '0', ' ', '"', "'", '<', '>', '&', ';', '#', '=', '/', '\n', 'é', '😀', '👋🏽', '→', '—')
    const str = fc.string({ unit: chars, maxLength: 12 })
    const time = fc.integer({ min: NOW - 30 * 86_400_000, max: NOW + 30 * 86_400_000 }).map((t) => new Date(t).toISOString())
    const view = fc.record({
      username: str,
      last_response_at: fc.option(time),
      last_message_content: fc.option(str),
      outreach_text: fc.option(str),
      follow_up_needed: fc.boolean(),
      follow_up_count: fc.nat(50),
      next_follow_up_at: fc.option(time),
      lead_status: fc.constantFrom(...LEAD_STATUSES),
      pipeline_stage: fc.option(str),
      contact_type: fc.constantFrom('inbound' as const, 'outreach' as const),
      tags: fc.array(fc.record({ id: fc.nat(), name: str, color: str }), { maxLength: 3 }),
    })
    fc.assert(
      fc.property(view, fc.array(str, { maxLength: 4 }), str, (over, stages, back) => {
        const c = contact(over)
        const all = c.pipeline_stage === null ? stages : [...stages, c.pipeline_stage]
        same(boardCard(c, NOW, back, '2026-12-03'), BoardCard({ contact: c, now: NOW, back, tomorrow: '2026-12-03' }), 'board card')
        same(pipelineCard(c, NOW, moveOptions(all), back), PipelineCard({ contact: c, now: NOW, stages: all, back }), 'pipeline card')
        same(contactRow(c, NOW), ContactRow({ contact: c, now: NOW }), 'contact row')
      }),
      { seed: 15, numRuns: 300 },
    )
  })
})
