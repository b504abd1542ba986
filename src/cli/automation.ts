import { addRule, listRuleViews, type NewRule, type RuleView, removeRule, setRuleEnabled } from '../automations/service.ts'
import { isoTime } from '../core/time.ts'
import type { Trx } from '../db/write.ts'
import { type Command, group, output, parse, positionals, table, UsageError, withExistingStore } from './common.ts'

const HELP = `Usage:
  dmtracker automation add ORG_ID --when-stage STAGE --set-status STATUS [--disabled] [--json]
  dmtracker automation add ORG_ID --when-status STATUS --set-stage STAGE [--disabled] [--json]
  dmtracker automation list ORG_ID [--json]
  dmtracker automation enable ORG_ID ID
  dmtracker automation disable ORG_ID ID
  dmtracker automation remove ORG_ID ID
Smart automations run when contact-status changes a contact: "when the stage becomes STAGE, set
the status" or "when the status becomes STATUS, move to STAGE". A rule's own change never
triggers another rule. STATUS is open, won, lost or abandoned; STAGE an active stage (any case).
At most one enabled rule per stage (--when-stage) and per status (--when-status).
ID is the rule's number within its organization, as automation list shows it.
Removing or deactivating a stage disables the rules that use it.
Every command takes --db PATH.`

/** "; disabled automation rule(s) #3, #5 that used it", or '' when none were (for `stage`). */
export function disabledRulesNote(ids: number[]): string {
  return ids.length === 0 ? '' : `; disabled automation rule(s) ${ids.map((id) => `#${id}`).join(', ')} that used it`
}

function ruleLine(verb: string, rule: RuleView): string {
  return `${verb} automation rule #${rule.id}: ${rule.description}${rule.enabled ? '' : ' (disabled)'}`
}

interface RuleFlags {
  'when-stage'?: string
  'set-status'?: string
  'when-status'?: string
  'set-stage'?: string
}

function ruleFromFlags(flags: RuleFlags): Omit<NewRule, 'enabled'> {
  const { 'when-stage': whenStage, 'set-status': setStatus, 'when-status': whenStatus, 'set-stage': setStage } = flags
  if (whenStage !== undefined && setStatus !== undefined && whenStatus === undefined && setStage === undefined) {
    return { kind: 'stage_to_status', stage: whenStage, status: setStatus }
  }
  if (whenStatus !== undefined && setStage !== undefined && whenStage === undefined && setStatus === undefined) {
    return { kind: 'status_to_stage', stage: setStage, status: whenStatus }
  }
  throw new UsageError('give either --when-stage STAGE --set-status STATUS, or --when-status STATUS --set-stage STAGE')
}

/** enable, disable and remove: one change to one rule, named by its organization and number. */
function byId(verb: string, work: (trx: Trx, organizationId: string, number: number) => Promise<RuleView>): Command {
  return async (args, io) => {
    const { values, positionals: given } = parse(args, {})
    const [orgId, raw] = positionals(given, ['ORG_ID', 'ID'])
    if (!/^\d+$/.test(raw!)) throw new UsageError(`ID must be a rule number (see automation list), got "${raw}"`)
    const rule = await withExistingStore(values, io, (store) => store.write((trx) => work(trx, orgId!, Number(raw))))
    output(io, values.json, rule, () => ruleLine(verb, rule))
    return 0
  }
}

export const automationCommand = group(HELP, {
  async add(args, io) {
    const { values, positionals: given } = parse(args, {
      'when-stage': { type: 'string' },
      'set-status': { type: 'string' },
      'when-status': { type: 'string' },
      'set-stage': { type: 'string' },
      disabled: { type: 'boolean' },
    })
    const [orgId] = positionals(given, ['ORG_ID'])
    const input = { ...ruleFromFlags(values), enabled: !values.disabled }
    const rule = await withExistingStore(values, io, (store) => store.write((trx) => addRule(trx, orgId!, input, isoTime())))
    output(io, values.json, rule, () => ruleLine('Added', rule))
    return 0
  },

  async list(args, io) {
    const { values, positionals: given } = parse(args, {})
    const [orgId] = positionals(given, ['ORG_ID'])
    const rules = await withExistingStore(values, io, (store) => listRuleViews(store.db, orgId!))
    output(io, values.json, rules, () =>
      table(
        rules.map((r) => ({ ...r, enabled: r.enabled ? 'yes' : 'no' })),
        ['id', 'enabled', 'description'],
      ),
    )
    return 0
  },

  enable: byId('Enabled', (trx, orgId, number) => setRuleEnabled(trx, orgId, number, true)),
  disable: byId('Disabled', (trx, orgId, number) => setRuleEnabled(trx, orgId, number, false)),
  remove: byId('Removed', removeRule),
})
