import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import * as v from 'valibot'
import { recordReply } from '../src/contacts/lifecycle.ts'
import { openApiDocument, openApiPath } from '../src/openapi/document.ts'
import { OPERATIONS } from '../src/openapi/operations.ts'
import { errorResponse } from '../src/openapi/responses.ts'
import { addContact, setup, type TestEnv } from './helpers.ts'

type Doc = { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } }

/** Checks a real answer against the schema the document was generated from. */
function assertDocumented(operationId: string, status: 200 | 201, body: unknown) {
  const op = OPERATIONS.find((o) => o.id === operationId)
  assert.ok(op, operationId)
  const ok = op.ok[status]
  assert.ok(ok && 'schema' in ok, `${operationId} documents a JSON ${status}`)
  const result = v.safeParse(ok.schema, body)
  assert.ok(
    result.success,
    `${operationId} ${status} differs from its documented schema: ${JSON.stringify(result.issues?.map((i) => [i.path?.map((p) => p.key).join('.'), i.message]))}`,
  )
}

describe('OpenAPI document', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await setup()
  })
  afterEach(async () => {
    await env.close()
  })

  it('documents every route the app serves, and nothing it does not serve', () => {
    const doc = openApiDocument() as Doc
    // The web app's pages (src/web/) are for browsers, not API operations.
    const isApi = (path: string) => path.startsWith('/api/') || path === '/healthz' || path === '/version'
    const served = new Set(
      env.app.hono.routes.filter((r) => r.method !== 'ALL' && isApi(r.path)).map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`),
    )
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`)))
    assert.ok(served.size >= 14)
    assert.deepEqual(
      [...served].filter((r) => !documented.has(r)),
      [],
      'served but not documented',
    )
    assert.deepEqual(
      [...documented].filter((r) => !served.has(r)),
      [],
      'documented but not served',
    )
  })

  it('is a self-consistent OpenAPI 3.1 document', () => {
    const doc = openApiDocument() as Doc
    assert.equal(doc.openapi, '3.1.0')
    const ids = Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId))
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique')
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const declared = op.parameters.filter((p: { in: string }) => p.in === 'path').map((p: { name: string }) => p.name)
        assert.deepEqual(
          declared,
          [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
          `${method} ${path} declares its path parameters`,
        )
        assert.ok(op.responses['200'] || op.responses['201'], `${method} ${path} has a success response`)
        if (method === 'post' || method === 'patch') assert.ok(op.requestBody, `${method} ${path} has a request body`)
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!)
    assert.ok(refs.length > 0)
    for (const ref of refs) assert.ok(doc.components.schemas[ref], `${ref} is defined`)
  })

  it('describes request fields from the validation schemas', () => {
    const doc = openApiDocument() as Doc
    const list = doc.paths['/api/v1/contacts']!.get
    assert.deepEqual(
      list.parameters.map((p: { name: string }) => p.name),
      ['follow_up', 'stage', 'lead_status', 'tag', 'type', 'q', 'updated_since', 'cursor', 'limit'],
    )
    const followUp = list.parameters.find((p: { name: string }) => p.name === 'follow_up')
    assert.deepEqual(followUp.schema.enum, ['overdue', 'today', 'upcoming', 'any'])
    const create = doc.paths['/api/v1/organization/create-contact']!.post.requestBody.content['application/json'].schema
    assert.deepEqual(create.required, ['organization_id', 'username', 'had_outreach'])
    assert.equal(create.properties.last_response_at.format, 'date-time')
    const reply = doc.paths['/api/v1/contact/default-reply']!.post
    assert.ok(reply.requestBody.content['application/json'].schema.properties.message_content)
    assert.deepEqual(reply.security, undefined, 'the webhook needs the token (the document-wide security applies)')
    assert.deepEqual(doc.paths['/healthz']!.get.security, [])
  })

  it('is served at /api/v1/openapi.json without a token', async () => {
    const res = await env.call('GET', '/api/v1/openapi.json', undefined, { token: null })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, JSON.parse(JSON.stringify(openApiDocument())))
    assertDocumented('getOpenApi', 200, res.body)
  })

  it('matches what the endpoints actually answer', async () => {
    const now = new Date(env.now()).toISOString()
    const lead = await addContact(env, { username: 'documented', igId: '17841400000000000001' })
    await env.store.write((trx) => recordReply(trx, lead, { content: 'hello', sentAt: now, source: 'test' }, now))
    const answers: [string, 200 | 201, string, string, unknown?][] = [
      ['health', 200, 'GET', '/healthz'],
      ['version', 200, 'GET', '/version'],
      ['listContacts', 200, 'GET', '/api/v1/contacts'],
      ['getContact', 200, 'GET', `/api/v1/contacts/${lead.id}`],
      ['getFollowUpBoard', 200, 'GET', '/api/v1/follow-ups'],
      ['getPipeline', 200, 'GET', '/api/v1/pipeline'],
      ['actOnFollowUp', 200, 'POST', `/api/v1/contacts/${lead.id}/follow-ups`, { note: 'done' }],
      [
        'defaultReply',
        200,
        'POST',
        '/api/v1/contact/default-reply',
        { organization_id: env.org.id, manychat_id: '42', username: 'replier', message_content: 'hi' },
      ],
      [
        'defaultReply',
        200,
        'POST',
        '/api/v1/contact/default-reply',
        { organization_id: env.org.id, manychat_id: '43', username: 'nobody', message_content: '' },
      ],
      [
        'createContact',
        201,
        'POST',
        '/api/v1/organization/create-contact',
        { organization_id: env.org.id, username: 'made', had_outreach: true, outreach_reason: 'r', outreach_text: 't', tags: ['x'] },
      ],
      [
        'updateTags',
        200,
        'POST',
        '/api/v1/contact/update-tags-external',
        { organization_id: env.org.id, username: 'made', mode: 'add', tag_names: ['y'] },
      ],
      [
        'updateContactStatus',
        200,
        'PATCH',
        '/api/v1/contact/contact-status',
        { organization_id: env.org.id, contact_id: lead.id, lead_status: 'won' },
      ],
      ['updateContact', 200, 'PATCH', `/api/v1/contacts/${lead.id}`, { assigned_email: null }],
      ['archiveContact', 200, 'DELETE', `/api/v1/contacts/${lead.id}`],
      ['analyticsSetters', 200, 'GET', '/api/v1/analytics/setters'],
      ['analyticsOutreach', 200, 'GET', '/api/v1/analytics/outreach?by=message_label'],
      ['analyticsDaily', 200, 'GET', '/api/v1/analytics/daily?from=2026-01-01&to=2026-01-15'],
    ]
    for (const [id, status, method, path, body] of answers) {
      const res = await env.call(method, path, body)
      assert.equal(res.status, status, `${id}: ${res.text}`)
      assertDocumented(id, status, res.body)
    }
    const bad = await env.call('GET', '/api/v1/contacts?limit=0')
    assert.ok(v.is(errorResponse, bad.body), JSON.stringify(bad.body))
  })
})
