-- Telephony and the feed it writes: PBX integrations, extension bindings, blacklist, the
-- inbound webhook inbox, call sessions, the durable job queue, notes, tasks and events.
-- Times are Unix milliseconds UTC; booleans are 0/1; JSON is TEXT and never queried.
-- Unique keys lead with account_id so they stay valid if tables are ever distributed by it.

create table integrations (
    id integer primary key,
    account_id integer not null references accounts (id),
    provider text not null,
    name text not null,
    settings text not null,
    webhook_token text not null,
    default_user_id integer,
    is_active integer not null,
    created_at integer not null,
    updated_at integer not null
);
-- Webhooks arrive before we know the account: the token alone finds the integration.
create unique index integrations_webhook_token on integrations (webhook_token);
create index integrations_account on integrations (account_id, provider);

-- One user per extension and one extension per user, per integration.
create table integration_extensions (
    account_id integer not null,
    integration_id integer not null references integrations (id),
    extension text not null,
    user_id integer not null,
    created_at integer not null,
    primary key (account_id, integration_id, extension)
);
create unique index integration_extensions_by_user on integration_extensions (account_id, integration_id, user_id);

-- Rejected numbers, keyed like the phone index: reversed digits, so a caller id without
-- country code still matches by suffix.
create table blacklist (
    id integer primary key,
    account_id integer not null references accounts (id),
    raw text not null,
    e164 text,
    rev_digits text not null,
    note text not null,
    created_by integer not null,
    created_at integer not null
);
create unique index blacklist_number on blacklist (account_id, rev_digits);

-- Every inbound provider event, stored before it is processed; the natural key makes a
-- redelivery a no-op.
create table webhook_inbox (
    id integer primary key,
    account_id integer not null,
    integration_id integer not null,
    dedup_key text not null,
    event text not null,
    provider_call_id text,
    payload text not null,
    received_at integer not null,
    processed_at integer,
    error text
);
create unique index webhook_inbox_dedup on webhook_inbox (account_id, integration_id, dedup_key);
create index webhook_inbox_call on webhook_inbox (account_id, integration_id, provider_call_id);
create index webhook_inbox_pending on webhook_inbox (processed_at, received_at);

create table call_sessions (
    id integer primary key,
    account_id integer not null,
    integration_id integer not null,
    provider_call_id text not null,
    direction text not null,
    state text not null,
    customer_phone text,
    customer_e164 text,
    our_number text,
    extension text,
    extension_final integer not null,
    user_id integer,
    disposition text,
    duration_s integer,
    started_at integer,
    answered_at integer,
    ended_at integer,
    recording_id text,
    recording_path text,
    recording_status text,
    contact_id integer,
    company_id integer,
    lead_id integer,
    note_id integer,
    caller_name text,
    created_at integer not null,
    updated_at integer not null
);
create unique index call_sessions_provider_id on call_sessions (account_id, integration_id, provider_call_id);
create index call_sessions_created on call_sessions (account_id, created_at);
create index call_sessions_customer on call_sessions (account_id, customer_e164, created_at);
create index call_sessions_user on call_sessions (account_id, user_id, created_at);
create index call_sessions_state on call_sessions (account_id, state, created_at);

-- Durable work queue. A row is due when done_at is null, run_at has passed and no live
-- lease holds it; a lease that expires (worker died) makes it claimable again.
create table jobs (
    id integer primary key,
    account_id integer not null,
    kind text not null,
    payload text not null,
    dedup_key text,
    run_at integer not null,
    attempts integer not null,
    max_attempts integer not null,
    last_error text,
    locked_until integer,
    locked_by text,
    done_at integer,
    is_dead integer not null,
    created_at integer not null
);
create index jobs_due on jobs (done_at, run_at);
-- A null dedup_key never conflicts (nulls are distinct on both backends).
create unique index jobs_dedup on jobs (account_id, kind, dedup_key);

create table notes (
    id integer primary key,
    account_id integer not null references accounts (id),
    entity_type text not null,
    entity_id integer not null,
    note_type text not null,
    params text not null,
    created_by integer not null,
    updated_by integer not null,
    responsible_user_id integer,
    created_at integer not null,
    updated_at integer not null,
    is_pinned integer not null
);
create index notes_entity on notes (account_id, entity_type, entity_id, created_at);
create index notes_type on notes (account_id, entity_type, note_type, created_at);
create index notes_updated on notes (account_id, updated_at);

create table tasks (
    id integer primary key,
    account_id integer not null references accounts (id),
    responsible_user_id integer not null,
    entity_type text,
    entity_id integer,
    task_type_id integer not null,
    text text not null,
    complete_till integer not null,
    is_completed integer not null,
    result_text text,
    duration integer not null,
    phone_e164 text,
    created_by integer not null,
    updated_by integer not null,
    created_at integer not null,
    updated_at integer not null
);
create index tasks_responsible on tasks (account_id, responsible_user_id, is_completed, complete_till);
create index tasks_entity on tasks (account_id, entity_type, entity_id);
create index tasks_complete_till on tasks (account_id, complete_till);
create index tasks_phone on tasks (account_id, phone_e164, created_at);
create index tasks_updated on tasks (account_id, updated_at);

-- Append-only activity log; ids come from the application's increasing generator and
-- give the order.
create table events (
    id integer primary key,
    account_id integer not null references accounts (id),
    type text not null,
    entity_type text not null,
    entity_id integer not null,
    created_by integer not null,
    created_at integer not null,
    value_before text not null,
    value_after text not null
);
create index events_account on events (account_id, id);
create index events_entity on events (account_id, entity_type, entity_id, id);
create index events_type on events (account_id, type, id);
create index events_created on events (account_id, created_at);
