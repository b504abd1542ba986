import * as v from 'valibot'
import { invalidField } from './validate.ts'

/**
 * Keyset pagination cursors: the sort key of the last row a page returned, plus which list it
 * belongs to, as base64url JSON. Opaque to clients; a cursor that does not decode, or belongs to
 * another list, is a 400 naming the parameter.
 */
export type Position = (string | number)[]

export interface Cursor {
  list: string
  after: Position
}

const BAD = 'is not a cursor this server issued for this list; start again without it'

export function encodeCursor(list: string, after: Position): string {
  return Buffer.from(JSON.stringify([list, ...after])).toString('base64url')
}

function decode(text: string): Cursor | undefined {
  if (!/^[\w-]{1,1000}$/.test(text)) return undefined
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
    if (!Array.isArray(value) || typeof value[0] !== 'string') return undefined
    const after = value.slice(1)
    if (!after.every((p) => typeof p === 'string' || (typeof p === 'number' && Number.isSafeInteger(p)))) return undefined
    return { list: value[0], after }
  } catch {
    return undefined
  }
}

/** A cursor query parameter; `readCursor` checks that it belongs to the list being read. */
export const cursorParam = v.optional(
  v.pipe(
    v.string(BAD),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const cursor = decode(dataset.value)
      if (cursor) return cursor
      addIssue({ message: BAD })
      return NEVER
    }),
  ),
)

/** The position after which `list` continues, checked against the types of its sort key. */
export function readCursor<T extends Position>(
  cursor: Cursor | undefined,
  list: string,
  types: ('string' | 'number')[],
  field = 'cursor',
): T | undefined {
  if (cursor === undefined) return undefined
  const fits = cursor.list === list && cursor.after.length === types.length && cursor.after.every((p, i) => typeof p === types[i])
  if (!fits) throw invalidField(field, BAD)
  return cursor.after as T
}
