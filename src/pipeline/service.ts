import * as v from 'valibot'
import { logActivity } from '../activity/repo.ts'
import { ACCEPTED_COLORS, DEFAULT_TAG_COLOR, parseColor } from '../core/colors.ts'
import { AppError } from '../core/errors.ts'
import { stageName } from '../core/fields.ts'
import { compiled } from '../db/compiled.ts'
import { takeNumbers } from '../db/id-numbers.ts'
import type { PipelineStage } from '../db/schema.ts'
import type { ReadDb, Trx } from '../db/write.ts'

/** The default stage whose contacts analytics count as booked (organizations.booking_stage_id). */
export const DEFAULT_BOOKING_STAGE = 'Meeting Booked'

/** The hosted product's default pipeline, in order. */
const DEFAULT_STAGES = [
  { name: 'Outreach Sent', color: '#2563eb' },
  { name: 'In Conversation', color: '#4f46e5' },
  { name: 'Interested', color: '#ca8a04' },
  { name: DEFAULT_BOOKING_STAGE, color: '#9333ea' },
  { name: 'Closed', color: '#16a34a' },
  { name: 'Lost', color: '#dc2626' },
] as const

const DEFAULT_OUTREACH_STAGE = 'Outreach Sent'
const DEFAULT_INBOUND_STAGE = 'In Conversation'

export type EntryKind = 'inbound' | 'outreach'

/** Creates the default stages and makes them the organization's entry stages. */
export async function createDefaultStages(trx: Trx, organizationId: string, now: string): Promise<void> {
  const first = await takeNumbers(trx, organizationId, 'stages', DEFAULT_STAGES.length)
  const rows = await trx
    .insertInto('pipeline_stages')
    .values(
      DEFAULT_STAGES.map((s, i) => ({
        organization_id: organizationId,
        number: first + i,
        name: s.name,
        color: s.color,
        position: i + 1,
        active: 1 as const,
        created_at: now,
      })),
    )
    .returning(['id', 'name'])
    .execute()
  const idOf = (name: string) => rows.find((r) => r.name === name)!.id
  await trx
    .updateTable('organizations')
    .set({ inbound_stage_id: idOf(DEFAULT_INBOUND_STAGE), outreach_stage_id: idOf(DEFAULT_OUTREACH_STAGE) })
    .where('id', '=', organizationId)
    .execute()
}

export async function listStages(trx: ReadDb, organizationId: string) {
  const stages = await trx
    .selectFrom('pipeline_stages as s')
    .leftJoin('contacts as c', (j) => j.onRef('c.pipeline_stage_id', '=', 's.id').on('c.archived_at', 'is', null))
    .select(['s.number as id', 's.name', 's.color', 's.position', 's.active'])
    .select((eb) => eb.fn.count<number>('c.id').as('contacts'))
    .where('s.organization_id', '=', organizationId)
    .groupBy('s.id')
    .orderBy('s.position')
    .execute()
  return stages.map((s) => ({ ...s, active: s.active === 1 }))
}

/** The active stages' names in pipeline order (for pickers; no counts, so it stays cheap). */
export async function activeStageNames(db: ReadDb, organizationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('pipeline_stages')
    .select('name')
    .where('organization_id', '=', organizationId)
    .where('active', '=', 1)
    .orderBy('position')
    .execute()
  return rows.map((r) => r.name)
}

/** Finds a stage by name, case-insensitively (ASCII), or throws a 404 naming it. */
async function findStage(trx: ReadDb, organizationId: string, name: string): Promise<PipelineStage> {
  const stage = await findStageByName(trx, organizationId, name)
  if (!stage) throw new AppError('not_found', `No pipeline stage named "${name}" in organization ${organizationId}`)
  return stage
}

/**
 * The active stage with this name (case-insensitive), or a 400 naming `field` and listing the
 * active stages in pipeline order, so the caller can pick a valid one.
 */
export async function findActiveStage(trx: ReadDb, organizationId: string, name: string, field = 'stage'): Promise<PipelineStage> {
  const stage = await findStageByName(trx, organizationId, name)
  if (stage?.active) return stage
  const active = await activeStageNames(trx, organizationId)
  const message = `"${name}" is not an active pipeline stage; valid stages: ${active.join(', ')}`
  throw new AppError('validation', `${field} ${message}`, [{ field, message }])
}

const stageByName = compiled(
  (db, organizationId: string, name: string) =>
    db.selectFrom('pipeline_stages').selectAll().where('organization_id', '=', organizationId).where('name', '=', name), // COLLATE NOCASE column
)

