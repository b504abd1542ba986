import * as v from 'valibot'
import { email, isoDate, note } from '../core/fields.ts'

/**
 * The body of POST /contacts/{id}/follow-ups: without `snooze_until` the due follow-up is marked
 * done; with it, the follow-up is pushed to that time. null counts as not given.
 */
export const followUpActionSchema = v.pipe(
  v.object({
    snooze_until: v.nullish(isoDate),
    note: v.nullish(note),
    email: v.nullish(email),
  }),
  v.transform((i) => ({ snoozeUntil: i.snooze_until ?? undefined, note: i.note ?? undefined, email: i.email ?? undefined })),
)

export type FollowUpAction = v.InferOutput<typeof followUpActionSchema>
