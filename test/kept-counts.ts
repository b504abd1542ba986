import assert from 'node:assert/strict'
import { type Kysely, sql } from 'kysely'

/**
 * Asserts that what the triggers keep for the pipeline's filters (stage_filter_counts,
 * tagged_contacts, stage_tag_counts) is exactly what counting the contacts and their tags again
 * gives. Groups whose kept count fell to 0 are left in place by the triggers, so only non-zero
 * counts are compared.
 */
export async function assertKeptCounts(db: Kysely<any>, label = ''): Promise<void> {
  const rows = async (query: ReturnType<typeof sql>) =>
    // Joined as text: a count may come back as a number or (PostgreSQL's bigint) a string.
    ((await query.execute(db)).rows as Record<string, unknown>[]).map((r) => Object.values(r).join('/')).sort()
  const shown = 'c.archived_at is null and c.pipeline_stage_id is not null'
  assert.deepEqual(
    await rows(sql`select stage_id, lead_status_id, had_outreach, assigned_user_id, contacts from stage_filter_counts where contacts <> 0`),
    await rows(
      sql`select pipeline_stage_id, lead_status_id, had_outreach, coalesce(assigned_user_id, ''), count(*) from contacts c
        where ${sql.raw(shown)} group by pipeline_stage_id, lead_status_id, had_outreach, coalesce(assigned_user_id, '')`,
    ),
    `stage_filter_counts ${label}`,
  )
  assert.deepEqual(
    await rows(sql`select tag_id, stage_id, created_at, contact_id, lead_status_id, had_outreach, assigned_user_id from tagged_contacts`),
    await rows(
      sql`select t.tag_id, c.pipeline_stage_id, c.created_at, c.id, c.lead_status_id, c.had_outreach, coalesce(c.assigned_user_id, '')
        from contact_tags t join contacts c on c.id = t.contact_id where ${sql.raw(shown)}`,
    ),
    `tagged_contacts ${label}`,
  )
  assert.deepEqual(
    await rows(
      sql`select tag_id, stage_id, lead_status_id, had_outreach, assigned_user_id, contacts from stage_tag_counts where contacts <> 0`,
    ),
    await rows(
      sql`select t.tag_id, c.pipeline_stage_id, c.lead_status_id, c.had_outreach, coalesce(c.assigned_user_id, ''), count(*)
        from contact_tags t join contacts c on c.id = t.contact_id where ${sql.raw(shown)}
        group by t.tag_id, c.pipeline_stage_id, c.lead_status_id, c.had_outreach, coalesce(c.assigned_user_id, '')`,
    ),
    `stage_tag_counts ${label}`,
  )
}