export async function findStageByName(trx: ReadDb, organizationId: string, name: string): Promise<PipelineStage | undefined> {
  return (await stageByName(trx, organizationId, name.trim()))[0]
}

const nameById = compiled((db, id: number) => db.selectFrom('pipeline_stages').select('name').where('id', '=', id))

/** A stage's name, or null for no stage (or one removed meanwhile). */
export async function stageNameById(db: ReadDb, id: number | null): Promise<string | null> {
  if (id === null) return null
  return (await nameById(db, id))[0]?.name ?? null
}

/** The names of many stages with one query, for lists. */
export async function stageNamesById(db: ReadDb, ids: number[]): Promise<Map<number, string>> {
  const unique = [...new Set(ids)]
  const rows = unique.length === 0 ? [] : await db.selectFrom('pipeline_stages').select(['id', 'name']).where('id', 'in', unique).execute()
  return new Map(rows.map((s) => [s.id, s.name]))
}

/** A new stage name, by the rule every stage name follows (core/fields.ts). */
function validStageName(name: string): string {
  const result = v.safeParse(stageName, name)
  if (!result.success) throw new AppError('validation', `Stage name ${result.issues[0].message}`)
  return result.output
}

/** Stage colours are set by an operator at the CLI, so a typo is refused rather than turned gray. */
function stageColor(input: string): string {
  const color = parseColor(input)
  if (!color) throw new AppError('validation', `Unknown colour "${input}"; use one of ${ACCEPTED_COLORS}`)
  return color
}

async function assertNameFree(trx: Trx, organizationId: string, name: string, exceptId?: number) {
  const existing = await findStageByName(trx, organizationId, name)
  if (existing && existing.id !== exceptId) throw new AppError('validation', `A stage named "${existing.name}" already exists`)
}

