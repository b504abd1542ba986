import type { AutomationKind } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'

// Rule queries (Kysely only). Kept apart from the service so pipeline/stages.ts can use them
// without importing the service, which itself imports the stage functions.

/** A rule with its stage's name and state (null once the stage was removed). */
export interface RuleRow {
  /** Internal: what activity_log.automation_id references. */
  id: number
  /** The rule's number within its organization, shown as its id (see takeNumbers). */
  number: number
  organization_id: string
  kind: AutomationKind
  stage_id: number | null
  stage_name: string | null
  stage_active: 0 | 1 | null
  lead_status_id: number
  enabled: 0 | 1
  created_at: string
}

/** What a rule reacts to: its stage for stage_to_status, its status for status_to_stage. */
export type RuleTrigger = { kind: 'stage_to_status'; stageId: number } | { kind: 'status_to_stage'; leadStatusId: number }

function rules(trx: ReadDb) {
  return trx
    .selectFrom('automations as a')
    .leftJoin('pipeline_stages as s', 's.id', 'a.stage_id')
    .select([
      'a.id',
      'a.number',
      'a.organization_id',
      'a.kind',
      'a.stage_id',
      'a.lead_status_id',
      'a.enabled',
      'a.created_at',
      's.name as stage_name',
      's.active as stage_active',
    ])
}

export function listRules(trx: ReadDb, organizationId: string): Promise<RuleRow[]> {
  return rules(trx).where('a.organization_id', '=', organizationId).orderBy('a.id').execute()
}

export function findRule(trx: ReadDb, organizationId: string, number: number): Promise<RuleRow | undefined> {
  return rules(trx).where('a.organization_id', '=', organizationId).where('a.number', '=', number).executeTakeFirst()
}

/**
 * The enabled rule that reacts to a contact's stage becoming `stageId` (stage_to_status) or its
 * status becoming `leadStatusId` (status_to_stage). The service keeps at most one per trigger.
 */
export function enabledRuleFor(trx: ReadDb, organizationId: string, trigger: RuleTrigger): Promise<RuleRow | undefined> {
  const query = rules(trx).where('a.organization_id', '=', organizationId).where('a.kind', '=', trigger.kind).where('a.enabled', '=', 1)
  return (
    trigger.kind === 'stage_to_status'
      ? query.where('a.stage_id', '=', trigger.stageId)
      : query.where('a.lead_status_id', '=', trigger.leadStatusId)
  ).executeTakeFirst()
}
