// Certificates and an HTTPS client for the HTTPS tests. openssl makes the certificates: it is on
// every Debian machine (ca-certificates depends on it) and keeps test keys out of the repository.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import type { TlsPair } from '../src/runtime/types.ts'

/** A self-signed certificate for localhost and 127.0.0.1 whose common name is `name`. */
export function selfSignedPair(name: string): TlsPair {
  const dir = mkdtempSync(join(tmpdir(), 'dmtracker-tls-'))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        `/CN=${name}`,
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface HttpsAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** The common name of the certificate the server presented. */
  certificateName: string
  /** Its serial number, to tell two certificates for the same name apart. */
  serial: string
  /** The certificate itself, DER. */
  raw: Buffer
}

/** One GET on a fresh connection that trusts only `ca` (verification on), sent with `host` as SNI and Host. */
export function httpsGet(port: number, path: string, ca: string[], host = 'localhost'): Promise<HttpsAnswer> {
  return httpsRequest({ port, path, ca, host })
}

export interface HttpsRequest {
  port: number
  path: string
  ca: string[]
  host: string
  method?: string
  headers?: Record<string, string>
  body?: string
}

/** One request to 127.0.0.1 on a fresh connection, verifying the server's certificate against `ca` for `host`. */
export function httpsRequest({ port, path, ca, host, method = 'GET', headers = {}, body }: HttpsRequest): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', servername: host, port, path, ca, method, agent: false, headers: { host, ...headers } },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate()
        let text = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: text,
            certificateName: String(peer.subject?.CN),
            serial: peer.serialNumber,
            raw: peer.raw,
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}
