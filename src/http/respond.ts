/** The reference's success envelope: every JSON answer of the API is `{ "status": "success", ... }`. */
export type Success<T extends object> = { status: 'success' } & T

/** Wraps what an endpoint answers in the success envelope; the one place it is built. */
export function success<T extends object>(body: T): Success<T> {
  return { status: 'success', ...body }
}
