import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// A webhook receiver for tests: listens on 127.0.0.1 at a free port and records what it gets.

export interface Received {
  headers: IncomingHttpHeaders
  body: string
  json: any
  /** Whether the receiver accepted it (answered 2xx). */
  ok?: boolean
}

export interface Receiver {
  url: string
  received: Received[]
  /** What the receiver answers; change it to take the receiver "down" or bring it back. */
  status: number
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>
  close(): Promise<void>
}

export async function startReceiver(status = 204): Promise<Receiver> {
  const received: Received[] = []
  const receiver: Receiver = {
    url: '',
    received,
    status,
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      while (received.filter((r) => r.ok).length < count) {
        if (Date.now() > deadline) throw new Error(`receiver got ${received.length} requests, waited for ${count} accepted`)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return received.filter((r) => r.ok)
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const status = receiver.status
      received.push(Object.assign({ headers: req.headers, body, json: JSON.parse(body) }, { ok: status < 300 }))
      res.statusCode = status
      res.end(status < 300 ? 'thanks' : 'down for maintenance')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  return receiver
}
