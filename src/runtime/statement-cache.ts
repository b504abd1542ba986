/**
 * Kysely prepares a statement for every query it runs. Preparing is the costly part of a small
 * query, so both drivers keep the most recently used statements by SQL text. The cache is bounded
 * because queries with `in (?, ?, ...)` lists produce a new text per list length.
 */
export function statementCache<S>(prepare: (sql: string) => S, dispose: (stmt: S) => void, size = 256) {
  const cache = new Map<string, S>()
  const get = (sql: string): S => {
    let stmt = cache.get(sql)
    if (stmt === undefined) {
      stmt = prepare(sql)
      if (cache.size >= size) {
        const [oldestSql, oldest] = cache.entries().next().value!
        cache.delete(oldestSql)
        dispose(oldest)
      }
    } else {
      cache.delete(sql) // re-insert below: Map order is our recency order
    }
    cache.set(sql, stmt)
    return stmt
  }
  /** Disposes every cached statement: a connection with live statements does not really close. */
  const clear = () => {
    for (const stmt of cache.values()) dispose(stmt)
    cache.clear()
  }
  return { get, clear }
}
