-- Secrets at rest: `webhook_token` now holds a keyed hash of the webhook URL's token (what
-- an incoming webhook is looked up by, through the existing unique index), and this column
-- the token encrypted with the configured key, for showing the URL to admins. Rows from
-- before are sealed by the application at start (it has the key; SQL has not).
alter table integrations add column webhook_token_sealed text not null default '';
