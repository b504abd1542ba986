import { type Kysely, sql } from 'kysely'
import { serialKey, withoutRowid } from './dialect.ts'

// Outbound webhooks (issue 18): endpoints an organization subscribes, and the outbox of deliveries,
// written in the same transaction as the change that caused them. Plus stored answers for the
// Idempotency-Key header, kept 24 hours.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table webhook_endpoints (
    id text primary key,
    organization_id text not null references organizations (id) on delete cascade,
    url text not null,
    -- A JSON array of event types, or '*' for every event.
    events text not null,
    secret text not null,
    -- After a rotation the old secret still signs until it expires, so receivers can switch over.
    previous_secret text,
    previous_secret_expires_at text,
    allow_private integer not null default 0 check (allow_private in (0, 1)),
    enabled integer not null default 1 check (enabled in (0, 1)),
    disabled_reason text,
    -- Set at the first failed attempt after a success; cleared by the next success.
    failing_since text,
    -- Deliveries waiting to be sent: the outbox's size for this endpoint, kept bounded.
    pending integer not null default 0,
    created_at text not null
  )`.execute(db)
  await sql`create index webhook_endpoints_org on webhook_endpoints (organization_id)`.execute(db)

  await sql`create table webhook_deliveries (
    id text primary key,
    endpoint_id text not null references webhook_endpoints (id) on delete cascade,
    -- Sent as webhook-id, the same on every attempt, so receivers can drop repeats.
    message_id text not null,
    event_type text not null,
    payload text not null,
    status text not null check (status in ('pending', 'delivered', 'failed')),
    attempts integer not null default 0,
    next_attempt_at text,
    last_attempt_at text,
    created_at text not null
  )`.execute(db)
  await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db)
  await sql`create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, created_at)`.execute(db)

  await sql`create table webhook_attempts (
    id ${serialKey(db, 'integer primary key')},
    delivery_id text not null references webhook_deliveries (id) on delete cascade,
    attempted_at text not null,
    status_code integer,
    duration_ms integer not null,
    error text,
    response_body text
  )`.execute(db)
  await sql`create index webhook_attempts_delivery on webhook_attempts (delivery_id, id)`.execute(db)

  await sql`create table idempotency_keys (
    organization_id text not null references organizations (id) on delete cascade,
    key text not null,
    fingerprint text not null,
    status integer not null,
    body text not null,
    created_at text not null,
    primary key (organization_id, key)
  )${withoutRowid(db)}`.execute(db)
  await sql`create index idempotency_keys_created on idempotency_keys (created_at)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table idempotency_keys`.execute(db)
  await sql`drop table webhook_attempts`.execute(db)
  await sql`drop table webhook_deliveries`.execute(db)
  await sql`drop table webhook_endpoints`.execute(db)
}
