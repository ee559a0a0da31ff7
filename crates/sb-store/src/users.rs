//! Users and groups of an account.

use crate::cells::{decode, Cursor};
use crate::db::{DbConn, Tx};
use crate::sql::Sql;
use crate::{flag, Result, StoreError};
use sb_domain::entities::{Group, Role, User};
use sb_domain::{AccountId, GroupId, Rights, UserId};
use sqlx::any::AnyRow;

const COLUMNS: &str =
    "id, account_id, name, email, lang, role, group_id, rights, is_active, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<User> {
    decode(r, user)
}

/// The [`COLUMNS`] of a user, in order.
fn user(c: &mut Cursor<'_, AnyRow>) -> Result<User> {
    Ok(User {
        id: UserId(c.next()?),
        account_id: AccountId(c.next()?),
        name: c.next()?,
        email: c.next()?,
        lang: c.next()?,
        role: c.parse("users.role", Role::parse)?,
        group_id: c.next::<Option<i64>>()?.map(GroupId),
        rights: c.json::<Rights>("users.rights")?,
        is_active: c.flag()?,
        created_at: c.next()?,
        updated_at: c.next()?,
    })
}

fn rights_json(r: &Rights) -> Result<String> {
    serde_json::to_string(r).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn insert(c: &mut impl DbConn, u: &User, password_hash: Option<&str>) -> Result<()> {
    sqlx::query(
        "insert into users (id, account_id, name, email, password_hash, lang, role, group_id, rights, is_active, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(u.id.0)
    .bind(u.account_id.0)
    .bind(&u.name)
    .bind(u.email.to_lowercase())
    .bind(password_hash.map(str::to_string))
    .bind(&u.lang)
    .bind(u.role.as_str())
    .bind(u.group_id.map(|g| g.0))
    .bind(rights_json(&u.rights)?)
    .bind(flag(u.is_active))
    .bind(u.created_at)
    .bind(u.updated_at)
    .execute(c.raw())
    .await
    .map_err(|e| StoreError::conflict_on(e, "email"))?;
    Ok(())
}

pub async fn update(c: &mut impl DbConn, u: &User) -> Result<()> {
    let done = sqlx::query("update users set name = $1, lang = $2, role = $3, group_id = $4, rights = $5, is_active = $6, updated_at = $7 where account_id = $8 and id = $9")
        .bind(&u.name)
        .bind(&u.lang)
        .bind(u.role.as_str())
        .bind(u.group_id.map(|g| g.0))
        .bind(rights_json(&u.rights)?)
        .bind(flag(u.is_active))
        .bind(u.updated_at)
        .bind(u.account_id.0)
        .bind(u.id.0)
        .execute(c.raw())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn set_password(
    c: &mut impl DbConn,
    account: AccountId,
    id: UserId,
    hash: &str,
) -> Result<()> {
    sqlx::query("update users set password_hash = $1 where account_id = $2 and id = $3")
        .bind(hash)
        .bind(account.0)
        .bind(id.0)
        .execute(c.raw())
        .await?;
    Ok(())
}

/// The user's password hash; `None` when there is no such user or it has no password.
pub async fn password_hash(
    c: &mut impl DbConn,
    account: AccountId,
    id: UserId,
) -> Result<Option<String>> {
    let row = sqlx::query("select password_hash from users where account_id = $1 and id = $2")
        .bind(account.0)
        .bind(id.0)
        .fetch_optional(c.raw())
        .await?;
    Ok(row
        .as_ref()
        .map(|r| decode(r, |c| c.next::<Option<String>>()))
        .transpose()?
        .flatten())
}

pub async fn get(c: &mut impl DbConn, account: AccountId, id: UserId) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from users where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// [`get`] for an update: the row as it is now, held until `tx` ends (see
/// [`crate::cards::lock_rows`]), so a concurrent change of the user is not written over.
pub async fn lock(tx: &mut Tx, account: AccountId, id: UserId) -> Result<Option<User>> {
    let mut sql = Sql::new(&format!(
        "select {COLUMNS} from users u where u.account_id = "
    ));
    sql.bind(account.0).push(" and u.id = ").bind(id.0);
    crate::cards::lock_rows(&mut sql, tx, "u");
    let row = sql.query().fetch_optional(tx.raw()).await?;
    row.as_ref().map(from_row).transpose()
}

/// Login lookup across accounts (e-mails are unique in the instance), with the password hash.
pub async fn by_email(c: &mut impl DbConn, email: &str) -> Result<Option<(User, Option<String>)>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS}, password_hash from users where email = $1"
    ))
    .bind(email.trim().to_lowercase())
    .fetch_optional(c.raw())
    .await?;
    row.as_ref()
        .map(|r| decode(r, |c| Ok((user(c)?, c.next()?))))
        .transpose()
}

pub async fn list(c: &mut impl DbConn, account: AccountId) -> Result<Vec<User>> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from users where account_id = $1 order by id"
    ))
    .bind(account.0)
    .fetch_all(c.raw())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn insert_group(
    c: &mut impl DbConn,
    account: AccountId,
    g: &Group,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "insert into user_groups (id, account_id, name, created_at) values ($1, $2, $3, $4)",
    )
    .bind(g.id.0)
    .bind(account.0)
    .bind(&g.name)
    .bind(now)
    .execute(c.raw())
    .await?;
    Ok(())
}

pub async fn list_groups(c: &mut impl DbConn, account: AccountId) -> Result<Vec<Group>> {
    let rows = sqlx::query("select id, name from user_groups where account_id = $1 order by id")
        .bind(account.0)
        .fetch_all(c.raw())
        .await?;
    rows.iter()
        .map(|r| {
            decode(r, |c| {
                Ok(Group {
                    id: GroupId(c.next()?),
                    name: c.next()?,
                })
            })
        })
        .collect()
}
