import { type Context, Hono } from 'hono'
import { TAG_COLORS } from '../../core/colors.ts'
import { isoTime } from '../../core/time.ts'
import type { AppDeps, AppEnv } from '../../http/context.ts'
import {
  addStage,
  describeStageRemoval,
  type listStages,
  moveStage,
  recolorStage,
  removeStage,
  renameStage,
} from '../../pipeline/service.ts'
import { act, confirmPage, type Flash, form, settingsPage } from './frame.tsx'

// Pipeline stages: add, rename, recolour, reorder, remove with "move its contacts to". The rules
// are pipeline/service.ts's, the very functions `dmtracker stage ...` calls.

type Stage = Awaited<ReturnType<typeof listStages>>[number]

const COLOR_NAMES = Object.keys(TAG_COLORS)

function ColorSelect({ id, selected }: { id: string; selected?: string }) {
  return (
    <select id={id} name="color">
      {COLOR_NAMES.map((name) => (
        <option value={name} selected={TAG_COLORS[name] === selected}>
          {name}
        </option>
      ))}
    </select>
  )
}

/** A colour square drawn as SVG: the Content-Security-Policy allows no inline style attributes. */
export function Swatch({ color }: { color: string }) {
  return (
    <svg class="swatch" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <rect width="16" height="16" rx="3" fill={color} />
    </svg>
  )
}

function StageItem({ stage, stages }: { stage: Stage; stages: Stage[] }) {
  const n = stage.id
  const others = stages.filter((s) => s.id !== stage.id && s.active)
  return (
    <li draggable="true" data-name={stage.name} data-position={String(stage.position)} aria-labelledby={`stage-${n}`}>
      <h3 id={`stage-${n}`}>
        <Swatch color={stage.color} />
        <span>{stage.name}</span>
        <span class="count" title="contacts in this stage">
          {stage.contacts}
          <span class="visually-hidden"> contacts</span>
        </span>
        {stage.active ? null : <span class="meta">(inactive)</span>}
      </h3>
      <p class="meta">
        Position {stage.position} of {stages.length} · colour {COLOR_NAMES.find((c) => TAG_COLORS[c] === stage.color) ?? stage.color}
      </p>
      <div class="actions">
        <form method="post" action="/settings/stages/move" data-move="">
          <input type="hidden" name="stage" value={stage.name} />
          <button type="submit" name="position" value={String(stage.position - 1)} class="secondary" disabled={stage.position === 1}>
            Move up<span class="visually-hidden"> {stage.name}</span>
          </button>
          <button
            type="submit"
            name="position"
            value={String(stage.position + 1)}
            class="secondary"
            disabled={stage.position === stages.length}
          >
            Move down<span class="visually-hidden"> {stage.name}</span>
          </button>
        </form>
        <form method="post" action="/settings/stages/rename">
          <input type="hidden" name="stage" value={stage.name} />
          <div class="field grow">
            <label for={`rename-${n}`}>New name</label>
            <input id={`rename-${n}`} name="name" type="text" value={stage.name} required maxlength={100} />
          </div>
          <button type="submit" class="secondary">
            Rename<span class="visually-hidden"> {stage.name}</span>
          </button>
        </form>
        <form method="post" action="/settings/stages/color">
          <input type="hidden" name="stage" value={stage.name} />
          <div class="field">
            <label for={`color-${n}`}>Colour</label>
            <ColorSelect id={`color-${n}`} selected={stage.color} />
          </div>
          <button type="submit" class="secondary">
            Save colour<span class="visually-hidden"> of {stage.name}</span>
          </button>
        </form>
        <form method="post" action="/settings/stages/remove">
          <input type="hidden" name="stage" value={stage.name} />
          <div class="field">
            <label for={`move-to-${n}`}>Move its contacts to</label>
            <select id={`move-to-${n}`} name="move_to">
              {others.map((s) => (
                <option value={s.name}>{s.name}</option>
              ))}
            </select>
          </div>
          <button type="submit" class="danger">
            Remove<span class="visually-hidden"> {stage.name}</span>
          </button>
        </form>
      </div>
    </li>
  )
}

