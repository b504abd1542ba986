import { enabledRuleFor } from '../automations/repo.ts'
import type { Contact } from '../db/schema.ts'
import type { Trx } from '../db/write.ts'
import { type Changed, changeStatusAndStage, type StatusChange, type StatusTarget } from './status-change.ts'

/**
 * Runs the organization's enabled smart automations after an API change, in the same
 * transaction. A rule reacts to the field the request changed and sets the other one, unless
 * the request named that other field itself: the caller's explicit value wins, so a request
 * that sets both status and stage triggers no rule. The rule's change is logged via
 * `automation` and never triggers further rules, so rules that point at each other cannot loop.
 *
 * `change` is what the API actually altered; `requested` is which fields the request named. Returns
 * the last change made (the API's, or the rule's), with the contact after it.
 */
export async function runAutomations(trx: Trx, change: StatusChange, requested: Changed, now: string): Promise<StatusChange> {
  const { contact, changed } = change
  const organizationId = contact.organization_id
  if (changed.stage && !requested.leadStatus && contact.pipeline_stage_id !== null) {
    const rule = await enabledRuleFor(trx, organizationId, { kind: 'stage_to_status', stageId: contact.pipeline_stage_id })
    if (rule) return apply(trx, contact, { leadStatusId: rule.lead_status_id }, rule.id, now)
  }
  if (changed.leadStatus && !requested.stage) {
    const rule = await enabledRuleFor(trx, organizationId, { kind: 'status_to_stage', leadStatusId: contact.lead_status_id })
    // An enabled rule always has an (active) stage: removing or deactivating it disables the rule.
    if (rule?.stage_id != null && rule.stage_name !== null) {
      return apply(trx, contact, { stage: { id: rule.stage_id, name: rule.stage_name } }, rule.id, now)
    }
  }
  return change
}

function apply(trx: Trx, contact: Contact, target: StatusTarget, automationId: number, now: string) {
  return changeStatusAndStage(trx, contact, target, { via: 'automation', automationId }, now)
}
