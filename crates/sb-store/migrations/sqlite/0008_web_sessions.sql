-- Browser sessions (C2). The cookie carries a random token; only its SHA-256 is kept,
-- so a copy of the database does not sign anybody in. `expires_at` is the earlier of
-- the idle limit (slid forward as the browser is used) and the absolute one (fixed at
-- sign-in), so one comparison tells whether a session still holds.
create table web_sessions (
    token_hash text primary key,
    account_id integer not null references accounts (id),
    user_id integer not null,
    csrf text not null,
    created_at integer not null,
    last_seen_at integer not null,
    expires_at integer not null,
    ip text not null,
    user_agent text not null
);
create index web_sessions_user on web_sessions (account_id, user_id);
-- Expired sessions are pruned by a range delete at each sign-in.
create index web_sessions_expires on web_sessions (expires_at);

-- Failed sign-ins, one row per failure and key (`email:<address>`, `ip:<address>`), for
-- throttling. Like instance_settings and id_nodes it has no account_id: a failure is
-- counted before any account is known (the e-mail may belong to none), and e-mails are
-- unique in the instance. Rows older than the throttle's window are pruned as new
-- failures are recorded (hence the index on `at`).
create table login_failures (
    key text not null,
    at integer not null
);
create index login_failures_key on login_failures (key, at);
create index login_failures_at on login_failures (at);
