import type * as v from 'valibot'
import { dailyQuery, outreachQuery, settersQuery } from '../analytics/schemas.ts'
import {
  archiveQuery,
  boardQuery,
  contactDetailQuery,
  contactExportQuery,
  contactIdParam,
  contactListQuery,
  contactStatusSchema,
  createContactSchema,
  defaultReplySchema,
  updateContactSchema,
  updateTagsSchema,
} from '../contacts/schemas.ts'
import type { QuerySchema } from '../core/query.ts'
import { followUpActionSchema } from '../follow-ups/schemas.ts'
import * as r from './responses.ts'

/** One endpoint as the OpenAPI document describes it, with the schemas the server validates with. */
export interface Operation {
  id: string
  method: 'get' | 'post' | 'patch' | 'delete'
  /** As registered with Hono (`:id`), so the coverage test compares it with the app's routes. */
  path: string
  tag: 'Reference' | 'Contacts' | 'Follow-ups' | 'Pipeline' | 'Analytics' | 'System'
  summary: string
  description?: string
  // biome-ignore lint/suspicious/noExplicitAny: any error message; only the entries matter here
  params?: v.ObjectSchema<v.ObjectEntries, any>
  query?: QuerySchema
  body?: v.GenericSchema
  /** Success responses by status; `csv` for the export. */
  ok: Partial<Record<200 | 201, { description: string; schema: v.GenericSchema } | { description: string; csv: true }>>
  errors: (400 | 403 | 404 | 413 | 429)[]
}

const CANCELLED = 'A cancelled organization gets 200 with status "success" and nothing is changed.'
const LIST_ORDER =
  'Order: with follow_up, next follow-up time ascending (most overdue first); else with q, username A to Z; ' +
  'else with updated_since, oldest change first; else newest contact first. Pages continue with next_cursor ' +
  '(keyset: the newest-first order neither skips nor repeats a contact while contacts change).'

export const OPERATIONS: Operation[] = [
  {
    id: 'health',
    method: 'get',
    path: '/healthz',
    tag: 'System',
    summary: 'Liveness: answers 200 when the database answers',
    ok: { 200: { description: 'Healthy', schema: r.healthResponse } },
    errors: [],
  },
  {
    id: 'version',
    method: 'get',
    path: '/version',
    tag: 'System',
    summary: 'Server name, version, git commit, build date (`dev` in a checkout) and runtime',
    ok: { 200: { description: 'Version', schema: r.versionResponse } },
    errors: [],
  },
  {
    id: 'defaultReply',
    method: 'post',
    path: '/api/v1/contact/default-reply',
    tag: 'Reference',
    summary: 'ManyChat default-reply webhook: record a reply, creating the contact if needed',
    description: `Empty or placeholder message_content is treated as outreach and skipped (200, nothing written). ${CANCELLED}`,
    body: defaultReplySchema,
    ok: { 200: { description: 'Processed or skipped', schema: r.defaultReplyResponse } },
    errors: [400, 413],
  },
  {
    id: 'createContact',
    method: 'post',
    path: '/api/v1/organization/create-contact',
    tag: 'Reference',
    summary: 'Create or update a contact (inbound or outreach)',
    description: `Rate limited per organization (429 with Retry-After). ${CANCELLED}`,
    body: createContactSchema,
    ok: {
      201: { description: 'Created', schema: r.createContactResponse },
      200: { description: 'Existing contact returned, converted or updated', schema: r.createContactResponse },
    },
    errors: [400, 403, 404, 413, 429],
  },
  {
    id: 'updateTags',
    method: 'post',
    path: '/api/v1/contact/update-tags-external',
    tag: 'Reference',
    summary: 'Set, add or remove a contact’s tags by name',
    description: CANCELLED,
    body: updateTagsSchema,
    ok: { 200: { description: 'The contact’s tags after the change', schema: r.updateTagsResponse } },
    errors: [400, 403, 404, 413],
  },
  {
    id: 'updateContactStatus',
    method: 'patch',
    path: '/api/v1/contact/contact-status',
    tag: 'Reference',
    summary: 'Change a contact’s lead status and/or pipeline stage (runs smart automations)',
    description: CANCELLED,
    body: contactStatusSchema,
    ok: { 200: { description: 'The contact after the change', schema: r.contactStatusResponse } },
    errors: [400, 403, 404, 413],
  },
  {
    id: 'listContacts',
    method: 'get',
    path: '/api/v1/contacts',
    tag: 'Contacts',
    summary: 'List the organization’s active contacts, filtered, one page at a time',
    description: `Filters combine (all must match; several tag values mean all of those tags). ${LIST_ORDER}`,
    query: contactListQuery,
    ok: { 200: { description: 'A page of contacts', schema: r.contactListResponse } },
    errors: [400],
  },
  {
    id: 'exportContacts',
    method: 'get',
    path: '/api/v1/contacts/export.csv',
    tag: 'Contacts',
    summary: 'Every contact matching the filters as CSV (streamed)',
    description:
      'UTF-8 with a byte order mark, a header row, every field quoted, CRLF line ends; cells starting with = + - @ (or tab, CR) ' +
      'get a leading single quote so spreadsheets do not run them as formulas. Same filters and order as GET /contacts.',
    query: contactExportQuery,
    ok: { 200: { description: 'CSV', csv: true } },
    errors: [400],
  },
  {
    id: 'getContact',
    method: 'get',
    path: '/api/v1/contacts/:id',
    tag: 'Contacts',
    summary: 'A contact with tags, notes, conversation history and activity log',
    description:
      'History and activity are newest first, `limit` per page, continued with messages_cursor / activity_cursor. Archived contacts stay readable (archived_at is set).',
    params: contactIdParam,
    query: contactDetailQuery,
    ok: { 200: { description: 'The contact', schema: r.contactDetailResponse } },
    errors: [400, 404],
  },
  {
    id: 'archiveContact',
    method: 'delete',
    path: '/api/v1/contacts/:id',
    tag: 'Contacts',
    summary: 'Archive a contact: it leaves the board and every list, its history stays',
    description: `A later create-contact or default-reply for the username starts a new contact. Logged as "archived" (with the user when email is given). ${CANCELLED}`,
    params: contactIdParam,
    query: archiveQuery,
    ok: { 200: { description: 'Archived', schema: r.archiveResponse } },
    errors: [400, 403, 404],
  },
  {
    id: 'updateContact',
    method: 'patch',
    path: '/api/v1/contacts/:id',
    tag: 'Contacts',
    summary: 'Change a contact’s assigned setter',
    description:
      'assigned_email: a member’s email (404 if there is no such user, 403 if not a member), or null to unassign. Analytics count the ' +
      `contact for its current assignee. Logged as "assigned" with the old and new email; the same assignee again changes nothing. ${CANCELLED}`,
    params: contactIdParam,
    body: updateContactSchema,
    ok: { 200: { description: 'The contact after the change', schema: r.updateContactResponse } },
    errors: [400, 403, 404, 413],
  },
  {
    id: 'actOnFollowUp',
    method: 'post',
    path: '/api/v1/contacts/:id/follow-ups',
    tag: 'Follow-ups',
    summary: 'Mark the due follow-up done, or snooze it',
    description:
      'Without snooze_until: done; the next follow-up is scheduled by the organization’s cadence, or the contact leaves the board ' +
      `after the last interval. With snooze_until (a future time): the follow-up moves there. The contact must be on the board. ${CANCELLED}`,
    params: contactIdParam,
    body: followUpActionSchema,
    ok: { 200: { description: 'The contact after the action', schema: r.followUpResponse } },
    errors: [400, 403, 404, 413],
  },
  {
    id: 'getFollowUpBoard',
    method: 'get',
    path: '/api/v1/follow-ups',
    tag: 'Follow-ups',
    summary: 'The follow-up board: overdue, today and upcoming, in the organization’s time zone',
    description:
      'Each group: a count and its first `limit` contacts, soonest first; continue a group with GET /contacts?follow_up=<group>&cursor=<next_cursor>.',
    query: boardQuery,
    ok: { 200: { description: 'The board', schema: r.boardResponse } },
    errors: [400],
  },
  {
    id: 'getPipeline',
    method: 'get',
    path: '/api/v1/pipeline',
    tag: 'Pipeline',
    summary: 'The pipeline as a Kanban: stages in order with counts and their newest contacts',
    description: 'Continue a stage with GET /contacts?stage=<name>&cursor=<next_cursor>.',
    query: boardQuery,
    ok: { 200: { description: 'The stages', schema: r.pipelineResponse } },
    errors: [400],
  },
  ...analyticsOperations(),
  {
    id: 'getOpenApi',
    method: 'get',
    path: '/api/v1/openapi.json',
    tag: 'System',
    summary: 'This document (OpenAPI 3.1), generated from the schemas the server validates with',
    ok: { 200: { description: 'The document', schema: r.openApiResponse } },
    errors: [],
  },
]

