import { createServer } from 'node:net'

/** The one-line error a second server on a busy port exits with, the same on every runtime. */
export class PortInUseError extends Error {
  constructor(hostname: string, port: number) {
    super(`port ${port} on ${hostname} is already in use (is another server running?); stop it or choose another --port`)
  }
}

/**
 * Fails if some socket listens on `hostname:port`. Bun.serve on Linux binds with SO_REUSEPORT
 * even with `reusePort: false` (Bun 1.4), so a second server would share the port with the first
 * and the kernel would split requests between them. This probe binds without SO_REUSEPORT, which
 * the kernel refuses while any socket holds the port, then lets it go for Bun.serve.
 */
export function assertPortFree(hostname: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(hostname, port) : error))
    probe.listen({ host: hostname, port, exclusive: true }, () => probe.close(() => resolve()))
  })
}
