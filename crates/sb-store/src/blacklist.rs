//! Numbers whose incoming calls are rejected. Looked up on every call start, so the
//! lookup is an index range on reversed digits (as caller ID), never a scan.

use crate::cells::{decode, Cells};
use crate::db::DbConn;
use crate::sql::Sql;
use crate::{Result, StoreError};
use sb_domain::integrations::BlacklistEntry;
use sb_domain::{AccountId, Phone, UserId};
use sqlx::Row;

const COLUMNS: &str = "id, account_id, raw, e164, rev_digits, note, created_by, created_at";

/// A row of [`COLUMNS`], from either driver (the fast lane checks the blacklist).
fn from_row<R: Cells>(r: &R) -> Result<BlacklistEntry> {
    decode(r, |c| {
        Ok(BlacklistEntry {
            id: c.next()?,
            account_id: AccountId(c.next()?),
            phone: Phone {
                raw: c.next()?,
                e164: c.next()?,
                digits: c.next::<String>()?.chars().rev().collect(),
            },
            note: c.next()?,
            created_by: UserId(c.next()?),
            created_at: c.next()?,
        })
    })
}

/// Adds a number. The same digits twice in an account is `Conflict { phone }`.
pub async fn add(c: &mut impl DbConn, e: &BlacklistEntry) -> Result<()> {
    sqlx::query(&format!(
        "insert into blacklist ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(e.id)
    .bind(e.account_id.0)
    .bind(&e.phone.raw)
    .bind(e.phone.e164.clone())
    .bind(e.phone.reversed_digits())
    .bind(&e.note)
    .bind(e.created_by.0)
    .bind(e.created_at)
    .execute(c.raw())
    .await
    .map_err(|err| StoreError::conflict_on(err, "phone"))?;
    Ok(())
}

/// Removes an entry by id; `NotFound` when there is none.
pub async fn remove(c: &mut impl DbConn, account: AccountId, id: i64) -> Result<()> {
    let done = sqlx::query("delete from blacklist where account_id = $1 and id = $2")
        .bind(account.0)
        .bind(id)
        .execute(c.raw())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(
    c: &mut impl DbConn,
    account: AccountId,
    id: i64,
) -> Result<Option<BlacklistEntry>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from blacklist where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account's entries, newest first.
pub async fn list(
    c: &mut impl DbConn,
    account: AccountId,
    limit: i64,
    offset: i64,
) -> Result<Vec<BlacklistEntry>> {
    let rows = sqlx::query(&format!("select {COLUMNS} from blacklist where account_id = $1 order by created_at desc, id desc limit $2 offset $3"))
        .bind(account.0)
        .bind(limit)
        .bind(offset)
        .fetch_all(c.raw())
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn count(c: &mut impl DbConn, account: AccountId) -> Result<i64> {
    let row = sqlx::query("select count(*) from blacklist where account_id = $1")
        .bind(account.0)
        .fetch_one(c.raw())
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// The entry that blocks a caller: a stored number ending with the caller's last digits
/// (an exact E.164 match preferred), or for a number too short to match by suffix
/// (hidden callers, "anonymous") the same raw text.
pub async fn find(
    c: &mut impl DbConn,
    account: AccountId,
    phone: &Phone,
) -> Result<Option<BlacklistEntry>> {
    let rows = find_sql(account, phone).query().fetch_all(c.raw()).await?;
    let found: Vec<BlacklistEntry> = rows.iter().map(from_row).collect::<Result<_>>()?;
    Ok(best(found, phone))
}

/// [`find`] on the SQLite fast lane.
pub fn find_lite(
    c: &crate::lite::LiteConn<'_>,
    account: AccountId,
    phone: &Phone,
) -> Result<Option<BlacklistEntry>> {
    let found = c.rows(&find_sql(account, phone), |r| from_row(r))?;
    Ok(best(found, phone))
}

fn find_sql(account: AccountId, phone: &Phone) -> Sql {
    let mut sql = Sql::new(&format!(
        "select {COLUMNS} from blacklist where account_id = "
    ));
    sql.bind(account.0);
    match phone.suffix_range() {
        Some((lo, hi)) => {
            sql.push(" and rev_digits >= ")
                .bind(lo)
                .push(" and rev_digits < ")
                .bind(hi);
        }
        None => {
            sql.push(" and raw = ").bind(phone.raw.as_str());
        }
    }
    sql.push(" order by id limit 20");
    sql
}

/// The entry with the same full number if there is one, else the first suffix match.
fn best(mut found: Vec<BlacklistEntry>, phone: &Phone) -> Option<BlacklistEntry> {
    let exact = found
        .iter()
        .position(|e| e.phone.e164.is_some() && e.phone.e164 == phone.e164);
    match exact {
        Some(i) => Some(found.swap_remove(i)),
        None => found.into_iter().next(),
    }
}
