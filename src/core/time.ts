/**
 * The one representation of an instant past the boundaries: ISO 8601 UTC text with milliseconds,
 * as the database stores it and the API answers it. Text in this form sorts as time does.
 */
export function isoTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString()
}
