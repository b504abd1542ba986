import * as v from 'valibot'
import { AppError, type FieldError } from './errors.ts'

/**
 * Validates request input against a valibot schema and returns its typed output, or throws one
 * 400 that names every offending field. Schema messages are predicates ("must be a string");
 * the field's dotted path is put in front of them here, so every message names its field.
 */
export function parseInput<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input)
  if (result.success) return result.output
  const details = result.issues.map(describeIssue)
  // One entry per field: the first problem found is the one worth fixing first.
  const unique = details.filter((d, i) => details.findIndex((o) => o.field === d.field) === i)
  throw new AppError('validation', unique.map((d) => `${d.field} ${d.message}`).join('; '), unique)
}

function describeIssue(issue: v.BaseIssue<unknown>): FieldError {
  const field = issue.path?.map((p) => String(p.key)).join('.') || 'body'
  // valibot reports a missing key as an object-schema issue whose input is undefined.
  const missing = issue.input === undefined && issue.path?.length && issue.kind === 'schema'
  const message = missing ? 'is required' : issue.message
  return { field, message }
}

/** The same 400 parseInput throws, for a check that needs more than the schema (the database, the clock). */
export function invalidField(field: string, message: string): AppError {
  return new AppError('validation', `${field} ${message}`, [{ field, message }])
}
