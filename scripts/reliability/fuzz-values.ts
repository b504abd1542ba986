// What the fuzzing sends: hostile values, valid-looking bodies to mutate, bodies that are not
// JSON objects, read API requests, and text for the round-trips. See fuzz-properties.ts.
import fc from 'fast-check'
import { DUPLICATE, type EndpointName, RawJson, toJsonText } from './endpoints.ts'
import type { FuzzWorld } from './fuzz-world.ts'

// What the database does to text that is not valid Unicode (a lone surrogate): U+FFFD.
export const wellFormed = (s: string) => (s as unknown as { toWellFormed(): string }).toWellFormed()

const INJECTION = [
  "'; DROP TABLE contacts; --",
  '" OR "1"="1',
  '1 UNION SELECT token_hash FROM api_tokens --',
  "Robert'); DELETE FROM messages WHERE ('1'='1",
  '<script>alert("x")</script>',
  '<img src=x onerror=alert(1)>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: template syntax is the hostile input
  '${7*7} {{7*7}} %s %n %x',
  '../../etc/passwd',
  'a\u0000b',
  '\u0000',
  'quote " backslash \\ apostrophe \' backtick `',
  '😀👍🏽👨‍👩‍👧‍👦🏳️‍🌈',
  '\u202Egnp.exe',
  'Ω≈ç√∫˜µ≤≥÷ ＡＢＣ ﷽ 𝕳𝖊𝖑𝖑𝖔',
  'line\r\nbreak\ttab',
  'x\ud800y',
  '\udfff',
]

/** Strings at and around every documented maximum, and far beyond. */
const BIG_STRINGS = [30, 31, 50, 51, 100, 101, 254, 255, 500, 501, 1000, 1001, 10_000, 10_001, 200_000].map((n) => 'x'.repeat(n))

const hostileString = fc.oneof(
  fc.constantFrom(
    ...INJECTION,
    ...BIG_STRINGS,
    '',
    ' ',
    '@',
    '@@ ',
    '{{last_input_text}}',
    '## {{ last_input_text }}',
    '__proto__',
    'null',
    '-1',
    '1e999',
    '2026-02-30T00:00:00Z',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('😀'.repeat(5000), '😀'.repeat(5001), 'é'.repeat(10_001)),
)

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(), // NaN and infinities are written as null
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, -0, 0, -1, 1.5, 1e308, 5e-324, Number.MAX_SAFE_INTEGER, 10n ** 30n - 1n, 10n ** 30n, 10n ** 100n),
)

/** JSON nested far beyond anything the schema expects. */
const deepNesting = fc.constantFrom(
  new RawJson('['.repeat(600) + ']'.repeat(600)),
  new RawJson(`${'{"a":'.repeat(600)}1${'}'.repeat(600)}`),
  new RawJson('['.repeat(20_000) + ']'.repeat(20_000)),
)

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, [], {}, [null], ['a', 1], { ig_id: 1 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
  { weight: 1, arbitrary: deepNesting },
)

/** Bodies that are not a JSON object, or not JSON at all. */
const notAnObject = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'null',
    '[]',
    '[1,2]',
    '"text"',
    '42',
    'true',
    '{',
    '}',
    '{"a":1,}',
    "{'a':1}",
    '{"a":1}{"b":2}',
    '\ufeff{}',
    '\u0000',
    '{"a":"\\ud800"}',
    '{"a":"\\x"}',
    '{"a":01}',
    '{"a":1e99999}',
    'NaN',
  ),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  deepNesting.map((raw) => raw.text),
  fc.constant(`{"pad":"${'y'.repeat(1_100_000)}"}`), // over the 1 MiB body limit
)

// ---------------------------------------------------------------------------------------------
// Valid-looking bodies, as templates for mutation. Identifiers mix the caller's organization's
// (most of the time), the other organization's, and unknown ones.

