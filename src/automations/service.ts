import { AppError } from '../core/errors.ts'
import { LEAD_STATUSES, type LeadStatusName, leadStatusId, leadStatusName } from '../core/lead-status.ts'
import { takeNumbers } from '../db/id-numbers.ts'
import type { AutomationKind } from '../db/schema.ts'
import type { ReadDb, Trx } from '../db/write.ts'
import { getOrganization } from '../organizations/service.ts'
import { findActiveStage } from '../pipeline/service.ts'
import { enabledRuleFor, findRule, listRules, type RuleRow, type RuleTrigger } from './repo.ts'

// Smart automations: per-organization rules, managed from the CLI, run by ./run.ts.

/** A rule as the CLI shows it (`--json`). `stage` is null once the stage was removed. */
export interface RuleView {
  id: number
  organization_id: string
  kind: AutomationKind
  stage: string | null
  lead_status: LeadStatusName
  enabled: boolean
  created_at: string
  description: string
}

export interface NewRule {
  kind: AutomationKind
  stage: string
  status: string
  enabled: boolean
}

function view(rule: RuleRow): RuleView {
  return {
    id: rule.number,
    organization_id: rule.organization_id,
    kind: rule.kind,
    stage: rule.stage_name,
    lead_status: leadStatusName(rule.lead_status_id),
    enabled: rule.enabled === 1,
    created_at: rule.created_at,
    description: describe(rule),
  }
}

function describe(rule: Pick<RuleRow, 'kind' | 'stage_name' | 'lead_status_id'>): string {
  const stage = rule.stage_name === null ? '(removed stage)' : `"${rule.stage_name}"`
  const status = leadStatusName(rule.lead_status_id)
  return rule.kind === 'stage_to_status'
    ? `when the stage becomes ${stage}, set the status to ${status}`
    : `when the status becomes ${status}, move to stage ${stage}`
}

type RuleShape = Pick<RuleRow, 'kind' | 'stage_id' | 'lead_status_id'>

/** What a rule reacts to; only asked of rules that still have their stage. */
function trigger(rule: RuleShape): RuleTrigger {
  return rule.kind === 'stage_to_status'
    ? { kind: rule.kind, stageId: rule.stage_id! }
    : { kind: rule.kind, leadStatusId: rule.lead_status_id }
}

function parseStatus(name: string): number {
  const id = leadStatusId(name)
  if (id === undefined) throw new AppError('validation', `Unknown lead status "${name}"; use one of ${LEAD_STATUSES.join(', ')}`)
  return id
}

/** Two enabled rules with the same trigger would contradict each other, so there is at most one. */
async function assertTriggerFree(trx: ReadDb, organizationId: string, rule: RuleShape, selfId?: number) {
  const other = await enabledRuleFor(trx, organizationId, trigger(rule))
  if (other && other.id !== selfId) {
    throw new AppError(
      'validation',
      `Rule #${other.number} (${describe(other)}) is enabled for the same trigger; disable or remove it first`,
    )
  }
}

async function getRule(trx: ReadDb, organizationId: string, number: number): Promise<RuleRow> {
  const rule = await findRule(trx, organizationId, number)
  if (!rule) throw new AppError('not_found', `No automation rule #${number} in organization ${organizationId}`)
  return rule
}

/** Adds a rule. Its stage must be active and its status known; duplicates are refused. */
export async function addRule(trx: Trx, organizationId: string, input: NewRule, now: string): Promise<RuleView> {
  await getOrganization(trx, organizationId)
  const status = parseStatus(input.status)
  const stage = await findActiveStage(trx, organizationId, input.stage, 'Stage')
  const draft = { kind: input.kind, stage_id: stage.id, lead_status_id: status }
  const same = (await listRules(trx, organizationId)).find(
    (r) => r.kind === draft.kind && r.stage_id === draft.stage_id && r.lead_status_id === draft.lead_status_id,
  )
  if (same) throw new AppError('validation', `Rule #${same.number} already does this (${describe(same)})`)
  if (input.enabled) await assertTriggerFree(trx, organizationId, draft)
  const number = await takeNumbers(trx, organizationId, 'automations')
  await trx
    .insertInto('automations')
    .values({ ...draft, organization_id: organizationId, number, enabled: input.enabled ? 1 : 0, created_at: now })
    .execute()
  return view(await getRule(trx, organizationId, number))
}

export async function listRuleViews(trx: ReadDb, organizationId: string): Promise<RuleView[]> {
  await getOrganization(trx, organizationId)
  return (await listRules(trx, organizationId)).map(view)
}

/** Enables or disables a rule. Enabling needs its stage to exist and be active. */
export async function setRuleEnabled(trx: Trx, organizationId: string, number: number, enabled: boolean): Promise<RuleView> {
  const rule = await getRule(trx, organizationId, number)
  if (enabled) {
    if (rule.stage_id === null) throw new AppError('validation', `Rule #${number}'s stage was removed; remove the rule and add a new one`)
    if (!rule.stage_active)
      throw new AppError('validation', `Rule #${number} uses stage "${rule.stage_name}", which is not active; activate the stage first`)
    await assertTriggerFree(trx, rule.organization_id, rule, rule.id)
  }
  await trx
    .updateTable('automations')
    .set({ enabled: enabled ? 1 : 0 })
    .where('id', '=', rule.id)
    .execute()
  return view({ ...rule, enabled: enabled ? 1 : 0 })
}

export async function removeRule(trx: Trx, organizationId: string, number: number): Promise<RuleView> {
  const rule = await getRule(trx, organizationId, number)
  await trx.deleteFrom('automations').where('id', '=', rule.id).execute()
  return view(rule)
}
