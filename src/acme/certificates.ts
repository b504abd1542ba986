import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:https'
import { dirname, join } from 'node:path'
import { rootCertificates } from 'node:tls'
import acme from 'acme-client'
import type { AcmeConfig } from '../config.ts'
import type { Logger } from '../core/logger.ts'
import type { TlsPair } from '../runtime/types.ts'

/** A certificate chain and key as served, with what renewal needs to know of it. */
export interface Certificate extends TlsPair {
  readonly notBefore: Date
  readonly notAfter: Date
}

/** Where the ACME account key, the certificate and its key live: `acme/` beside the database. */
export function acmeFolder(dbPath: string): string {
  return join(dirname(dbPath), 'acme')
}

// The certificate chain and its key share one file, so that one rename replaces both at once.
const FILES = { account: 'account.key', certificate: 'certificate.pem' }
const KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]+-----END [A-Z ]*PRIVATE KEY-----\n?/

/**
 * The stored certificate if it is readable, covers every domain asked for and has not expired;
 * otherwise undefined (a new one is needed). Whether it is due for renewal is renewal.ts's call.
 */
export function loadCertificate(folder: string, domains: readonly string[], now = Date.now()): Certificate | undefined {
  try {
    const both = readFileSync(join(folder, FILES.certificate), 'utf8')
    const key = KEY_BLOCK.exec(both)?.[0]
    const cert = both.replace(KEY_BLOCK, '')
    if (!key) return undefined
    const info = acme.crypto.readCertificateInfo(cert)
    const names = new Set([info.domains.commonName, ...info.domains.altNames])
    if (!domains.every((domain) => names.has(domain)) || info.notAfter.getTime() <= now) return undefined
    return { cert, key, notBefore: info.notBefore, notAfter: info.notAfter }
  } catch {
    return undefined
  }
}

/**
 * Gets certificates from the ACME server with the HTTP-01 challenge: while an order is being
 * validated its tokens sit in `tokens`, which port 80 answers from. The account key is made once
 * and kept, so the CA sees the same account on every renewal.
 */
export function acmeIssuer({
  config,
  folder,
  tokens,
  log,
}: {
  config: AcmeConfig
  folder: string
  tokens: Map<string, string>
  log: Logger
}) {
  if (config.caFile) {
    // acme-client talks through its own axios instance: trust the extra root there, and only there.
    acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, readFileSync(config.caFile, 'utf8')] })
  }
  return async function obtain(): Promise<Certificate> {
    mkdirSync(folder, { recursive: true, mode: 0o700 })
    const accountKey = existsSync(join(folder, FILES.account))
      ? readFileSync(join(folder, FILES.account), 'utf8')
      : writePrivate(folder, FILES.account, (await acme.crypto.createPrivateEcdsaKey()).toString())
    const client = new acme.Client({ directoryUrl: config.directoryUrl, accountKey })
    const [key, csr] = await acme.crypto.createCsr(
      { commonName: config.domains[0], altNames: [...config.domains] },
      await acme.crypto.createPrivateEcdsaKey(),
    )
    log({ level: 'info', msg: 'requesting certificate', domains: config.domains, directory: config.directoryUrl })
    const cert = await client.auto({
      csr,
      email: config.email,
      // Running with --domain is agreeing to the CA's terms, as with certbot --agree-tos.
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // acme-client would first fetch the challenge itself on port 80 of the domain, which fails
      // behind port forwarding (--http-port); the CA's own validation is the one that counts.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => void tokens.set(challenge.token, keyAuthorization),
      challengeRemoveFn: async (_authz, challenge) => void tokens.delete(challenge.token),
    })
    // Written aside and renamed: a crash leaves the old certificate or the new one, never half.
    writePrivate(folder, `${FILES.certificate}.new`, `${key.toString().trim()}\n${cert}`)
    renameSync(join(folder, `${FILES.certificate}.new`), join(folder, FILES.certificate))
    const info = acme.crypto.readCertificateInfo(cert)
    log({ level: 'info', msg: 'certificate obtained', domains: config.domains, not_after: info.notAfter.toISOString() })
    return { cert, key: key.toString(), notBefore: info.notBefore, notAfter: info.notAfter }
  }
}

/** Keys and certificates are readable by the server's user only (0600), whatever the umask. */
function writePrivate(folder: string, name: string, content: string): string {
  const path = join(folder, name)
  writeFileSync(path, content, { mode: 0o600 })
  chmodSync(path, 0o600)
  return content
}