function templates(w: FuzzWorld): Record<EndpointName, fc.Arbitrary<Record<string, unknown>>> {
  const mostly = <T>(usual: fc.Arbitrary<T>, ...others: fc.Arbitrary<T>[]) =>
    fc.oneof({ weight: 8 * others.length, arbitrary: usual }, ...others)
  const orgId = mostly(fc.constant(w.a.id), fc.constant(w.b.id), fc.uuid())
  const username = mostly(
    fc.stringMatching(/^[a-z0-9._]{1,30}$/),
    fc.constantFrom(w.contact.username, `@${w.contact.username.toUpperCase()}`, w.bContact.username),
  )
  const manychatId = mostly(
    fc.oneof(fc.stringMatching(/^\d{1,20}$/), fc.nat()),
    fc.constantFrom(w.contact.manychat_id, w.bContact.manychat_id),
  )
  const contactId = mostly(fc.constant(w.contact.id), fc.constant(w.bContact.id), fc.uuid())
  const email = mostly(fc.constantFrom(w.member, 'SETTER@example.com'), fc.constantFrom('outsider@example.com', 'nobody@example.com'))
  const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 50 })
  const date = fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString())
  const igId = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 25n }), fc.stringMatching(/^\d{1,30}$/))
  const tags = fc.array(fc.oneof(fc.constantFrom('vip', 'VIP', 'hot-lead'), text), { maxLength: 4 })
  const color = fc.constantFrom('red', 'RED', '#FF5733', '#abc', 'nope', '')
  const stage = mostly(fc.constantFrom('Interested', 'closed', ' Lost '), fc.constant('No such stage'))
  const status = mostly(fc.constantFrom('open', 'WON', 'lost', 'abandoned'), fc.constant('maybe'))
  return {
    'default-reply': fc.record(
      {
        manychat_id: manychatId,
        username,
        organization_id: orgId,
        message_content: text,
        message_date: date,
        page_name: fc.constantFrom('acme_page', 'b_page', 'new_page'),
        ig_id: igId,
        manychat_data: fc.record({ ig_id: igId }),
      },
      { requiredKeys: ['manychat_id', 'username', 'organization_id', 'message_content'] },
    ),
    'create-contact': fc.oneof(
      fc.record(
        {
          organization_id: orgId,
          username,
          had_outreach: fc.constant(false),
          last_response_at: date,
          last_message_content: text,
          note: text,
          tags,
          tag_color: color,
          email,
          manychat_id: manychatId,
          ig_id: igId,
          activate_followups: fc.boolean(),
        },
        { requiredKeys: ['organization_id', 'username', 'had_outreach', 'last_response_at', 'last_message_content'] },
      ),
      fc.record(
        {
          organization_id: orgId,
          username,
          had_outreach: fc.constant(true),
          outreach_reason: text,
          outreach_text: text,
          outreach_reason_label: text,
          outreach_message_label: text,
          tags,
          tag_color: color,
          email,
        },
        { requiredKeys: ['organization_id', 'username', 'had_outreach', 'outreach_reason', 'outreach_text'] },
      ),
    ),
    'update-tags': fc
      .tuple(
        fc.record(
          { organization_id: orgId, mode: fc.constantFrom('set', 'add', 'remove'), tag_names: tags, tag_color: color, email },
          { requiredKeys: ['organization_id', 'mode', 'tag_names'] },
        ),
        fc.oneof(fc.record({ contact_id: contactId }), fc.record({ username }), fc.record({ contact_id: contactId, username })),
      )
      .map(([fields, who]) => ({ ...fields, ...who })),
    'contact-status': fc
      .tuple(
        fc.record({ organization_id: orgId, email }, { requiredKeys: ['organization_id'] }),
        fc.oneof(
          fc.record({ contact_id: contactId }),
          fc.record({ manychat_id: manychatId }),
          fc.record({ contact_id: contactId, manychat_id: manychatId }),
        ),
        fc.oneof(
          fc.record({ lead_status: status, pipeline_stage: stage }, { requiredKeys: [] }),
          fc.record(
            { lead_status_id: mostly(fc.constantFrom(1, 2, 4, '3'), fc.constant(5)), pipeline_stage: stage },
            { requiredKeys: ['lead_status_id'] },
          ),
        ),
      )
      .map(([fields, who, change]) => ({ ...fields, ...who, ...change })),
  }
}

const FIELDS: Record<EndpointName, string[]> = {
  'default-reply': ['manychat_id', 'username', 'organization_id', 'message_content', 'message_date', 'page_name', 'ig_id', 'manychat_data'],
  'create-contact': [
    'organization_id',
    'username',
    'had_outreach',
    'last_response_at',
    'last_message_content',
    'outreach_reason',
    'outreach_text',
    'outreach_reason_label',
    'outreach_message_label',
    'email',
    'manychat_id',
    'ig_id',
    'activate_followups',
    'note',
    'tags',
    'tag_color',
  ],
  'update-tags': ['organization_id', 'contact_id', 'username', 'mode', 'tag_names', 'tag_color', 'email'],
  'contact-status': ['organization_id', 'contact_id', 'manychat_id', 'lead_status', 'lead_status_id', 'pipeline_stage', 'email'],
}

/** A template with some fields replaced by hostile values or removed, junk keys and duplicate keys. */
function mutatedBody(template: fc.Arbitrary<Record<string, unknown>>, fields: string[]): fc.Arbitrary<string> {
  const field = fc.constantFrom(...fields, '__proto__', 'constructor', 'extra')
  const edit = fc.tuple(field, fc.oneof({ weight: 5, arbitrary: hostileValue }, { weight: 1, arbitrary: fc.constant(undefined) }))
  // Half the cases are left valid-looking, so they reach the services and the database.
  const none: [string, unknown][] = []
  const some = (max: number, share: number) =>
    fc.oneof(
      { weight: 100 - share, arbitrary: fc.constant(none) },
      { weight: share, arbitrary: fc.array(edit, { minLength: 1, maxLength: max }) },
    )
  return fc.record({ template, edits: some(3, 50), duplicates: some(2, 10) }).map(({ template, edits, duplicates }) => {
    const body: Record<string | symbol, unknown> = { ...template }
    for (const [key, value] of edits) Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true })
    body[DUPLICATE] = Object.fromEntries(duplicates.filter(([, v]) => v !== undefined))
    return toJsonText(body)
  })
}

