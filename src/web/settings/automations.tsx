import { type Context, Hono } from 'hono'
import { addRule, describeRule, listRuleViews, type RuleView, removeRule, setRuleEnabled } from '../../automations/service.ts'
import { LEAD_STATUSES } from '../../core/lead-status.ts'
import { isoTime } from '../../core/time.ts'
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
        <section aria-labelledby="add-stage-rule" class="settings-form">
          <h2 id="add-stage-rule">When a contact enters a stage, set its lead status</h2>
          <form method="post" action="/settings/automations" class="filters">
            <input type="hidden" name="kind" value="stage_to_status" />
            <div class="field">
              <label for="s2s-stage">When the stage becomes</label>
              <select id="s2s-stage" name="stage">
                <Options values={stages} />
              </select>
            </div>
            <div class="field">
              <label for="s2s-status">Set the status to</label>
              <select id="s2s-status" name="status">
                <Options values={LEAD_STATUSES} />
              </select>
            </div>
            <button type="submit">Add rule</button>
          </form>
        </section>
        <section aria-labelledby="add-status-rule" class="settings-form">
          <h2 id="add-status-rule">When a contact's lead status changes, move it to a stage</h2>
          <form method="post" action="/settings/automations" class="filters">
            <input type="hidden" name="kind" value="status_to_stage" />
            <div class="field">
              <label for="s2g-status">When the status becomes</label>
              <select id="s2g-status" name="status">
                <Options values={LEAD_STATUSES} />
              </select>
            </div>
            <div class="field">
              <label for="s2g-stage">Move to the stage</label>
              <select id="s2g-stage" name="stage">
                <Options values={stages} />
              </select>
            </div>
            <button type="submit">Add rule</button>
          </form>
        </section>
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
