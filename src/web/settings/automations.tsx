import { type Context, Hono } from 'hono'
import { addRule, describeRule, listRuleViews, type RuleView, removeRule, setRuleEnabled } from '../../automations/service.ts'
import { LEAD_STATUSES } from '../../core/lead-status.ts'
import { isoTime } from '../../core/time.ts'
import type { AutomationKind } from '../../db/schema.ts'
import type { AppDeps, AppEnv } from '../../http/context.ts'
import { activeStageNames } from '../../pipeline/service.ts'
import { act, confirmPage, type Flash, form, settingsPage } from './frame.tsx'

// Smart automations: the rules `dmtracker automation ...` manages, through the same service.

const describe = (verb: string) => (rule: RuleView) => describeRule(verb, rule)

function Options({ values }: { values: readonly string[] }) {
  return (
    <>
      {values.map((v) => (
        <option value={v}>{v}</option>
      ))}
    </>
  )
}

/** One of a rule's two fields: the stage or the lead status, picked from a list. */
interface RuleField {
  name: 'stage' | 'status'
  label: string
  values: readonly string[]
}

/** The form that adds a rule of one kind: "when <field> becomes …, <the other field> …". */
function AddRuleForm({ kind, title, when, then }: { kind: AutomationKind; title: string; when: RuleField; then: RuleField }) {
  return (
    <section aria-labelledby={`add-${kind}`} class="settings-form">
      <h2 id={`add-${kind}`}>{title}</h2>
      <form method="post" action="/settings/automations" class="filters">
        <input type="hidden" name="kind" value={kind} />
        {[when, then].map((field) => (
          <div class="field">
            <label for={`${kind}-${field.name}`}>{field.label}</label>
            <select id={`${kind}-${field.name}`} name={field.name}>
              <Options values={field.values} />
            </select>
          </div>
        ))}
        <button type="submit">Add rule</button>
      </form>
    </section>
  )
}

export function automationPages(deps: AppDeps) {
  async function render(c: Context<AppEnv>, flash: Flash = {}) {
    const organizationId = c.get('member').organization.id
    // A handful of rows and the stage names: indexed reads of one organization.
    const [rules, stages] = await Promise.all([
      listRuleViews(deps.store.db, organizationId),
      activeStageNames(deps.store.db, organizationId),
    ])
    return settingsPage(
      c,
      'Smart automations',
      flash,
      <>
        <p>
          Rules run when a contact's stage or lead status changes (on the pipeline, a contact's page or the API): "when the stage becomes …,
          set the status" or "when the status becomes …, move to a stage". A rule's own change never triggers another rule, and at most one
          enabled rule reacts to each stage and each status.
        </p>
        {rules.length === 0 ? (
          <p>No rules yet.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Automation rules</caption>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">What it does</th>
                  <th scope="col">State</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rules.map((rule) => (
                  <tr>
                    <td>#{rule.id}</td>
                    <td>{rule.description}</td>
                    <td>{rule.enabled ? 'Enabled' : 'Disabled'}</td>
                    <td>
                      <div class="actions">
                        <form method="post" action={`/settings/automations/${rule.id}/${rule.enabled ? 'disable' : 'enable'}`}>
                          <button type="submit" class="secondary">
                            {rule.enabled ? 'Disable' : 'Enable'}
                            <span class="visually-hidden"> rule #{rule.id}</span>
                          </button>
                        </form>
                        <form method="post" action={`/settings/automations/${rule.id}/remove`}>
                          <button type="submit" class="danger">
                            Remove<span class="visually-hidden"> rule #{rule.id}</span>
                          </button>
                        </form>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <AddRuleForm
          kind="stage_to_status"
          title="When a contact enters a stage, set its lead status"
          when={{ name: 'stage', label: 'When the stage becomes', values: stages }}
          then={{ name: 'status', label: 'Set the status to', values: LEAD_STATUSES }}
        />
        <AddRuleForm
          kind="status_to_stage"
          title="When a contact's lead status changes, move it to a stage"
          when={{ name: 'status', label: 'When the status becomes', values: LEAD_STATUSES }}
          then={{ name: 'stage', label: 'Move to the stage', values: stages }}
        />
      </>,
    )
  }

  /** The rule number from the path; anything else is a rule that does not exist. */
  const ruleNumber = (c: Context<AppEnv>) => (/^\d{1,9}$/.test(c.req.param('id') ?? '') ? Number(c.req.param('id')) : 0)

  return new Hono<AppEnv>()
    .get('/settings/automations', (c) => render(c))
    .post('/settings/automations', async (c) => {
      const f = await form(deps, c)
      const kind = f.kind === 'status_to_stage' ? 'status_to_stage' : 'stage_to_status'
      const { flash } = await act(
        deps,
        c,
        'automation',
        (trx, org) => addRule(trx, org, { kind, stage: f.stage ?? '', status: f.status ?? '', enabled: true }, isoTime(deps.now())),
        describe('Added'),
      )
      return render(c, flash)
    })
    .post('/settings/automations/:id/enable', async (c) => {
      const { flash } = await act(deps, c, 'automation', (trx, org) => setRuleEnabled(trx, org, ruleNumber(c), true), describe('Enabled'))
      return render(c, flash)
    })
    .post('/settings/automations/:id/disable', async (c) => {
      const { flash } = await act(deps, c, 'automation', (trx, org) => setRuleEnabled(trx, org, ruleNumber(c), false), describe('Disabled'))
      return render(c, flash)
    })
    .post('/settings/automations/:id/remove', async (c) => {
      const f = await form(deps, c)
      if (f.confirmed !== 'yes')
        return confirmPage(c, 'Smart automations', {
          question: `Remove automation rule #${ruleNumber(c)}?`,
          action: `/settings/automations/${ruleNumber(c)}/remove`,
          fields: {},
          button: 'Remove rule',
          back: '/settings/automations',
        })
      const { flash } = await act(deps, c, 'automation', (trx, org) => removeRule(trx, org, ruleNumber(c)), describe('Removed'))
      return render(c, flash)
    })
}
