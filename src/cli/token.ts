import { isoTime } from '../core/time.ts'
import { getOrganization } from '../organizations/service.ts'
import { createToken, listTokens, revokeToken } from '../tokens/service.ts'
import { group, output, parse, positionals, table, withExistingStore } from './common.ts'

const HELP = `Usage:
  dmtracker token create ORG_ID [--label LABEL] [--json]   prints a new token, shown once
  dmtracker token list ORG_ID [--json]                      ids, prefixes, labels, last use; never the tokens
  dmtracker token revoke TOKEN_ID                           stops it working at once
Every command takes --db PATH (env DMTRACKER_DB, default ./data/dmtracker.db).`

export const tokenCommand = group(HELP, {
  async create(args, io) {
    const { values, positionals: rest } = parse(args, { label: { type: 'string' } })
    const [orgId] = positionals(rest, ['ORG_ID'])
    const created = await withExistingStore(values, io, (store) =>
      store.write(async (trx) => {
        await getOrganization(trx, orgId!)
        return createToken(trx, orgId!, values.label ?? null, isoTime())
      }),
    )
    output(io, values.json, created, () => `${created.token}\n(id ${created.id}; shown only this once)`)
    return 0
  },

  async list(args, io) {
    const { values, positionals: rest } = parse(args, {})
    const [orgId] = positionals(rest, ['ORG_ID'])
    const tokens = await withExistingStore(values, io, async (store) => {
      await getOrganization(store.db, orgId!)
      return listTokens(store.db, orgId!)
    })
    output(io, values.json, tokens, () => table(tokens, ['id', 'display_prefix', 'label', 'created_at', 'last_used_at', 'revoked_at']))
    return 0
  },

  async revoke(args, io) {
    const { values, positionals: rest } = parse(args, {})
    const [tokenId] = positionals(rest, ['TOKEN_ID'])
    await withExistingStore(values, io, (store) => store.write((trx) => revokeToken(trx, tokenId!, isoTime())))
    io.out(`Token ${tokenId} revoked`)
    return 0
  },
})
