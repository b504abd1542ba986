/** A ready-to-paste request, so a new user can call the API within a minute. */
export function curlExample(organizationId: string, token: string, base: string): string {
  const body = JSON.stringify({
    organization_id: organizationId,
    manychat_id: '123456',
    username: 'john_doe',
    message_content: 'Hi! Is this still available?',
  })
  return `curl -X POST ${base}/api/v1/contact/default-reply -H "Content-Type: application/json" -H "x-org-auth-token: ${token}" -d '${body}'`
}
