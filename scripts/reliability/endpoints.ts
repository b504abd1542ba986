// The write endpoints the reliability tools exercise, by one name each, and a body serializer
// that can say what JSON.stringify cannot (integers beyond 2^53, duplicate keys).

export const ENDPOINTS = {
  'default-reply': { method: 'POST', path: '/api/v1/contact/default-reply' },
  'create-contact': { method: 'POST', path: '/api/v1/organization/create-contact' },
  'update-tags': { method: 'POST', path: '/api/v1/contact/update-tags-external' },
  'contact-status': { method: 'PATCH', path: '/api/v1/contact/contact-status' },
} as const

export type EndpointName = keyof typeof ENDPOINTS
export const ENDPOINT_NAMES = Object.keys(ENDPOINTS) as EndpointName[]

/**
 * JSON text for any value: bigints as their exact digits, `undefined` entries left out, and an
 * object's `DUPLICATE` entries written as the same key a second time.
 */
export function toJsonText(value: unknown): string {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof RawJson) return value.text
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : toJsonText(item))).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    const duplicates = Object.entries((value as { [DUPLICATE]?: Record<string, unknown> })[DUPLICATE] ?? {})
    return `{${[...entries, ...duplicates].map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** Attach to an object to have toJsonText repeat these keys after its own (the last one wins). */
export const DUPLICATE = Symbol('duplicate keys')

/** JSON text written as is by toJsonText: nesting too deep to build as a value. */
export class RawJson {
  constructor(readonly text: string) {}
}
