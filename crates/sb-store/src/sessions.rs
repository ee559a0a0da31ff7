//! Browser sessions and failed sign-ins. A session is found by the hash of its cookie's
//! token (computed by the caller), which identifies it across accounts, as a token's
//! `jti` does; everything that acts on a user's sessions is scoped by account.

use crate::cells::decode;
use crate::db::DbConn;
use crate::Result;
use sb_domain::{AccountId, UserId};
use sqlx::any::AnyRow;

/// A session as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ip: String,
    pub user_agent: String,
}

const COLUMNS: &str =
    "account_id, user_id, csrf, created_at, last_seen_at, expires_at, ip, user_agent";

/// A row of [`COLUMNS`].
fn from_row(r: &AnyRow) -> Result<Session> {
    decode(r, |c| {
        Ok(Session {
            account_id: AccountId(c.next()?),
            user_id: UserId(c.next()?),
            csrf: c.next()?,
            created_at: c.next()?,
            last_seen_at: c.next()?,
            expires_at: c.next()?,
            ip: c.next()?,
            user_agent: c.next()?,
        })
    })
}

pub async fn insert(c: &mut impl DbConn, token_hash: &str, s: &Session) -> Result<()> {
    sqlx::query(&format!(
        "insert into web_sessions (token_hash, {COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(token_hash)
    .bind(s.account_id.0)
    .bind(s.user_id.0)
    .bind(&s.csrf)
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(s.expires_at)
    .bind(&s.ip)
    .bind(&s.user_agent)
    .execute(c.raw())
    .await?;
    Ok(())
}

/// The session of this token hash, expired or not (the caller decides).
pub async fn get(c: &mut impl DbConn, token_hash: &str) -> Result<Option<Session>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from web_sessions where token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records a request on the session and moves its expiry; false when the session is
/// gone (signed out meanwhile), which this never brings back.
pub async fn touch(
    c: &mut impl DbConn,
    account: AccountId,
    token_hash: &str,
    seen_at: i64,
    expires_at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "update web_sessions set last_seen_at = $1, expires_at = $2 where account_id = $3 and token_hash = $4",
    )
    .bind(seen_at)
    .bind(expires_at)
    .bind(account.0)
    .bind(token_hash)
    .execute(c.raw())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends one session; false when there was none.
pub async fn delete(c: &mut impl DbConn, token_hash: &str) -> Result<bool> {
    let done = sqlx::query("delete from web_sessions where token_hash = $1")
        .bind(token_hash)
        .execute(c.raw())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session of a user but the one of `keep` (a token hash; `None`: all of
/// them). Returns how many ended.
pub async fn delete_for_user(
    c: &mut impl DbConn,
    account: AccountId,
    user: UserId,
    keep: Option<&str>,
) -> Result<u64> {
    let done = match keep {
        Some(keep) => sqlx::query(
            "delete from web_sessions where account_id = $1 and user_id = $2 and token_hash <> $3",
        )
        .bind(account.0)
        .bind(user.0)
        .bind(keep),
        None => sqlx::query("delete from web_sessions where account_id = $1 and user_id = $2")
            .bind(account.0)
            .bind(user.0),
    }
    .execute(c.raw())
    .await?;
    Ok(done.rows_affected())
}

/// The sessions of a user, oldest first (for a "where am I signed in" list).
pub async fn list_for_user(
    c: &mut impl DbConn,
    account: AccountId,
    user: UserId,
) -> Result<Vec<Session>> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from web_sessions where account_id = $1 and user_id = $2 order by created_at, token_hash"
    ))
    .bind(account.0)
    .bind(user.0)
    .fetch_all(c.raw())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Removes every session that expired by `now`, in every account: expired sessions are
/// refused whether or not their rows remain, so this only keeps the table small.
pub async fn prune(c: &mut impl DbConn, now: i64) -> Result<u64> {
    let done = sqlx::query("delete from web_sessions where expires_at <= $1")
        .bind(now)
        .execute(c.raw())
        .await?;
    Ok(done.rows_affected())
}

/// Records one failed sign-in under each key, and drops every failure at or before
/// `forget_before` (any key): those are outside the throttle's window, and pruning on
/// each write keeps the table as small as the failures of one window.
pub async fn record_failure(
    c: &mut impl DbConn,
    keys: &[&str],
    at: i64,
    forget_before: i64,
) -> Result<()> {
    sqlx::query("delete from login_failures where at <= $1")
        .bind(forget_before)
        .execute(c.raw())
        .await?;
    for key in keys {
        sqlx::query("insert into login_failures (key, at) values ($1, $2)")
            .bind(*key)
            .bind(at)
            .execute(c.raw())
            .await?;
    }
    Ok(())
}

/// The times of the `limit` latest failures under `key` after `since`, newest first.
pub async fn recent_failures(
    c: &mut impl DbConn,
    key: &str,
    since: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "select at from login_failures where key = $1 and at > $2 order by at desc limit $3",
    )
    .bind(key)
    .bind(since)
    .bind(limit)
    .fetch_all(c.raw())
    .await?;
    rows.iter().map(|r| decode(r, |c| c.next())).collect()
}

/// Forgets every failure under `key` (a successful sign-in for that e-mail).
pub async fn clear_failures(c: &mut impl DbConn, key: &str) -> Result<()> {
    sqlx::query("delete from login_failures where key = $1")
        .bind(key)
        .execute(c.raw())
        .await?;
    Ok(())
}
