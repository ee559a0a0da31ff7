//! Accounts (tenants) and instance settings.

use crate::cells::decode;
use crate::db::DbConn;
use crate::Result;
use sb_domain::entities::Account;
use sb_domain::AccountId;
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "id, name, subdomain, country, currency, timezone, created_at, updated_at";

/// A row of [`COLUMNS`].
fn from_row(r: &AnyRow) -> Result<Account> {
    decode(r, |c| {
        Ok(Account {
            id: AccountId(c.next()?),
            name: c.next()?,
            subdomain: c.next()?,
            country: c.next()?,
            currency: c.next()?,
            timezone: c.next()?,
            created_at: c.next()?,
            updated_at: c.next()?,
        })
    })
}

pub async fn insert(c: &mut impl DbConn, a: &Account) -> Result<()> {
    sqlx::query("insert into accounts (id, name, subdomain, country, currency, timezone, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(a.id.0)
        .bind(&a.name)
        .bind(&a.subdomain)
        .bind(&a.country)
        .bind(&a.currency)
        .bind(&a.timezone)
        .bind(a.created_at)
        .bind(a.updated_at)
        .execute(c.raw())
        .await
        .map_err(|e| crate::StoreError::conflict_on(e, "subdomain"))?;
    Ok(())
}

pub async fn get(c: &mut impl DbConn, id: AccountId) -> Result<Option<Account>> {
    let row = sqlx::query(&format!("select {COLUMNS} from accounts where id = $1"))
        .bind(id.0)
        .fetch_optional(c.raw())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The oldest account: the single-tenant default.
pub async fn first(c: &mut impl DbConn) -> Result<Option<Account>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from accounts order by id limit 1"
    ))
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get_setting(c: &mut impl DbConn, key: &str) -> Result<Option<String>> {
    let row = sqlx::query("select value from instance_settings where key = $1")
        .bind(key)
        .fetch_optional(c.raw())
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

/// Stores `value` unless the key is already set; returns the value in force.
pub async fn init_setting(c: &mut impl DbConn, key: &str, value: &str) -> Result<String> {
    sqlx::query(
        "insert into instance_settings (key, value) values ($1, $2) on conflict (key) do nothing",
    )
    .bind(key)
    .bind(value)
    .execute(c.raw())
    .await?;
    get_setting(c, key)
        .await?
        .ok_or(crate::StoreError::NotFound)
}
