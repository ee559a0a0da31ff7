//! Integration problems for the admins' notification centre (V9): one row per
//! (account, integration, code), bumped by an upsert, so a flood of one problem stays
//! one row. A dismissed row comes back, counted from then, when the problem recurs.

use crate::cells::{decode, Cells};
use crate::db::DbConn;
use crate::{Result, StoreError};
use sb_domain::{AccountId, IntegrationId};
use sqlx::Row;

/// An open (not dismissed) problem, with its integration's name.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationAlert {
    pub account_id: AccountId,
    pub integration_id: IntegrationId,
    /// Integration name ("" when the integration is gone).
    pub integration_name: String,
    pub code: String,
    pub occurrences: i64,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    /// What the last occurrence said (an address, a call, the PBX's answer).
    pub detail: String,
}

/// Occurrences of one problem to add: `count` of them between `first_at` and `last_at`.
#[derive(Debug, Clone)]
pub struct Bump<'a> {
    pub account_id: AccountId,
    pub integration_id: IntegrationId,
    pub code: &'a str,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
    pub detail: &'a str,
}

const COLUMNS: &str = "a.account_id, a.integration_id, coalesce(i.name, ''), a.code, \
     a.occurrences, a.first_seen_at, a.last_seen_at, a.detail";

fn from_row<R: Cells>(r: &R) -> Result<IntegrationAlert> {
    decode(r, |c| {
        Ok(IntegrationAlert {
            account_id: AccountId(c.next()?),
            integration_id: IntegrationId(c.next()?),
            integration_name: c.next()?,
            code: c.next()?,
            occurrences: c.next()?,
            first_seen_at: c.next()?,
            last_seen_at: c.next()?,
            detail: c.next()?,
        })
    })
}

/// Adds occurrences: a new row, or the open row counted on, or a dismissed row opened
/// again with only these occurrences (the problem is back, counted from now).
pub async fn bump(c: &mut impl DbConn, b: &Bump<'_>) -> Result<()> {
    sqlx::query(
        "insert into integration_alerts (account_id, integration_id, code, occurrences, \
         first_seen_at, last_seen_at, detail, dismissed_at) \
         values ($1, $2, $3, $4, $5, $6, $7, null) \
         on conflict (account_id, integration_id, code) do update set \
         occurrences = case when integration_alerts.dismissed_at is null \
           then integration_alerts.occurrences + excluded.occurrences else excluded.occurrences end, \
         first_seen_at = case when integration_alerts.dismissed_at is null \
           then integration_alerts.first_seen_at else excluded.first_seen_at end, \
         last_seen_at = excluded.last_seen_at, detail = excluded.detail, dismissed_at = null",
    )
    .bind(b.account_id.0)
    .bind(b.integration_id.0)
    .bind(b.code)
    .bind(b.count)
    .bind(b.first_at)
    .bind(b.last_at)
    .bind(b.detail)
    .execute(c.raw())
    .await?;
    Ok(())
}

/// The account's open problems, the latest first.
pub async fn list_open(c: &mut impl DbConn, account: AccountId) -> Result<Vec<IntegrationAlert>> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from integration_alerts a left join integrations i \
         on i.account_id = a.account_id and i.id = a.integration_id \
         where a.account_id = $1 and a.dismissed_at is null \
         order by a.last_seen_at desc, a.integration_id, a.code limit 200"
    ))
    .bind(account.0)
    .fetch_all(c.raw())
    .await?;
    rows.iter().map(from_row).collect()
}

/// How many problems are open: the bell's badge, read on every admin's page, so a
/// range of the primary key (an account has a handful of rows).
pub async fn count_open(c: &mut impl DbConn, account: AccountId) -> Result<i64> {
    let row = sqlx::query(
        "select count(*) from integration_alerts where account_id = $1 and dismissed_at is null",
    )
    .bind(account.0)
    .fetch_one(c.raw())
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Dismisses an open problem; `NotFound` when there is none open.
pub async fn dismiss(
    c: &mut impl DbConn,
    account: AccountId,
    integration: IntegrationId,
    code: &str,
    at: i64,
) -> Result<()> {
    let done = sqlx::query(
        "update integration_alerts set dismissed_at = $4 \
         where account_id = $1 and integration_id = $2 and code = $3 and dismissed_at is null",
    )
    .bind(account.0)
    .bind(integration.0)
    .bind(code)
    .bind(at)
    .execute(c.raw())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
