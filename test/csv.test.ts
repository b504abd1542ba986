import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { csvCell, csvLine } from '../src/contacts/csv.ts'
import { createContact, recordReply } from '../src/contacts/lifecycle.ts'
import { EXPORT_PAGE_SIZE } from '../src/read-tasks.ts'
import { attachTags, ensureTags } from '../src/tags/repo.ts'
import { addContact, isErrorShape, setup, type TestEnv } from './helpers.ts'

/** RFC 4180 as a spreadsheet reads it: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += ch
  }
  return rows
}

async function exportCsv(env: TestEnv, query = '') {
  const res = await env.app.request(`/api/v1/contacts/export.csv${query}`, { headers: { 'x-org-auth-token': env.org.token } })
  const bytes = new Uint8Array(await res.arrayBuffer())
  return { res, bytes, text: new TextDecoder().decode(bytes) } // TextDecoder drops the BOM
}

describe('CSV cells', () => {
  const cases: [string, unknown, string][] = [
    ['plain text', 'john_doe', '"john_doe"'],
    ['null is empty', null, '""'],
    ['numbers and booleans', 3, '"3"'],
    ['quotes doubled', 'say "hi"', '"say ""hi"""'],
    ['commas and line breaks kept inside quotes', 'a, b\nc', '"a, b\nc"'],
    ['= formula', '=HYPERLINK("http://evil","x")', '"\'=HYPERLINK(""http://evil"",""x"")"'],
    ['+ formula', '+1 555 0100', '"\'+1 555 0100"'],
    ['- formula', '-2+3', '"\'-2+3"'],
    ['@ formula', '@SUM(A1:A9)', '"\'@SUM(A1:A9)"'],
    ['tab start', '\t=1', '"\'\t=1"'],
    ['carriage return start', '\r=1', '"\'\r=1"'],
    ['= later in the text is fine', 'a=b', '"a=b"'],
    ['unicode', 'Grüße 👋', '"Grüße 👋"'],
  ]
  for (const [name, value, expected] of cases) {
    it(name, () => assert.equal(csvCell(value), expected))
  }

  it('ends lines with CRLF', () => {
    assert.equal(csvLine(['a', null]), '"a",""\r\n')
  })
})

describe('GET /api/v1/contacts/export.csv', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('exports every matching contact as a spreadsheet-safe CSV with a header row', async () => {
    const lead = await addContact(env, { username: 'risky', igId: '17841400000000000001' })
    const now = new Date(env.now()).toISOString()
    await env.store.write(async (trx) => {
      await recordReply(trx, lead, { content: '=HYPERLINK("http://evil","click"), then\nnew line', sentAt: now, source: 'test' }, now)
      await attachTags(trx, lead.id, await ensureTags(trx, env.org.id, ['@evil', 'vip'], '#374151', now), now)
    })
    env.advance(1000)
    await addContact(env, { username: 'plain', type: 'outreach', outreach: { reason: '+1 campaign', text: 'Hi!' } })

    const { res, bytes, text } = await exportCsv(env)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8')
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="contacts-2026-01-15\.csv"$/)
    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 byte order mark')

    const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''))
    assert.equal(header![0], 'id')
    assert.ok(header!.includes('last_message_content'))
    const col = (name: string) => header!.indexOf(name)
    assert.deepEqual(
      rows.map((r) => r[col('username')]),
      ['plain', 'risky'],
    )
    const [plain, risky] = rows
    assert.equal(risky![col('last_message_content')], `'=HYPERLINK("http://evil","click"), then\nnew line`)
    assert.equal(risky![col('tags')], `'@evil; vip`)
    assert.equal(risky![col('ig_id')], '17841400000000000001')
    assert.equal(risky![col('follow_up_needed')], 'true')
    assert.equal(plain![col('outreach_reason')], `'+1 campaign`)
    assert.equal(plain![col('contact_type')], 'outreach')
    assert.ok(rows.every((r) => r.length === header!.length))
  })

  it('applies the same filters as GET /contacts', async () => {
    await addContact(env, { username: 'inbound_one' })
    await addContact(env, { username: 'outbound_one', type: 'outreach', outreach: { reason: 'r', text: 't' } })
    const { text } = await exportCsv(env, '?type=outreach')
    const rows = parseCsv(text.replace(/^\uFEFF/, ''))
    assert.deepEqual(
      rows.slice(1).map((r) => r[1]),
      ['outbound_one'],
    )
  })

  it('refuses bad filters with a JSON 400 before any CSV is sent', async () => {
    for (const [query, field] of [
      ['?follow_up=later', 'follow_up'],
      ['?cursor=abc', 'cursor'],
      ['?limit=10', 'limit'],
      ['?tag=none', 'tag'],
    ]) {
      const { res, text } = await exportCsv(env, query)
      assert.equal(res.status, 400, query)
      const body = JSON.parse(text)
      assert.ok(isErrorShape(body))
      assert.equal(body.details[0].field, field)
    }
  })

  it('streams page by page and exports each contact exactly once', async () => {
    const total = EXPORT_PAGE_SIZE * 2 + 7
    await env.store.write(async (trx) => {
      const org = await trx.selectFrom('organizations').selectAll().where('id', '=', env.org.id).executeTakeFirstOrThrow()
      for (let i = 0; i < total; i++) {
        await createContact(trx, org, { username: `bulk_${i}`, type: 'inbound', ingestionType: 'test' }, new Date(env.now()).toISOString())
      }
    })
    const res = await env.app.request('/api/v1/contacts/export.csv', { headers: { 'x-org-auth-token': env.org.token } })
    const reader = res.body!.getReader()
    const first = await reader.read()
    // The header goes out on its own, before any contact is read.
    assert.equal(parseCsv(new TextDecoder().decode(first.value)).length, 1)
    let text = ''
    const decoder = new TextDecoder()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    const names = parseCsv(text).map((r) => r[1])
    assert.equal(names.length, total)
    assert.equal(new Set(names).size, total)
  })

  it('is not mistaken for a contact id, and needs a token', async () => {
    const { res } = await exportCsv(env)
    assert.equal(res.status, 200)
    const anonymous = await env.app.request('/api/v1/contacts/export.csv')
    assert.equal(anonymous.status, 401)
  })
})
