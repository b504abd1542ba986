import * as v from 'valibot'
import { invalidField, parseInput } from './validate.ts'

type Entries = v.ObjectEntries
// biome-ignore lint/suspicious/noExplicitAny: any error message; the schemas differ only in their messages
export type QuerySchema = v.ObjectSchema<Entries, any> | v.StrictObjectSchema<Entries, any>

/** A query string's schema. A misspelt parameter would otherwise be ignored and widen a list: it is a 400. */
export function queryParams<E extends Entries>(entries: E) {
  return v.strictObject(entries, 'is not a parameter of this endpoint')
}

function unwrap(schema: v.GenericSchema): v.GenericSchema {
  return 'wrapped' in schema ? unwrap(schema.wrapped as v.GenericSchema) : schema
}

/** Whether a query parameter may repeat (`tag=a&tag=b`): its schema takes an array. */
export function isRepeatable(schema: v.GenericSchema): boolean {
  return unwrap(schema).type === 'array'
}

/**
 * Validates a query string's parameters (each name with all its values) like a JSON body (one 400 naming every bad parameter). Parameters
 * whose schema is an array get every value; any other parameter given twice is a 400, because
 * silently picking one of two values hides a client's mistake.
 */
export function parseQuery<S extends QuerySchema>(schema: S, queries: Record<string, string[]>): v.InferOutput<S> {
  const input: Record<string, string | string[]> = {}
  for (const [name, values] of Object.entries(queries)) {
    const entry = schema.entries[name]
    if (entry && isRepeatable(entry)) input[name] = values
    else if (values.length === 1 || !entry)
      input[name] = values[0]! // an unknown one is reported by the schema
    else throw invalidField(name, 'must be given once')
  }
  return parseInput(schema, input)
}