export async function addStage(trx: Trx, organizationId: string, rawName: string, color: string | undefined, now: string) {
  const name = validStageName(rawName)
  await assertNameFree(trx, organizationId, name)
  const { last } = await trx
    .selectFrom('pipeline_stages')
    .select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(0)).as('last'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow()
  return trx
    .insertInto('pipeline_stages')
    .values({
      organization_id: organizationId,
      number: await takeNumbers(trx, organizationId, 'stages'),
      name,
      color: color === undefined ? DEFAULT_TAG_COLOR : stageColor(color),
      position: Number(last) + 1,
      active: 1,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function renameStage(trx: Trx, organizationId: string, oldName: string, rawNewName: string) {
  const stage = await findStage(trx, organizationId, oldName)
  const name = validStageName(rawNewName)
  await assertNameFree(trx, organizationId, name, stage.id)
  await trx.updateTable('pipeline_stages').set({ name }).where('id', '=', stage.id).execute()
  return { ...stage, name }
}

export async function recolorStage(trx: Trx, organizationId: string, name: string, color: string) {
  const stage = await findStage(trx, organizationId, name)
  await trx
    .updateTable('pipeline_stages')
    .set({ color: stageColor(color) })
    .where('id', '=', stage.id)
    .execute()
}

/** Moves a stage to a 1-based position, shifting the others; positions stay 1..n. */
export async function moveStage(trx: Trx, organizationId: string, name: string, position: number) {
  const stage = await findStage(trx, organizationId, name)
  const ordered = await trx
    .selectFrom('pipeline_stages')
    .select('id')
    .where('organization_id', '=', organizationId)
    .orderBy('position')
    .execute()
  if (!Number.isInteger(position) || position < 1 || position > ordered.length) {
    throw new AppError('validation', `Position must be a whole number from 1 to ${ordered.length}`)
  }
  const ids = ordered.map((s) => s.id).filter((id) => id !== stage.id)
  ids.splice(position - 1, 0, stage.id)
  for (const [i, id] of ids.entries()) {
    await trx
      .updateTable('pipeline_stages')
      .set({ position: i + 1 })
      .where('id', '=', id)
      .execute()
  }
}

async function assertNotEntryStage(trx: Trx, organizationId: string, stage: PipelineStage, action: string) {
  const org = await trx
    .selectFrom('organizations')
    .select(['inbound_stage_id', 'outreach_stage_id'])
    .where('id', '=', organizationId)
    .executeTakeFirstOrThrow()
  for (const kind of ['inbound', 'outreach'] as const) {
    if (org[`${kind}_stage_id`] === stage.id) {
      throw new AppError(
        'validation',
        `Cannot ${action} "${stage.name}": it is the ${kind} entry stage; set another with \`stage set-entry\` first`,
      )
    }
  }
}

/** Deactivates a stage and disables the automation rules that use it (their ids are returned). */
export async function deactivateStage(trx: Trx, organizationId: string, name: string) {
  const stage = await findStage(trx, organizationId, name)
  await assertNotEntryStage(trx, organizationId, stage, 'deactivate')
  await trx.updateTable('pipeline_stages').set({ active: 0 }).where('id', '=', stage.id).execute()
  return { ...stage, disabledRules: await disableRulesUsingStage(trx, stage.id) }
}

export async function activateStage(trx: Trx, organizationId: string, name: string) {
  const stage = await findStage(trx, organizationId, name)
  await trx.updateTable('pipeline_stages').set({ active: 1 }).where('id', '=', stage.id).execute()
  return stage
}

export async function setEntryStage(trx: Trx, organizationId: string, kind: EntryKind, name: string) {
  const stage = await findStage(trx, organizationId, name)
  if (!stage.active) throw new AppError('validation', `"${stage.name}" is not active`)
  await trx
    .updateTable('organizations')
    .set(kind === 'inbound' ? { inbound_stage_id: stage.id } : { outreach_stage_id: stage.id })
    .where('id', '=', organizationId)
    .execute()
  return stage
}

/**
 * Names the stage whose contacts analytics count as booked (docs/analytics.md), kept by id so a
 * rename keeps it. Contacts that entered the previous one stay booked; from now on, entering
 * this one books a contact.
 */
export async function setBookingStage(trx: Trx, organizationId: string, name: string) {
  const stage = await findStage(trx, organizationId, name)
  await trx.updateTable('organizations').set({ booking_stage_id: stage.id }).where('id', '=', organizationId).execute()
  return stage
}

/**
 * Removes a stage. Contacts in it move to `moveTo` (required when there are any), each move
 * logged; positions close up. Automation rules that use it are disabled and kept without a stage.
 */
export async function removeStage(trx: Trx, organizationId: string, name: string, moveTo: string | undefined, now: string) {
  const stage = await findStage(trx, organizationId, name)
  await assertNotEntryStage(trx, organizationId, stage, 'remove')
  const contacts = await trx.selectFrom('contacts').select('id').where('pipeline_stage_id', '=', stage.id).execute()
  let target: PipelineStage | undefined
  if (moveTo !== undefined) {
    target = await findStage(trx, organizationId, moveTo)
    if (target.id === stage.id) throw new AppError('validation', 'A stage cannot move its contacts to itself')
    if (!target.active) throw new AppError('validation', `"${target.name}" is not active`)
  }
  if (contacts.length > 0 && !target) {
    throw new AppError('validation', `"${stage.name}" holds ${contacts.length} contact(s); name the stage they move to with --move-to`)
  }
  if (target && contacts.length > 0) {
    await trx
      .updateTable('contacts')
      .set({ pipeline_stage_id: target.id, updated_at: now })
      .where('pipeline_stage_id', '=', stage.id)
      .execute()
    // Moved into the booking stage: booked now, unless booked before (analytics).
    const booking = await trx.selectFrom('organizations').select('booking_stage_id').where('id', '=', organizationId).executeTakeFirst()
    if (booking?.booking_stage_id === target.id) {
      await trx
        .updateTable('contacts')
        .set({ booked_at: now })
        .where(
          'id',
          'in',
          contacts.map((c) => c.id),
        )
        .where('booked_at', 'is', null)
        .execute()
    }
    const moves = contacts.map((c) => ({
      organizationId,
      contactId: c.id,
      action: 'pipeline_stage',
      oldValue: stage.name,
      newValue: target.name,
      via: 'cli' as const,
    }))
    await logActivity(trx, moves, now)
  }
  const disabledRules = await disableRulesUsingStage(trx, stage.id)
  await trx.deleteFrom('pipeline_stages').where('id', '=', stage.id).execute()
  await trx
    .updateTable('pipeline_stages')
    .set((eb) => ({ position: eb('position', '-', 1) }))
    .where('organization_id', '=', organizationId)
    .where('position', '>', stage.position)
    .execute()
  return { stage, movedTo: target?.name ?? null, moved: contacts.length, disabledRules }
}

/**
 * Disables the enabled automation rules that use a stage and returns their numbers, so the caller can
 * say so. It acts like an ON DELETE clause of the rule's stage: automations/ sits above pipeline/
 * (a rule looks its stage up here), so this one write to the automations table lives here.
 */
async function disableRulesUsingStage(trx: Trx, stageId: number): Promise<number[]> {
  const rows = await trx
    .updateTable('automations')
    .set({ enabled: 0 })
    .where('stage_id', '=', stageId)
    .where('enabled', '=', 1)
    .returning('number')
    .execute()
  return rows.map((r) => r.number).sort((a, b) => a - b)
}
