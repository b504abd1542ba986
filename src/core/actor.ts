/** The name clients send their organization token under; messages quote it so they can act on them. */
export const TOKEN_HEADER = 'x-org-auth-token'

/** Who a request acts for, once its credential was checked: an organization's API token. */
export interface Caller {
  organizationId: string
  tokenId: string
}

/** Which door a change came through, as the activity log records it. */
export type ActivityVia = 'api' | 'automation' | 'cli'

/** Who makes a change, as the activity log records it. */
export interface Actor {
  via: ActivityVia
  userId?: string | null
  automationId?: number | null
}
