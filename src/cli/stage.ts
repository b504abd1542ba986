import { isoTime } from '../core/time.ts'
import type { Trx } from '../db/write.ts'
import { getOrganization } from '../organizations/service.ts'
import {
  activateStage,
  addStage,
  deactivateStage,
  listStages,
  moveStage,
  recolorStage,
  removeStage,
  renameStage,
  setBookingStage,
  setEntryStage,
} from '../pipeline/service.ts'
import { disabledRulesNote } from './automation.ts'
import { type CliIo, group, output, parse, positionals, table, UsageError, withExistingStore } from './common.ts'

const HELP = `Usage:
  dmtracker stage list ORG_ID [--json]
  dmtracker stage add ORG_ID NAME [--color COLOR]         appended at the end; COLOR is a name or #hex
  dmtracker stage rename ORG_ID OLD NEW                   contacts stay in the stage
  dmtracker stage color ORG_ID NAME COLOR
  dmtracker stage move ORG_ID NAME POSITION               1 is first
  dmtracker stage deactivate ORG_ID NAME                  the API refuses inactive stages
  dmtracker stage activate ORG_ID NAME
  dmtracker stage remove ORG_ID NAME [--move-to OTHER]    --move-to is required if contacts are in it
  dmtracker stage set-entry ORG_ID inbound|outreach NAME  where new contacts of that kind start
  dmtracker stage set-booking ORG_ID NAME                 analytics count contacts entering it as booked
Stage names match case-insensitively. Every command takes --db PATH.`

/** Runs one stage change for an existing organization in a transaction and prints `done`. */
async function change(
  args: string[],
  io: CliIo,
  names: string[],
  work: (trx: Trx, orgId: string, rest: string[], flags: Record<string, unknown>) => Promise<string>,
  options = {},
) {
  const { values, positionals: given } = parse(args, options)
  const [orgId, ...rest] = positionals(given, ['ORG_ID', ...names])
  const message = await withExistingStore(values, io, (store) =>
    store.write(async (trx) => {
      await getOrganization(trx, orgId!)
      return work(trx, orgId!, rest, values)
    }),
  )
  io.out(message)
  return 0
}

const now = () => isoTime()

export const stageCommand = group(HELP, {
  async list(args, io) {
    const { values, positionals: given } = parse(args, {})
    const [orgId] = positionals(given, ['ORG_ID'])
    const stages = await withExistingStore(values, io, async (store) => {
      await getOrganization(store.db, orgId!)
      return listStages(store.db, orgId!)
    })
    output(io, values.json, stages, () =>
      table(
        stages.map((s) => ({ ...s, active: s.active ? 'yes' : 'no' })),
        ['position', 'name', 'color', 'active', 'contacts'],
      ),
    )
    return 0
  },
  add: (args, io) =>
    change(
      args,
      io,
      ['NAME'],
      async (trx, orgId, [name], flags) => {
        const stage = await addStage(trx, orgId, name!, flags.color as string | undefined, now())
        return `Added stage "${stage.name}" at position ${stage.position}`
      },
      { color: { type: 'string' } },
    ),
  rename: (args, io) =>
    change(args, io, ['OLD', 'NEW'], async (trx, orgId, [oldName, newName]) => {
      const stage = await renameStage(trx, orgId, oldName!, newName!)
      return `Renamed stage to "${stage.name}"`
    }),
  color: (args, io) =>
    change(args, io, ['NAME', 'COLOR'], async (trx, orgId, [name, color]) => {
      await recolorStage(trx, orgId, name!, color!)
      return `Recoloured stage "${name}"`
    }),
  move: (args, io) =>
    change(args, io, ['NAME', 'POSITION'], async (trx, orgId, [name, position]) => {
      if (!/^\d+$/.test(position!)) throw new UsageError(`POSITION must be a whole number, got "${position}"`)
      await moveStage(trx, orgId, name!, Number(position))
      return `Moved stage "${name}" to position ${position}`
    }),
  deactivate: (args, io) =>
    change(args, io, ['NAME'], async (trx, orgId, [name]) => {
      const stage = await deactivateStage(trx, orgId, name!)
      return `Deactivated stage "${stage.name}"${disabledRulesNote(stage.disabledRules)}`
    }),
  activate: (args, io) =>
    change(args, io, ['NAME'], async (trx, orgId, [name]) => {
      const stage = await activateStage(trx, orgId, name!)
      return `Activated stage "${stage.name}"`
    }),
  remove: (args, io) =>
    change(
      args,
      io,
      ['NAME'],
      async (trx, orgId, [name], flags) => {
        const result = await removeStage(trx, orgId, name!, flags['move-to'] as string | undefined, now())
        return `Removed stage "${result.stage.name}"${result.moved ? `; moved ${result.moved} contact(s) to "${result.movedTo}"` : ''}${disabledRulesNote(result.disabledRules)}`
      },
      { 'move-to': { type: 'string' } },
    ),
  'set-entry': (args, io) =>
    change(args, io, ['inbound|outreach', 'NAME'], async (trx, orgId, [kind, name]) => {
      if (kind !== 'inbound' && kind !== 'outreach') throw new UsageError(`expected inbound or outreach, got "${kind}"`)
      const stage = await setEntryStage(trx, orgId, kind, name!)
      return `New ${kind} contacts now start in "${stage.name}"`
    }),
  'set-booking': (args, io) =>
    change(args, io, ['NAME'], async (trx, orgId, [name]) => {
      const stage = await setBookingStage(trx, orgId, name!)
      return `Contacts entering "${stage.name}" now count as booked`
    }),
})
