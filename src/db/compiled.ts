import type { Compilable, CompiledQuery, Kysely } from 'kysely'
import { type Engine, engineOf } from '../../migrations/dialect.ts'
import type { Database } from './schema.ts'
import type { ReadDb, Trx } from './write.ts'

/** Stands in for an argument while the query is compiled; each call puts the real value in its place. */
class Slot {
  constructor(readonly index: number) {}
}

type Binding = { arg: number } | { value: unknown }

/**
 * A query whose SQL Kysely builds and compiles once, on first use, instead of on every call:
 * for a small query, building and compiling costs more than SQLite's work. `build` must give
 * every argument the same place in the query whatever its value (no branching on arguments,
 * no `in` lists of varying length, no object spread of optional keys); constants in it are
 * kept. Returns the rows; `[0]` for the first.
 *
 * @example
 * const byManychatId = compiled((db, orgId: string, manychatId: string) =>
 *   db.selectFrom('contacts').selectAll().where('organization_id', '=', orgId).where('manychat_id', '=', manychatId))
 * const [contact] = await byManychatId(trx, org.id, '123')
 */
export function compiled<Args extends unknown[], Row>(build: (db: ReadDb, ...args: Args) => Compilable<Row>) {
  return prepare<ReadDb, Args, Row>(build)
}

/** compiled() for an insert, update or delete: it runs only on the write transaction's handle. */
export function compiledWrite<Args extends unknown[], Row>(build: (db: Trx, ...args: Args) => Compilable<Row>) {
  return prepare<Trx, Args, Row>(build)
}

function prepare<H extends ReadDb, Args extends unknown[], Row>(build: (db: H, ...args: Args) => Compilable<Row>) {
  // Compiled once per engine: the SQL text differs (`?` against `$1`), and one process may use both (`copy`).
  const byEngine: Partial<Record<Engine, { query: CompiledQuery<Row>; bindings: Binding[] }>> = {}
  return async (db: H, ...args: Args): Promise<Row[]> => {
    const engine = engineOf(db)
    byEngine[engine] ??= compile(db, build as (db: H, ...args: unknown[]) => Compilable<Row>, args.length)
    const once = byEngine[engine]
    const parameters = once.bindings.map((b) => ('arg' in b ? args[b.arg] : b.value))
    // Every handle is a Kysely underneath; ReadDb only hides what read code must not call.
    const { rows } = await (db as unknown as Kysely<Database>).executeQuery<Row>({ ...once.query, parameters })
    return rows
  }
}

function compile<H, Row>(db: H, build: (db: H, ...args: unknown[]) => Compilable<Row>, arity: number) {
  const slots = Array.from({ length: arity }, (_, i) => new Slot(i))
  const query = build(db, ...slots).compile()
  const bindings = query.parameters.map((p): Binding => (p instanceof Slot ? { arg: p.index } : { value: p }))
  const used = new Set(bindings.flatMap((b) => ('arg' in b ? [b.arg] : [])))
  if (used.size !== arity) throw new Error(`compiled(): ${arity - used.size} argument(s) did not become query parameters in: ${query.sql}`)
  return { query, bindings }
}
