//! Access tokens (API and OAuth), OAuth clients, authorization codes and refresh tokens.
//! Secrets are stored only as hashes computed by the caller.

use crate::cells::decode;
use crate::db::DbConn;
use crate::Result;
use sb_domain::{AccountId, UserId};
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken {
    pub jti: String,
    pub account_id: AccountId,
    pub user_id: UserId,
    /// "api" (long-lived, made by an admin) or "oauth".
    pub kind: String,
    pub name: Option<String>,
    pub client_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// A row of [`TOKEN_COLUMNS`].
fn token_from_row(r: &AnyRow) -> Result<AccessToken> {
    decode(r, |c| {
        Ok(AccessToken {
            jti: c.next()?,
            account_id: AccountId(c.next()?),
            user_id: UserId(c.next()?),
            kind: c.next()?,
            name: c.next()?,
            client_id: c.next()?,
            created_at: c.next()?,
            expires_at: c.next()?,
            revoked_at: c.next()?,
        })
    })
}

const TOKEN_COLUMNS: &str =
    "jti, account_id, user_id, kind, name, client_id, created_at, expires_at, revoked_at";

pub async fn insert_access(c: &mut impl DbConn, t: &AccessToken) -> Result<()> {
    sqlx::query("insert into access_tokens (jti, account_id, user_id, kind, name, client_id, created_at, expires_at, revoked_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(&t.jti)
        .bind(t.account_id.0)
        .bind(t.user_id.0)
        .bind(&t.kind)
        .bind(t.name.clone())
        .bind(t.client_id.clone())
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(t.revoked_at)
        .execute(c.raw())
        .await?;
    Ok(())
}

pub async fn get_access(c: &mut impl DbConn, jti: &str) -> Result<Option<AccessToken>> {
    let row = sqlx::query(&format!(
        "select {TOKEN_COLUMNS} from access_tokens where jti = $1"
    ))
    .bind(jti)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(token_from_row).transpose()
}

pub async fn list_api_tokens(c: &mut impl DbConn, account: AccountId) -> Result<Vec<AccessToken>> {
    let rows = sqlx::query(&format!("select {TOKEN_COLUMNS} from access_tokens where account_id = $1 and kind = 'api' order by created_at"))
        .bind(account.0)
        .fetch_all(c.raw())
        .await?;
    rows.iter().map(token_from_row).collect()
}

/// Revokes a token of the account; false when there is no such live token.
pub async fn revoke_access(
    c: &mut impl DbConn,
    account: AccountId,
    jti: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query("update access_tokens set revoked_at = $1 where account_id = $2 and jti = $3 and revoked_at is null").bind(now).bind(account.0).bind(jti).execute(c.raw()).await?;
    Ok(r.rows_affected() > 0)
}

#[derive(Debug, Clone, PartialEq)]
pub struct OAuthClient {
    pub client_id: String,
    pub account_id: AccountId,
    pub name: String,
    pub secret_hash: String,
    pub redirect_uri: String,
    pub created_by: UserId,
    pub created_at: i64,
}

pub async fn insert_client(c: &mut impl DbConn, cl: &OAuthClient) -> Result<()> {
    sqlx::query("insert into oauth_clients (client_id, account_id, name, secret_hash, redirect_uri, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&cl.client_id)
        .bind(cl.account_id.0)
        .bind(&cl.name)
        .bind(&cl.secret_hash)
        .bind(&cl.redirect_uri)
        .bind(cl.created_by.0)
        .bind(cl.created_at)
        .execute(c.raw())
        .await?;
    Ok(())
}

pub async fn get_client(c: &mut impl DbConn, client_id: &str) -> Result<Option<OAuthClient>> {
    let row = sqlx::query("select client_id, account_id, name, secret_hash, redirect_uri, created_by, created_at from oauth_clients where client_id = $1")
        .bind(client_id)
        .fetch_optional(c.raw())
        .await?;
    row.as_ref()
        .map(|r| {
            decode(r, |c| {
                Ok(OAuthClient {
                    client_id: c.next()?,
                    account_id: AccountId(c.next()?),
                    name: c.next()?,
                    secret_hash: c.next()?,
                    redirect_uri: c.next()?,
                    created_by: UserId(c.next()?),
                    created_at: c.next()?,
                })
            })
        })
        .transpose()
}

/// A grant (authorization code or refresh token) as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub account_id: AccountId,
    pub client_id: String,
    pub user_id: UserId,
    pub redirect_uri: String,
}

pub async fn insert_code(
    c: &mut impl DbConn,
    code_hash: &str,
    g: &Grant,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("insert into oauth_codes (code_hash, account_id, client_id, user_id, redirect_uri, expires_at, used_at) values ($1, $2, $3, $4, $5, $6, null)")
        .bind(code_hash)
        .bind(g.account_id.0)
        .bind(&g.client_id)
        .bind(g.user_id.0)
        .bind(&g.redirect_uri)
        .bind(expires_at)
        .execute(c.raw())
        .await?;
    Ok(())
}

/// Consumes a live code exactly once (a second use finds nothing).
pub async fn take_code(c: &mut impl DbConn, code_hash: &str, now: i64) -> Result<Option<Grant>> {
    let r = sqlx::query("update oauth_codes set used_at = $1 where code_hash = $2 and used_at is null and expires_at > $1").bind(now).bind(code_hash).execute(c.raw()).await?;
    if r.rows_affected() == 0 {
        return Ok(None);
    }
    let row = sqlx::query(
        "select account_id, client_id, user_id, redirect_uri from oauth_codes where code_hash = $1",
    )
    .bind(code_hash)
    .fetch_one(c.raw())
    .await?;
    grant(&row).map(Some)
}

pub async fn insert_refresh(
    c: &mut impl DbConn,
    token_hash: &str,
    g: &Grant,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("insert into oauth_refresh_tokens (token_hash, account_id, client_id, user_id, created_at, expires_at, revoked_at) values ($1, $2, $3, $4, $5, $6, null)")
        .bind(token_hash)
        .bind(g.account_id.0)
        .bind(&g.client_id)
        .bind(g.user_id.0)
        .bind(now)
        .bind(expires_at)
        .execute(c.raw())
        .await?;
    Ok(())
}

/// Retires a live refresh token (rotation: each one works once).
pub async fn take_refresh(
    c: &mut impl DbConn,
    token_hash: &str,
    now: i64,
) -> Result<Option<Grant>> {
    let r = sqlx::query("update oauth_refresh_tokens set revoked_at = $1 where token_hash = $2 and revoked_at is null and expires_at > $1").bind(now).bind(token_hash).execute(c.raw()).await?;
    if r.rows_affected() == 0 {
        return Ok(None);
    }
    let row = sqlx::query("select t.account_id, t.client_id, t.user_id, c.redirect_uri from oauth_refresh_tokens t join oauth_clients c on c.client_id = t.client_id where t.token_hash = $1")
        .bind(token_hash)
        .fetch_one(c.raw())
        .await?;
    grant(&row).map(Some)
}

/// A row of `account_id, client_id, user_id, redirect_uri`.
fn grant(r: &AnyRow) -> Result<Grant> {
    decode(r, |c| {
        Ok(Grant {
            account_id: AccountId(c.next()?),
            client_id: c.next()?,
            user_id: UserId(c.next()?),
            redirect_uri: c.next()?,
        })
    })
}
