import { type ConversionConfig, type JsonSchema, toJsonSchema, toJsonSchemaDefs } from '@valibot/to-json-schema'
import type * as v from 'valibot'
import { day } from '../analytics/schemas.ts'
import { cursorParam } from '../core/cursor.ts'
import { DEFAULT_PAGE_SIZE, igId, isoDate, MAX_PAGE_SIZE, manychatId, pageSize, tagColor } from '../core/fields.ts'
import { isRepeatable } from '../core/query.ts'
import { routeAccess } from '../http/access.ts'
import { VERSION } from '../system/routes.ts'
import { OPERATIONS, type Operation } from './operations.ts'
import { contactSchema, errorResponse, tagSchema } from './responses.ts'

// The OpenAPI 3.1 document, generated from the valibot schemas the server validates requests with
// (and the response schemas the tests check answers against), so it cannot drift from the code.

const TAG_COLOR_NAMES =
  'red, blue, green, yellow, purple, pink, indigo, orange, teal, cyan, gray, slate, amber, lime, emerald, sky, violet, fuchsia, rose'

// Shared fields whose wire format the converter cannot see (transforms, bigint, strings parsed to
// numbers). The converter walks a pipe step by step without asking about the pipe itself, so a
// pipe is recognised by its last step.
const lastStep = (schema: { pipe: readonly unknown[] }) => schema.pipe.at(-1)
const OVERRIDES = new Map<unknown, JsonSchema>([
  [lastStep(day), { type: 'string', format: 'date', description: 'A calendar day in the organization’s time zone, YYYY-MM-DD' }],
  [
    lastStep(isoDate),
    {
      type: 'string',
      format: 'date-time',
      description: 'ISO 8601; without an offset the time is UTC; years 0000-9999 once the offset is applied',
    },
  ],
  [
    lastStep(igId),
    {
      anyOf: [
        { type: 'string', pattern: '^\\d{1,30}$' },
        { type: 'integer', minimum: 0 },
      ],
      description: 'Instagram id; large ids are kept exact',
    },
  ],
  [
    lastStep(manychatId),
    {
      anyOf: [
        { type: 'string', minLength: 1, maxLength: 100 },
        { type: 'integer', minimum: 0 },
      ],
    },
  ],
  [lastStep(tagColor), { type: 'string', description: `A colour name (${TAG_COLOR_NAMES}) or #RGB/#RRGGBB; anything else is gray` }],
  [pageSize, { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }],
  [cursorParam, { type: 'string', description: 'next_cursor from the previous page, as it came' }],
])

// Named once under components/schemas and referenced elsewhere.
const DEFINITIONS = { Contact: contactSchema, Tag: tagSchema, Error: errorResponse }

const CONVERSION: ConversionConfig = {
  target: 'draft-2020-12',
  // Through transforms: what a client may send, as the server checks it.
  typeMode: 'ignore',
  errorMode: 'ignore',
  definitions: DEFINITIONS,
  overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
  overrideSchema: ({ valibotSchema }) => OVERRIDES.get(valibotSchema),
  overrideAction: ({ valibotAction }) => OVERRIDES.get(valibotAction),
}

function jsonSchema(schema: v.GenericSchema): JsonSchema {
  const { $schema: _, $defs: __, ...rest } = toJsonSchema(schema, CONVERSION) as JsonSchema & { $defs?: unknown }
  return rest
}

const isOptional = (schema: v.GenericSchema) => schema.type === 'optional' || schema.type === 'nullish'

/** `/api/v1/contacts/:id` as OpenAPI writes it: `/api/v1/contacts/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)/g, '{$1}')
}

const ERRORS: Record<number, string> = {
  400: 'Bad input: `message` and `details` name each offending field or parameter',
  401: 'Missing, unknown or revoked x-org-auth-token',
  403: 'The user named by email is not a member of the organization',
  404: 'No such contact (or user) in the caller’s organization',
  409: 'A request with this Idempotency-Key is still being processed (Retry-After says when to repeat it)',
  413: 'Body larger than the limit',
  422: 'This Idempotency-Key was already used for a different request',
  429: 'Too many requests (Retry-After says when to try again)',
  503: 'Database busy or out of space; retry after Retry-After seconds',
}

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }

function parameters(op: Operation) {
  const list = []
  for (const [location, schema] of [
    ['path', op.params],
    ['query', op.query],
  ] as const) {
    for (const [name, entry] of Object.entries(schema?.entries ?? {}) as [string, v.GenericSchema][]) {
      list.push({
        name,
        in: location,
        required: location === 'path' || !isOptional(entry),
        schema: jsonSchema(entry),
        ...(isRepeatable(entry) ? { style: 'form', explode: true, description: `Repeat for several (${name}=a&${name}=b)` } : {}),
      })
    }
  }
  if (takesIdempotencyKey(op)) list.push(IDEMPOTENCY_KEY)
  return list
}

const takesIdempotencyKey = (op: Operation) => op.method === 'post' || op.method === 'patch'

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
  description:
    'Makes a retry safe: a repeat with the same key and request gets the first answer again (Idempotent-Replayed: true) and changes nothing; kept 24 hours per organization.',
}

function operation(op: Operation) {
  const responses: Record<string, unknown> = {}
  for (const [status, ok] of Object.entries(op.ok)) {
    responses[status] =
      'csv' in ok
        ? { description: ok.description, content: { 'text/csv': { schema: { type: 'string' } } } }
        : { description: ok.description, content: { 'application/json': { schema: jsonSchema(ok.schema) } } }
  }
  const needsToken = routeAccess(op.method, op.path) !== 'public'
  const errors = [...op.errors, ...(needsToken ? [401, 429, 503] : []), ...(takesIdempotencyKey(op) ? [409, 422] : [])].sort()
  for (const status of new Set(errors)) responses[status] = { description: ERRORS[status], content: errorContent }
  responses[500] = { description: 'Unexpected error (logged with the request id)', content: errorContent }
  return {
    operationId: op.id,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(needsToken ? {} : { security: [] }),
    parameters: parameters(op),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
    responses,
  }
}

let built: object | undefined

/** The document (built once: it depends on nothing but the code). */
export function openApiDocument(): object {
  if (built) return built
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of OPERATIONS) {
    const path = openApiPath(op.path)
    paths[path] = { ...paths[path], [op.method]: operation(op) }
  }
  const { definitions: _, ...defsConversion } = CONVERSION
  const schemas = toJsonSchemaDefs(DEFINITIONS, defsConversion)
  built = {
    openapi: '3.1.0',
    info: {
      title: 'DmTracker Server API',
      version: VERSION,
      description: 'The DmTracker API (the reference’s four endpoints) and the read side: contacts, follow-ups, pipeline, CSV export.',
    },
    servers: [{ url: '/' }],
    security: [{ orgToken: [] }],
    tags: ['Reference', 'Contacts', 'Follow-ups', 'Pipeline', 'Analytics', 'System'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { orgToken: { type: 'apiKey', in: 'header', name: 'x-org-auth-token' } },
      schemas,
    },
  }
  return built
}
