-- Integration problems for the admins' notification centre (V9): one row per
-- integration and kind of problem, bumped on every occurrence (refused webhooks, an
-- unreachable PBX, recordings given up, auto-create failures). A dismissed row
-- (dismissed_at set) comes back, counted afresh, when the problem happens again.
-- The bell's badge counts an account's open rows through the primary key's prefix.
create table integration_alerts (
    account_id INTEGER not null,
    integration_id INTEGER not null,
    code text not null,
    occurrences INTEGER not null,
    first_seen_at INTEGER not null,
    last_seen_at INTEGER not null,
    detail text not null,
    dismissed_at INTEGER,
    primary key (account_id, integration_id, code)
);
