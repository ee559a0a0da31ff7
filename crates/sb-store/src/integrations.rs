//! PBX integrations and the extension-to-user bindings of each.

use crate::cells::decode;
use crate::db::DbConn;
use crate::{flag, Result, StoreError};
use sb_domain::integrations::{ExtensionBinding, Integration};
use sb_domain::{AccountId, IntegrationId, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "id, account_id, provider, name, settings, webhook_token, webhook_token_sealed, default_user_id, is_active, created_at, updated_at";

/// A row of [`COLUMNS`].
fn from_row(r: &AnyRow) -> Result<Integration> {
    decode(r, |c| {
        let (id, account_id, provider, name) = (c.next()?, c.next()?, c.next()?, c.next()?);
        let settings: String = c.next()?;
        Ok(Integration {
            id: IntegrationId(id),
            account_id: AccountId(account_id),
            provider,
            name,
            // Text that is not JSON comes back as null, which the service reports as
            // unreadable settings on this one integration rather than failing every read.
            settings: serde_json::from_str(&settings).unwrap_or(serde_json::Value::Null),
            webhook_token: c.next()?,
            webhook_token_sealed: c.next()?,
            default_user_id: c.next::<Option<i64>>()?.map(UserId),
            is_active: c.flag()?,
            created_at: c.next()?,
            updated_at: c.next()?,
        })
    })
}

fn settings_json(i: &Integration) -> Result<String> {
    serde_json::to_string(&i.settings).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Inserts an integration; a webhook token already in use is `Conflict { webhook_token }`.
pub async fn insert(c: &mut impl DbConn, i: &Integration) -> Result<()> {
    sqlx::query(&format!(
        "insert into integrations ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(i.id.0)
    .bind(i.account_id.0)
    .bind(&i.provider)
    .bind(&i.name)
    .bind(settings_json(i)?)
    .bind(&i.webhook_token)
    .bind(&i.webhook_token_sealed)
    .bind(i.default_user_id.map(|u| u.0))
    .bind(flag(i.is_active))
    .bind(i.created_at)
    .bind(i.updated_at)
    .execute(c.raw())
    .await
    .map_err(|e| StoreError::conflict_on(e, "webhook_token"))?;
    Ok(())
}

/// Rewrites name, settings, token (both forms), default user and the active switch.
pub async fn update(c: &mut impl DbConn, i: &Integration) -> Result<()> {
    let done = sqlx::query(
        "update integrations set name = $1, settings = $2, webhook_token = $3, webhook_token_sealed = $4, default_user_id = $5, is_active = $6, updated_at = $7 \
         where account_id = $8 and id = $9",
    )
    .bind(&i.name)
    .bind(settings_json(i)?)
    .bind(&i.webhook_token)
    .bind(&i.webhook_token_sealed)
    .bind(i.default_user_id.map(|u| u.0))
    .bind(flag(i.is_active))
    .bind(i.updated_at)
    .bind(i.account_id.0)
    .bind(i.id.0)
    .execute(c.raw())
    .await
    .map_err(|e| StoreError::conflict_on(e, "webhook_token"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(
    c: &mut impl DbConn,
    account: AccountId,
    id: IntegrationId,
) -> Result<Option<Integration>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from integrations where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The integration a webhook URL names. Not account-scoped: the token is what tells the
/// account. Inactive integrations are returned too; the caller decides.
pub async fn by_webhook_token(c: &mut impl DbConn, token: &str) -> Result<Option<Integration>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from integrations where webhook_token = $1"
    ))
    .bind(token)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account's integrations, optionally of one provider, oldest first.
pub async fn list(
    c: &mut impl DbConn,
    account: AccountId,
    provider: Option<&str>,
) -> Result<Vec<Integration>> {
    let rows = match provider {
        Some(p) => {
            sqlx::query(&format!("select {COLUMNS} from integrations where account_id = $1 and provider = $2 order by id"))
                .bind(account.0)
                .bind(p)
                .fetch_all(c.raw())
                .await?
        }
        None => sqlx::query(&format!("select {COLUMNS} from integrations where account_id = $1 order by id")).bind(account.0).fetch_all(c.raw()).await?,
    };
    rows.iter().map(from_row).collect()
}

/// Every integration of every account, for maintenance at start (sealing secrets stored
/// before they were encrypted). Never on a request path: requests are account-scoped.
pub async fn all_accounts(c: &mut impl DbConn) -> Result<Vec<Integration>> {
    let rows = sqlx::query(&format!("select {COLUMNS} from integrations order by id"))
        .fetch_all(c.raw())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Binds an extension to a user. `Conflict { extension }` when the extension belongs to
/// someone (even the same user), `Conflict { user_id }` when the user already has one.
pub async fn bind_extension(c: &mut impl DbConn, b: &ExtensionBinding) -> Result<()> {
    sqlx::query("insert into integration_extensions (account_id, integration_id, extension, user_id, created_at) values ($1, $2, $3, $4, $5)")
        .bind(b.account_id.0)
        .bind(b.integration_id.0)
        .bind(&b.extension)
        .bind(b.user_id.0)
        .bind(b.created_at)
        .execute(c.raw())
        .await
        .map_err(binding_conflict)?;
    Ok(())
}

/// Which unique key a failed binding hit. PostgreSQL names the index
/// (`integration_extensions_by_user`), SQLite the columns (`..., integration_extensions.user_id`).
fn binding_conflict(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            let on_user = db.constraint().is_some_and(|c| c.contains("by_user"))
                || db.message().contains("user_id");
            return StoreError::Conflict {
                field: if on_user { "user_id" } else { "extension" }.to_string(),
            };
        }
    }
    StoreError::Db(e)
}

/// Gives `user` exactly `extension` (or none): drops the user's current binding, then
/// binds. `Conflict { extension }` when another user holds that extension. Run in a
/// transaction so a conflict leaves the old binding in place.
pub async fn set_user_extension(
    c: &mut impl DbConn,
    account: AccountId,
    integration: IntegrationId,
    user: UserId,
    extension: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query("delete from integration_extensions where account_id = $1 and integration_id = $2 and user_id = $3")
        .bind(account.0)
        .bind(integration.0)
        .bind(user.0)
        .execute(c.raw())
        .await?;
    if let Some(ext) = extension {
        bind_extension(
            c,
            &ExtensionBinding {
                account_id: account,
                integration_id: integration,
                extension: ext.to_string(),
                user_id: user,
                created_at: now,
            },
        )
        .await?;
    }
    Ok(())
}

/// Frees an extension. Returns whether it was bound.
pub async fn unbind_extension(
    c: &mut impl DbConn,
    account: AccountId,
    integration: IntegrationId,
    extension: &str,
) -> Result<bool> {
    let done = sqlx::query("delete from integration_extensions where account_id = $1 and integration_id = $2 and extension = $3")
        .bind(account.0)
        .bind(integration.0)
        .bind(extension)
        .execute(c.raw())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A row of [`BINDING_COLUMNS`].
fn binding_from_row(r: &AnyRow) -> Result<ExtensionBinding> {
    decode(r, |c| {
        Ok(ExtensionBinding {
            account_id: AccountId(c.next()?),
            integration_id: IntegrationId(c.next()?),
            extension: c.next()?,
            user_id: UserId(c.next()?),
            created_at: c.next()?,
        })
    })
}

const BINDING_COLUMNS: &str = "account_id, integration_id, extension, user_id, created_at";

/// The bindings of an integration, by extension.
pub async fn list_extensions(
    c: &mut impl DbConn,
    account: AccountId,
    integration: IntegrationId,
) -> Result<Vec<ExtensionBinding>> {
    let rows = sqlx::query(&format!("select {BINDING_COLUMNS} from integration_extensions where account_id = $1 and integration_id = $2 order by extension"))
        .bind(account.0)
        .bind(integration.0)
        .fetch_all(c.raw())
        .await?;
    rows.iter().map(binding_from_row).collect()
}

/// Who answers at `extension`.
pub async fn user_for_extension(
    c: &mut impl DbConn,
    account: AccountId,
    integration: IntegrationId,
    extension: &str,
) -> Result<Option<UserId>> {
    let row = sqlx::query("select user_id from integration_extensions where account_id = $1 and integration_id = $2 and extension = $3")
        .bind(account.0)
        .bind(integration.0)
        .bind(extension)
        .fetch_optional(c.raw())
        .await?;
    Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?.map(UserId))
}

/// The extension to ring for `user` (routing to the owner).
pub async fn extension_for_user(
    c: &mut impl DbConn,
    account: AccountId,
    integration: IntegrationId,
    user: UserId,
) -> Result<Option<String>> {
    let row = sqlx::query("select extension from integration_extensions where account_id = $1 and integration_id = $2 and user_id = $3")
        .bind(account.0)
        .bind(integration.0)
        .bind(user.0)
        .fetch_optional(c.raw())
        .await?;
    Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
}
