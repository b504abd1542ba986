import { parseCadence } from '../contacts/follow-up-cadence.ts'
import { AppError } from '../core/errors.ts'
import { canonicalTimeZone } from '../core/time-zone.ts'
import type { Organization } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { getOrganization } from '../organizations/service.ts'

/** An organization's follow-up settings: the board's time zone and the intervals between follow-ups. */
export interface FollowUpSettings {
  timezone: string
  cadence_days: number[]
}

const MAX_INTERVALS = 20
const MAX_INTERVAL_DAYS = 365

export function followUpSettings(org: Pick<Organization, 'timezone' | 'follow_up_cadence_days'>): FollowUpSettings {
  return { timezone: org.timezone, cadence_days: parseCadence(org.follow_up_cadence_days) }
}

/** An IANA time zone name in its canonical spelling, or a 400 naming `timezone`. */
function validTimeZone(name: string): string {
  const zone = canonicalTimeZone(name)
  if (!zone) throw new AppError('validation', `timezone "${name}" is not an IANA time zone name, like Europe/Berlin or UTC`)
  return zone
}

/** `1d,2d,4d,7d` (the `d` is optional): whole days from 1 to 365, at most 20 intervals. */
export function parseCadenceText(text: string): number[] {
  const items = text.split(',').map((s) => s.trim())
  const days = items.map((item) => (/^\d{1,3}d?$/i.test(item) ? Number.parseInt(item, 10) : Number.NaN))
  if (items.length > MAX_INTERVALS || days.some((d) => !(d >= 1 && d <= MAX_INTERVAL_DAYS))) {
    throw new AppError(
      'validation',
      `cadence "${text}" must be 1-${MAX_INTERVALS} intervals of whole days from 1 to ${MAX_INTERVAL_DAYS}, like 1d,2d,4d,7d`,
    )
  }
  return days
}

/**
 * Changes what is given and returns the settings afterwards. Contacts keep the follow-up time they
 * have; the new cadence applies from their next follow-up on.
 */
export async function updateFollowUpSettings(
  trx: Trx,
  organizationId: string,
  change: { timezone?: string; cadence?: string },
): Promise<FollowUpSettings> {
  await getOrganization(trx, organizationId)
  const timezone = change.timezone === undefined ? undefined : validTimeZone(change.timezone)
  const cadence = change.cadence === undefined ? undefined : JSON.stringify(parseCadenceText(change.cadence))
  if (timezone !== undefined || cadence !== undefined) {
    await trx.updateTable('organizations').set({ timezone, follow_up_cadence_days: cadence }).where('id', '=', organizationId).execute()
  }
  return followUpSettings(await getOrganization(trx, organizationId))
}
