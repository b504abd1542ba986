import type { ReadDb, Trx } from '../db/write.ts'

// The audit trail of settings actions (stages, automations, follow-up settings, tokens, team,
// webhooks), written in the action's own transaction so a rolled-back action leaves no trace.

/** Who acted: a signed-in person of the web app, or an operator at the command line. */
export type AuditActor = { via: 'web'; userId: string; email: string } | { via: 'cli' }

export const CLI_ACTOR: AuditActor = { via: 'cli' }

export async function recordAudit(
  trx: Trx,
  actor: AuditActor,
  entry: { organizationId: string; action: string; detail: string },
  now: string,
): Promise<void> {
  await trx
    .insertInto('audit_log')
    .values({
      organization_id: entry.organizationId,
      user_id: actor.via === 'web' ? actor.userId : null,
      actor: actor.via === 'web' ? actor.email : 'cli',
      via: actor.via,
      action: entry.action,
      detail: entry.detail,
      created_at: now,
    })
    .execute()
}

export const AUDIT_PAGE_SIZE = 50

/** One page of the organization's audit trail, newest first; `before` is the last id of the previous page. */
export async function listAudit(db: ReadDb, organizationId: string, before?: number) {
  let query = db
    .selectFrom('audit_log')
    .select(['id', 'actor', 'via', 'action', 'detail', 'created_at'])
    .where('organization_id', '=', organizationId)
  if (before !== undefined) query = query.where('id', '<', before)
  const rows = await query
    .orderBy('id', 'desc')
    .limit(AUDIT_PAGE_SIZE + 1)
    .execute()
  return { rows: rows.slice(0, AUDIT_PAGE_SIZE), next: rows.length > AUDIT_PAGE_SIZE ? rows[AUDIT_PAGE_SIZE - 1]!.id : undefined }
}
