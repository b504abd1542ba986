import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { after, describe, it } from 'node:test'
import { setup, type TestEnv } from './helpers.ts'

// The read workers give way to the thread that writes when the CPU is short (src/read-worker.ts):
// on Linux each worker thread lowers its own scheduling priority, and only its own.

/** Each thread of this process with its nice value (field 19 of /proc/self/task/TID/stat). */
function threadNices(): Map<number, number> {
  return new Map(
    readdirSync('/proc/self/task').map((tid) => {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      return [Number(tid), Number(fields[16])]
    }),
  )
}

describe('read worker priority', () => {
  let env: TestEnv | undefined
  after(async () => {
    await env?.close()
  })

  it('runs the read workers at a lower priority than the rest of the process (Linux)', { skip: process.platform !== 'linux' }, async () => {
    const before = threadNices()
    const main = before.get(process.pid)!
    env = await setup()
    // A read starts the workers and waits for one of them to answer.
    assert.equal((await env.call('GET', '/api/v1/analytics/setters')).status, 200)
    const added = [...threadNices()].filter(([tid]) => !before.has(tid))
    const lowered = added.filter(([, nice]) => nice === Math.min(19, main + 10))
    assert.ok(lowered.length >= 1, `new threads and their nice values: ${JSON.stringify(added)}`)
    assert.equal(threadNices().get(process.pid), main, 'the main thread keeps its priority')
  })
})
