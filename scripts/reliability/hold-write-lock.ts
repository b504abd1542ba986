// Another process holding the database's write lock, as a second server, a backup tool or a
// person at the sqlite3 prompt might. Usage: hold-write-lock.ts DB_PATH [HOLD_MS]
// Prints "locked" once it holds the lock; lets go after HOLD_MS, or when a line arrives on stdin.
import { runtime } from '#runtime'

const [path, holdMs] = process.argv.slice(2)
if (!path) {
  console.error('usage: hold-write-lock.ts DB_PATH [HOLD_MS]')
  process.exit(2)
}
const db = runtime.openSqlite(path)
db.exec('pragma busy_timeout = 5000')
db.exec('begin immediate')
process.stdout.write('locked\n')

const release = () => {
  db.exec('rollback')
  db.close()
  process.exit(0)
}
if (holdMs !== undefined) setTimeout(release, Number(holdMs))
process.stdin.once('data', release)
process.stdin.once('end', release)
