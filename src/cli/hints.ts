import { listenFrom } from '../config.ts'

/** The base URL a client on this machine reaches a server at, from where it listens. */
export function baseUrl(host: string, port: number): string {
  // A server listening on every address is reached on loopback from here.
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`
}

/**
 * Where `serve` would be reached with the environment's settings, for lines printed by other commands;
 * the default when the environment's port is not usable (serve itself reports that).
 */
export function serverBase(env: Record<string, string | undefined>): string {
  try {
    const { host, port } = listenFrom({}, env)
    return baseUrl(host, port)
  } catch {
    return baseUrl('127.0.0.1', 8080)
  }
}
