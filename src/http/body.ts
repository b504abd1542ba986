import type { Context } from 'hono'
import { AppError } from '../core/errors.ts'
import { parseJson } from './json.ts'

/**
 * Reads the body as JSON whatever its Content-Type says (ManyChat and scripts are not always
 * careful) and returns it if it is a JSON object. The size limit is enforced while streaming,
 * so a chunked body without Content-Length cannot pin more than `maxBytes` of memory.
 */
export async function readJsonObject(c: Context, maxBytes: number): Promise<Record<string, unknown>> {
  const text = await readText(c.req.raw, maxBytes)
  if (text.trim() === '') throw new AppError('bad_request', 'Request body must be a JSON object')
  let value: unknown
  try {
    value = parseJson(text)
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'invalid'
    throw new AppError('bad_request', `Malformed JSON in request body: ${reason}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('bad_request', 'Request body must be a JSON object')
  }
  return value as Record<string, unknown>
}

/**
 * Reads an HTML form's fields (application/x-www-form-urlencoded, what the web app's forms send),
 * with the same streaming size limit. Repeated names keep their last value.
 */
export async function readForm(c: Context, maxBytes: number): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/x-www-form-urlencoded\b/i.test(type))
    throw new AppError('bad_request', 'Send the form as application/x-www-form-urlencoded')
  return Object.fromEntries(new URLSearchParams(await readText(c.req.raw, maxBytes)))
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `Request body is larger than ${maxBytes} bytes`)
}

/** The body as text, refused past `maxBytes` while it streams in. */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length'))
  if (declared > maxBytes) throw tooLarge(maxBytes)
  if (!request.body) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read().catch(() => {
      // The client went away, or the server's idle timeout cut off a body that stopped coming.
      throw new AppError('bad_request', 'The request body ended before it was complete')
    })
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge(maxBytes)
    }
    chunks.push(value)
  }
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
  return new TextDecoder().decode(bytes)
}
