import { type Kysely, sql } from 'kysely'
import { engineOf } from './dialect.ts'

// Each webhook endpoint's number of waiting deliveries (`pending`, the outbox's bounded and shown
// size) kept by triggers on the outbox, like the stages' contact counts: every way a delivery starts
// or stops waiting is an insert, an update of its status or a delete, so the count cannot drift
// whichever code path does it. Before, the request raised it with a statement of its own after
// writing its deliveries, and the worker and a manual retry lowered and raised it by hand.

export async function up(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === 'postgres') await postgresTriggers(db)
  else await sqliteTriggers(db)
  await sql`update webhook_endpoints set pending = (
      select count(*) from webhook_deliveries d where d.endpoint_id = webhook_endpoints.id and d.status = 'pending')`.execute(db)
}

async function sqliteTriggers(db: Kysely<any>) {
  await sql`create trigger webhook_deliveries_pending_insert after insert on webhook_deliveries
    when new.status = 'pending'
    begin
      update webhook_endpoints set pending = pending + 1 where id = new.endpoint_id;
    end`.execute(db)
  await sql`create trigger webhook_deliveries_pending_delete after delete on webhook_deliveries
    when old.status = 'pending'
    begin
      update webhook_endpoints set pending = pending - 1 where id = old.endpoint_id;
    end`.execute(db)
  await sql`create trigger webhook_deliveries_pending_update after update of status on webhook_deliveries
    when (old.status = 'pending') <> (new.status = 'pending')
    begin
      update webhook_endpoints set pending = pending + (case when new.status = 'pending' then 1 else -1 end) where id = new.endpoint_id;
    end`.execute(db)
}

/** The same counting in PostgreSQL's form: one trigger function, fired per row. */
async function postgresTriggers(db: Kysely<any>) {
  await sql`create function webhook_deliveries_pending() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' and old.status = 'pending' then
        update webhook_endpoints set pending = pending - 1 where id = old.endpoint_id;
      end if;
      if tg_op <> 'DELETE' and new.status = 'pending' then
        update webhook_endpoints set pending = pending + 1 where id = new.endpoint_id;
      end if;
      return null;
    end $$`.execute(db)
  await sql`create trigger webhook_deliveries_pending_insert_delete after insert or delete on webhook_deliveries
    for each row execute function webhook_deliveries_pending()`.execute(db)
  await sql`create trigger webhook_deliveries_pending_update after update of status on webhook_deliveries
    for each row when ((old.status = 'pending') <> (new.status = 'pending'))
    execute function webhook_deliveries_pending()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === 'postgres') {
    for (const name of ['webhook_deliveries_pending_update', 'webhook_deliveries_pending_insert_delete'])
      await sql.raw(`drop trigger if exists ${name} on webhook_deliveries`).execute(db)
    await sql`drop function if exists webhook_deliveries_pending()`.execute(db)
  } else {
    for (const name of ['webhook_deliveries_pending_update', 'webhook_deliveries_pending_delete', 'webhook_deliveries_pending_insert'])
      await sql.raw(`drop trigger if exists ${name}`).execute(db)
  }
}