/** The three analytics answers, each also as CSV with the same query (docs/analytics.md). */
function analyticsOperations(): Operation[] {
  const range =
    'from/to: calendar days in the organization’s time zone, both included; default the last 30 days up to today. ' +
    'A range over 366 days, a bad date or to before from is a 400. Rates are rounded to 4 decimals and null when their denominator is 0.'
  const csv =
    'The same rows as the JSON answer, then a `total` row; the first column (`row`) says which. UTF-8 with a byte order mark, ' +
    'every field quoted, CRLF; cells starting with = + - @ (or tab, CR) get a leading single quote.'
  const reports = [
    {
      id: 'Setters',
      path: '/api/v1/analytics/setters',
      query: settersQuery,
      schema: r.analyticsSettersResponse,
      summary: 'Outreach, replies, bookings and follow-up consistency per setter (assignee), with an unassigned row and totals',
    },
    {
      id: 'Outreach',
      path: '/api/v1/analytics/outreach',
      query: outreachQuery,
      schema: r.analyticsOutreachResponse,
      summary:
        'The same numbers per outreach reason or A/B label (by=reason|reason_label|message_label), contacts without one in a null row',
    },
    {
      id: 'Daily',
      path: '/api/v1/analytics/daily',
      query: dailyQuery,
      schema: r.analyticsDailyResponse,
      summary: 'The same numbers per calendar day, optionally for one setter (assigned_email)',
    },
  ]
  return reports.flatMap(({ id, path, query, schema, summary }): Operation[] => [
    {
      id: `analytics${id}`,
      method: 'get',
      path,
      tag: 'Analytics',
      summary,
      description: range,
      query,
      ok: { 200: { description: 'The report', schema } },
      errors: [400],
    },
    {
      id: `analytics${id}Csv`,
      method: 'get',
      path: `${path}.csv`,
      tag: 'Analytics',
      summary: `${summary}, as CSV`,
      description: `${range} ${csv}`,
      query,
      ok: { 200: { description: 'CSV', csv: true } },
      errors: [400],
    },
  ])
}