export const tokenChoice = (w: FuzzWorld) =>
  fc.oneof(
    { weight: 40, arbitrary: fc.constant(w.a.token) },
    fc.constant(w.b.token),
    fc.constant(null),
    fc.constantFrom('', 'dmt_wrong', `${w.a.token} `, w.a.token.slice(0, -1), '\u00e9'),
  )

/** A body for a write endpoint: a mutated template most of the time, else not a JSON object at all. */
export function hostileBody(w: FuzzWorld, endpoint: EndpointName): fc.Arbitrary<string> {
  return fc.oneof({ weight: 8, arbitrary: mutatedBody(templates(w)[endpoint], FIELDS[endpoint]) }, { weight: 2, arbitrary: notAnObject })
}

/** Query string values: sensible ones, hostile text, and percent-encoding that does not decode. */
const queryValue = fc.oneof(
  fc
    .constantFrom(
      'vip',
      'Interested',
      'won',
      'inbound',
      'outreach',
      'any',
      'overdue',
      'today',
      '10',
      '200',
      '0',
      '-1',
      '2026-01-01T00:00:00Z',
      'fuzz_lead',
      '@FUZZ_LEAD',
    )
    .map(encodeURIComponent),
  hostileString.map((s) => encodeURIComponent(wellFormed(s).slice(0, 2000))),
  fc.constantFrom('', '%', '%ZZ', '%ED%A0%80', '%00', '%C0%AF', '%FF%FE', '+', '%2B', '%26', 'a=b', 'A'.repeat(5000)),
)
const QUERY_NAMES = [
  'q',
  'tag',
  'stage',
  'lead_status',
  'type',
  'follow_up',
  'updated_since',
  'cursor',
  'limit',
  'messages_cursor',
  'activity_cursor',
  'email',
  'unknown',
  '__proto__',
  'constructor',
  '',
]

/**
 * A request to the read API or its two writes (archive, follow-up action): any path id, any query
 * string (repeated, unknown and undecodable parameters included), any follow-up body.
 */
export function readApiRequest(w: FuzzWorld): fc.Arbitrary<{ method: string; path: string; body: string | undefined }> {
  const id = fc.oneof(
    fc.constantFrom(w.contact.id, w.contact.id.toUpperCase(), w.bContact.id),
    fc.uuid(),
    fc.constantFrom('x', '%ZZ', '%ED%A0%80', '..', 'export.csv', '00000000-0000-0000-0000-000000000000'),
  )
  const query = fc
    .array(fc.tuple(fc.constantFrom(...QUERY_NAMES), queryValue), { maxLength: 4 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''))
  const followUp = fc.record(
    {
      snooze_until: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      note: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      email: fc.constantFrom(w.member, 'nobody@example.com'),
    },
    { requiredKeys: [] },
  )
  return fc.oneof(
    fc
      .tuple(
        fc.constantFrom(
          '/api/v1/contacts',
          '/api/v1/contacts/export.csv',
          '/api/v1/follow-ups',
          '/api/v1/pipeline',
          '/api/v1/openapi.json',
        ),
        query,
      )
      .map(([path, q]) => ({ method: 'GET', path: path + q, body: undefined })),
    fc.tuple(id, query).map(([i, q]) => ({ method: 'GET', path: `/api/v1/contacts/${i}${q}`, body: undefined })),
    fc.tuple(id, query).map(([i, q]) => ({ method: 'DELETE', path: `/api/v1/contacts/${i}${q}`, body: undefined })),
    fc
      .tuple(
        id,
        fc.oneof({ weight: 8, arbitrary: mutatedBody(followUp, ['snooze_until', 'note', 'email']) }, { weight: 2, arbitrary: notAnObject }),
      )
      .map(([i, body]) => ({ method: 'POST', path: `/api/v1/contacts/${i}/follow-ups`, body })),
  )
}

/** A tag name has no NUL (see noNul in src/core/fields.ts). */
export const tagText = () => literalText(30).filter((s) => !s.includes('\u0000'))

/** Arbitrary text a user could mean literally: any Unicode, quotes, injection strings, NUL (but on PostgreSQL, whose text has no NUL: it answers 400). */
export const literalText = (maxLength: number) =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
      fc.constantFrom(...INJECTION),
    )
    .filter((s) => s.trim() !== '' && s.length <= maxLength && !/^(?:##)?\{\{[^{}]*\}\}$/.test(s.replace(/\s+/g, '')))
    .filter((s) => !process.env.DMTRACKER_TEST_DATABASE_URL || !s.includes('\u0000'))
