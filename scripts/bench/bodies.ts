import { contactId, igId, LEAD_STATUSES, MESSAGES, manychatId, OUTREACH, STAGES, TAG_COLORS, TAG_NAMES, username } from './population.ts'
import type { Seed } from './seed.ts'

export const ENDPOINTS = ['default-reply', 'create-contact', 'update-tags', 'contact-status'] as const
export type Endpoint = (typeof ENDPOINTS)[number]

export interface BenchRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: string
}

const PATHS: Record<Endpoint, { method: string; path: string }> = {
  'default-reply': { method: 'POST', path: '/api/v1/contact/default-reply' },
  'create-contact': { method: 'POST', path: '/api/v1/organization/create-contact' },
  'update-tags': { method: 'POST', path: '/api/v1/contact/update-tags-external' },
  'contact-status': { method: 'PATCH', path: '/api/v1/contact/contact-status' },
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!
const chance = (p: number) => Math.random() < p

/** 1-3 distinct tag names. */
function someTags(max = 3): string[] {
  const count = 1 + Math.floor(Math.random() * max)
  const start = Math.floor(Math.random() * TAG_NAMES.length)
  return Array.from({ length: count }, (_, k) => TAG_NAMES[(start + k * 7) % TAG_NAMES.length]!)
}

/** How ManyChat and scripts really send a handle: sometimes with @, capitals or spaces. */
function asSent(name: string): string {
  if (chance(0.1)) return `@${name}`
  if (chance(0.1)) return ` ${name.toUpperCase()} `
  return name
}

/**
 * An endless supply of realistic, varied requests for one endpoint: a mix of contacts the
 * database has (uniformly over all of them, the worst case for caches) and people it has not
 * seen, real-looking handles, messages of realistic length, tags. Each call is one request.
 */
export function requestSource(endpoint: Endpoint, seed: Seed): () => BenchRequest {
  const { method, path } = PATHS[endpoint]
  const headers = seed.orgs.map((o) => ({ 'content-type': 'application/json', 'x-org-auth-token': o.token }))
  let fresh = seed.contacts // the next never-seen person
  const existing = () => Math.floor(Math.random() * seed.contacts)
  const person = (newShare: number) => (chance(newShare) || seed.contacts === 0 ? fresh++ : existing())
  const request = (i: number, fields: Record<string, unknown>, raw = ''): BenchRequest => {
    const org = seed.orgs[i % seed.orgs.length]!
    const body = JSON.stringify({ organization_id: org.id, ...fields })
    // ig_id goes in as a bare JSON number beyond 2^53, as ManyChat sends it.
    return { method, path, headers: headers[i % seed.orgs.length]!, body: raw ? `${body.slice(0, -1)},${raw}}` : body }
  }

  const sources: Record<Endpoint, () => BenchRequest> = {
    'default-reply': () => {
      const i = person(0.3)
      const org = seed.orgs[i % seed.orgs.length]!
      return request(
        i,
        {
          manychat_id: manychatId(i),
          username: asSent(username(i)),
          message_content: chance(0.02) ? '##{{last_input_text}}' : pick(MESSAGES),
          ...(chance(0.2) ? { message_date: new Date(Date.now() - Math.floor(Math.random() * 600_000)).toISOString() } : {}),
          ...(chance(0.3) ? { page_name: org.pageName } : {}),
        },
        chance(0.5) ? `"ig_id":${igId(i)}` : '',
      )
    },
    'create-contact': () => {
      const i = person(0.5)
      const common = {
        username: asSent(username(i)),
        ...(chance(0.5) ? { manychat_id: manychatId(i) } : {}),
        ...(chance(0.6) ? { tags: someTags(), tag_color: pick(TAG_COLORS) } : {}),
        ...(chance(0.2) ? { note: `${pick(MESSAGES)} (imported from the spring webinar list)` } : {}),
      }
      if (chance(0.6)) {
        return request(i, {
          ...common,
          had_outreach: false,
          last_response_at: new Date(Date.now() - Math.floor(Math.random() * 86_400_000)).toISOString(),
          last_message_content: pick(MESSAGES),
        })
      }
      const outreach = pick(OUTREACH)
      return request(i, {
        ...common,
        had_outreach: true,
        outreach_reason: outreach.reason,
        outreach_text: outreach.text,
        ...(chance(0.5) ? { outreach_reason_label: 'Q1 Campaign', outreach_message_label: 'Intro Message' } : {}),
      })
    },
    'update-tags': () => {
      const i = existing()
      const roll = Math.random()
      return request(i, {
        ...(chance(0.8) ? { username: asSent(username(i)) } : { contact_id: contactId(i) }),
        mode: roll < 0.6 ? 'add' : roll < 0.85 ? 'set' : 'remove',
        tag_names: someTags(),
        ...(chance(0.3) ? { tag_color: pick(TAG_COLORS) } : {}),
      })
    },
    'contact-status': () => {
      const i = existing()
      const roll = Math.random()
      return request(i, {
        ...(chance(0.8) ? { manychat_id: manychatId(i) } : { contact_id: contactId(i) }),
        ...(roll < 0.7 ? (chance(0.7) ? { lead_status: pick(LEAD_STATUSES) } : { lead_status_id: 1 + Math.floor(Math.random() * 4) }) : {}),
        ...(roll > 0.4 ? { pipeline_stage: pick(STAGES) } : {}),
      })
    },
  }
  return sources[endpoint]
}
