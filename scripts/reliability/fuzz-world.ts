// The fuzzing's world: a fresh temp-file database with two organizations, a contact in each and
// a member user, and an app with no rate limits, so that every case reaches the code under test.

import { isoTime } from '../../src/core/time.ts'
import { addUser } from '../../src/users/service.ts'
import { type CallResult, setup, type TestEnv, type TestOrg } from '../../test/helpers.ts'
import { ENDPOINTS, type EndpointName } from './endpoints.ts'

/** A database with two organizations, a contact in each and a member user, and calls into it. */
export interface FuzzWorld {
  env: TestEnv
  a: TestOrg
  b: TestOrg
  contact: { id: string; username: string; manychat_id: string }
  bContact: { id: string; username: string; manychat_id: string }
  member: string
  send(endpoint: EndpointName, body: string, token?: string | null): Promise<CallResult>
  close(): Promise<void>
}

export async function createFuzzWorld(): Promise<FuzzWorld> {
  const env = await setup({ rateLimitPerMinute: 0, authFailuresPerMinute: 0 })
  const a = env.org
  const b = await env.createOrg('Other agency', 'b_page')
  const member = 'setter@example.com'
  await env.store.write(async (trx) => {
    await addUser(trx, { email: member, organizationId: a.id, role: 'member' }, isoTime(env.now()))
    await addUser(trx, { email: 'outsider@example.com', role: 'member' }, isoTime(env.now()))
  })
  const seed = async (org: TestOrg, username: string, manychatId: string) => {
    const body = {
      organization_id: org.id,
      username,
      had_outreach: false,
      manychat_id: manychatId,
      last_response_at: '2026-01-01T00:00:00Z',
      last_message_content: 'hi',
      tags: ['vip'],
    }
    const res = await env.call('POST', ENDPOINTS['create-contact'].path, body, { token: org.token })
    if (res.status !== 201) throw new Error(`fixture contact: ${res.status} ${res.text}`)
    return { id: res.body.data.id as string, username, manychat_id: manychatId }
  }
  const contact = await seed(a, 'fuzz_lead', 'mc_fuzz')
  const bContact = await seed(b, 'b_lead', 'mc_b')
  return {
    env,
    a,
    b,
    contact,
    bContact,
    member,
    send: (endpoint, body, token) => env.call(ENDPOINTS[endpoint].method, ENDPOINTS[endpoint].path, body, { token }),
    close: () => env.close(),
  }
}