export function stagePages(deps: AppDeps) {
  async function render(c: Context<AppEnv>, flash: Flash = {}) {
    const organizationId = c.get('member').organization.id
    // Counts grow with the organization's contacts: a read-worker task.
    const stages = await deps.reads.run('webSettingsStages', { organizationId })
    return settingsPage(
      c,
      'Pipeline stages',
      flash,
      <>
        <p>
          Contacts move through these stages from left to right on the pipeline. Drag a stage, or use <strong>Move up</strong> and{' '}
          <strong>Move down</strong>, to change the order. Removing a stage moves its contacts to the stage you pick and disables the smart
          automations that use it.
        </p>
        <ol class="settings-list" data-reorder="" aria-label="Stages in pipeline order">
          {stages.map((stage) => (
            <StageItem stage={stage} stages={stages} />
          ))}
        </ol>
        <section aria-labelledby="add-stage-heading" class="settings-form">
          <h2 id="add-stage-heading">Add a stage</h2>
          <form method="post" action="/settings/stages" class="filters">
            <div class="field">
              <label for="stage-name">Name</label>
              <input id="stage-name" name="name" type="text" required maxlength={100} />
            </div>
            <div class="field">
              <label for="stage-color">Colour</label>
              <ColorSelect id="stage-color" selected={TAG_COLORS.blue} />
            </div>
            <button type="submit">Add stage</button>
          </form>
        </section>
      </>,
    )
  }

  const run = async (c: Context<AppEnv>, work: Parameters<typeof act<string>>[3]) =>
    render(c, (await act(deps, c, 'stage', work, (message) => message)).flash)

  return new Hono<AppEnv>()
    .get('/settings/stages', (c) => render(c))
    .post('/settings/stages', async (c) => {
      const f = await form(deps, c)
      return run(c, async (trx, org) => {
        const stage = await addStage(trx, org, f.name ?? '', f.color ?? '', isoTime(deps.now()))
        return `Added stage "${stage.name}" at position ${stage.position}`
      })
    })
    .post('/settings/stages/rename', async (c) => {
      const f = await form(deps, c)
      return run(c, async (trx, org) => {
        const stage = await renameStage(trx, org, f.stage ?? '', f.name ?? '')
        return `Renamed stage "${f.stage}" to "${stage.name}"`
      })
    })
    .post('/settings/stages/color', async (c) => {
      const f = await form(deps, c)
      return run(c, async (trx, org) => {
        await recolorStage(trx, org, f.stage ?? '', f.color ?? '')
        return `Recoloured stage "${f.stage}" ${f.color}`
      })
    })
    .post('/settings/stages/move', async (c) => {
      const f = await form(deps, c)
      return run(c, async (trx, org) => {
        await moveStage(trx, org, f.stage ?? '', /^\d{1,4}$/.test(f.position ?? '') ? Number(f.position) : Number.NaN)
        return `Moved stage "${f.stage}" to position ${f.position}`
      })
    })
    .post('/settings/stages/remove', async (c) => {
      const f = await form(deps, c)
      const moveTo = f.move_to || undefined
      if (f.confirmed !== 'yes') {
        const stage = (await deps.reads.run('webSettingsStages', { organizationId: c.get('member').organization.id })).find(
          (s) => s.name === f.stage,
        )
        if (!stage) return render(c, { error: `No pipeline stage named "${f.stage}"`, status: 404 })
        return confirmPage(c, 'Pipeline stages', {
          question: `Remove the stage "${stage.name}"?`,
          detail:
            stage.contacts > 0
              ? `Its ${stage.contacts} contact(s) move to "${moveTo ?? '(no stage picked)'}". Automations that use it are disabled.`
              : 'It holds no contacts. Automations that use it are disabled.',
          action: '/settings/stages/remove',
          fields: { stage: stage.name, move_to: moveTo ?? '' },
          button: 'Remove stage',
          back: '/settings/stages',
        })
      }
      return run(c, async (trx, org) => {
        const result = await removeStage(trx, org, f.stage ?? '', moveTo, isoTime(deps.now()), {
          via: 'api',
          userId: c.get('member').session.user.id,
        })
        return describeStageRemoval(result)
      })
    })
}
