import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TlsPair } from '../src/runtime/types.ts'

// A webhook receiver for tests: listens on 127.0.0.1 at a free port (over https with `tls`) and
// records what it gets.

export interface Received {
  headers: IncomingHttpHeaders
  body: string
  json: any
  /** The sender's port: requests with the same one came over the same connection. */
  remotePort: number | undefined
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

export async function startReceiver(status = 204, tls?: TlsPair): Promise<Receiver> {
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
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const status = receiver.status
      received.push({ headers: req.headers, body, json: JSON.parse(body), remotePort: req.socket.remotePort, ok: status < 300 })
      res.statusCode = status
      res.end(status < 300 ? 'thanks' : 'down for maintenance')
    })
  }
  const server: Server = tls ? createHttpsServer(tls, handle) : createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  return receiver
}
