import type { Selectable } from 'kysely'
import { type Cursor, encodeCursor, readCursor } from '../core/cursor.ts'
import { AppError } from '../core/errors.ts'
import type { ActivityLogTable, Contact } from '../db/schema.ts'
import type { ReadDb } from '../db/write.ts'
import { type ContactView, contactView } from './view.ts'

export interface ContactDetail extends ContactView {
  archived_at: string | null
  activate_followups: boolean
  last_follow_up_at: string | null
  notes: { id: number; body: string; created_by_user_id: string | null; created_at: string }[]
  messages: { items: MessageView[]; next_cursor: string | null }
  activity: { items: ActivityView[]; next_cursor: string | null }
}

interface MessageView {
  id: number
  direction: 'inbound' | 'outbound'
  content: string
  sent_at: string
  source: string
  created_at: string
}

/** An activity-log row as stored, without the ids the detail already names, plus who did it. */
type ActivityView = Omit<Selectable<ActivityLogTable>, 'organization_id' | 'contact_id' | 'number'> & { user_email: string | null }

/** A contact of the organization, active or archived, or a 404 (also for another organization's contact). */
async function findContact(db: ReadDb, organizationId: string, id: string): Promise<Contact> {
  const contact = await db
    .selectFrom('contacts')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', organizationId)
    .executeTakeFirst()
  if (!contact) throw new AppError('not_found', `No contact with id ${id}`)
  return contact
}

/** Takes `limit` + 1 rows to know whether another page follows, and returns the `limit` first. */
function page<T>(rows: T[], limit: number, cursorOf: (last: T) => string) {
  const items = rows.slice(0, limit)
  return { items, next_cursor: rows.length > limit ? cursorOf(items.at(-1)!) : null }
}

/**
 * A contact with its tags, notes, conversation history and activity log. History and activity
 * are newest first and paginated; archived contacts stay readable, so their history does too.
 * Messages, notes, activity and the rules named in it are shown by their numbers within the
 * organization (see takeNumbers), never by their internal ids.
 */
export async function contactDetail(
  db: ReadDb,
  organizationId: string,
  id: string,
  query: { limit: number; messages_cursor?: Cursor; activity_cursor?: Cursor },
): Promise<ContactDetail> {
  const contact = await findContact(db, organizationId, id)
  const messagesAfter = readCursor<[string, number]>(query.messages_cursor, 'messages', ['string', 'number'], 'messages_cursor')
  const activityAfter = readCursor<[number]>(query.activity_cursor, 'activity', ['number'], 'activity_cursor')

  let messages = db
    .selectFrom('messages')
    .select(['number as id', 'direction', 'content', 'sent_at', 'source', 'created_at'])
    .where('contact_id', '=', contact.id)
  if (messagesAfter) messages = messages.where((eb) => eb(eb.refTuple('sent_at', 'number'), '<', eb.tuple(...messagesAfter)))
  const messageRows = await messages
    .orderBy('sent_at', 'desc')
    .orderBy('number', 'desc')
    .limit(query.limit + 1)
    .execute()

  let activity = db
    .selectFrom('activity_log as a')
    .leftJoin('users as u', 'u.id', 'a.user_id')
    .leftJoin('automations as r', 'r.id', 'a.automation_id')
    .select([
      'a.number as id',
      'a.action',
      'a.old_value',
      'a.new_value',
      'a.via',
      'r.number as automation_id',
      'a.user_id',
      'u.email as user_email',
      'a.created_at',
    ])
    .where('a.contact_id', '=', contact.id)
  if (activityAfter) activity = activity.where('a.number', '<', activityAfter[0])
  const activityRows = await activity
    .orderBy('a.number', 'desc')
    .limit(query.limit + 1)
    .execute()

  const notes = await db
    .selectFrom('notes')
    .select(['number as id', 'body', 'created_by_user_id', 'created_at'])
    .where('contact_id', '=', contact.id)
    .orderBy('number', 'desc')
    .execute()

  return {
    ...(await contactView(db, contact)),
    archived_at: contact.archived_at,
    activate_followups: contact.followups_active === 1,
    last_follow_up_at: contact.last_follow_up_at,
    notes,
    messages: page(messageRows, query.limit, (m) => encodeCursor('messages', [m.sent_at, m.id])),
    activity: page(activityRows, query.limit, (a) => encodeCursor('activity', [a.id])),
  }
}
