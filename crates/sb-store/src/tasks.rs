//! Tasks (Kommo §8). Visibility applies to the task's responsible user, as for cards.

use crate::cards::push_visibility;
use crate::cells::decode;
use crate::db::{DbConn, Tx};
use crate::sql::Sql;
use crate::{flag, Result, StoreError};
use sb_domain::feed::{parse_entity_kind, Task, TaskType};
use sb_domain::{AccountId, EntityKind, TaskId, UserId, Visibility};
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "t.id, t.account_id, t.responsible_user_id, t.entity_type, t.entity_id, t.task_type_id, t.text, t.complete_till, t.is_completed, \
     t.result_text, t.duration, t.phone_e164, t.created_by, t.updated_by, t.created_at, t.updated_at";

/// A row of [`COLUMNS`].
fn from_row(r: &AnyRow) -> Result<Task> {
    decode(r, |c| {
        Ok(Task {
            id: TaskId(c.next()?),
            account_id: AccountId(c.next()?),
            responsible_user_id: UserId(c.next()?),
            entity_type: c.parse_opt("tasks.entity_type", parse_entity_kind)?,
            entity_id: c.next()?,
            task_type_id: c.next()?,
            text: c.next()?,
            complete_till: c.next()?,
            is_completed: c.flag()?,
            result_text: c.next()?,
            duration: c.next()?,
            phone_e164: c.next()?,
            created_by: UserId(c.next()?),
            updated_by: UserId(c.next()?),
            created_at: c.next()?,
            updated_at: c.next()?,
        })
    })
}

pub async fn insert(c: &mut impl DbConn, t: &Task) -> Result<()> {
    sqlx::query(
        "insert into tasks (id, account_id, responsible_user_id, entity_type, entity_id, task_type_id, text, complete_till, is_completed, \
         result_text, duration, phone_e164, created_by, updated_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(t.id.0)
    .bind(t.account_id.0)
    .bind(t.responsible_user_id.0)
    .bind(t.entity_type.map(|e| e.as_str().to_string()))
    .bind(t.entity_id)
    .bind(t.task_type_id)
    .bind(&t.text)
    .bind(t.complete_till)
    .bind(flag(t.is_completed))
    .bind(t.result_text.clone())
    .bind(t.duration)
    .bind(t.phone_e164.clone())
    .bind(t.created_by.0)
    .bind(t.updated_by.0)
    .bind(t.created_at)
    .bind(t.updated_at)
    .execute(c.raw())
    .await?;
    Ok(())
}

/// Rewrites a task's changeable fields (everything but id, account, creator, creation).
pub async fn update(c: &mut impl DbConn, t: &Task) -> Result<()> {
    let done = sqlx::query(
        "update tasks set responsible_user_id = $1, entity_type = $2, entity_id = $3, task_type_id = $4, text = $5, complete_till = $6, \
         is_completed = $7, result_text = $8, duration = $9, phone_e164 = $10, updated_by = $11, updated_at = $12 where account_id = $13 and id = $14",
    )
    .bind(t.responsible_user_id.0)
    .bind(t.entity_type.map(|e| e.as_str().to_string()))
    .bind(t.entity_id)
    .bind(t.task_type_id)
    .bind(&t.text)
    .bind(t.complete_till)
    .bind(flag(t.is_completed))
    .bind(t.result_text.clone())
    .bind(t.duration)
    .bind(t.phone_e164.clone())
    .bind(t.updated_by.0)
    .bind(t.updated_at)
    .bind(t.account_id.0)
    .bind(t.id.0)
    .execute(c.raw())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// A task inside the scope, or `None`.
pub async fn get(
    c: &mut impl DbConn,
    account: AccountId,
    id: TaskId,
    vis: Visibility,
) -> Result<Option<Task>> {
    let mut sql = Sql::new(&format!(
        "select {COLUMNS} from tasks t where t.account_id = "
    ));
    sql.bind(account.0).push(" and t.id = ").bind(id.0);
    push_visibility(&mut sql, "t", account, vis);
    let row = sql.query().fetch_optional(c.raw()).await?;
    row.as_ref().map(from_row).transpose()
}

/// The tasks among `ids` inside the scope, for an update: the rows as they are now,
/// held until `tx` ends (see [`crate::cards::lock_rows`]), so no concurrent update's
/// change is written over.
pub async fn lock_many(
    tx: &mut Tx,
    account: AccountId,
    ids: &[TaskId],
    vis: Visibility,
) -> Result<Vec<Task>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let mut sql = Sql::new(&format!(
        "select {COLUMNS} from tasks t where t.account_id = "
    ));
    sql.bind(account.0).push(" and t.id in ").bind_list(&ids);
    push_visibility(&mut sql, "t", account, vis);
    crate::cards::lock_rows(&mut sql, tx, "t");
    let rows = sql.query().fetch_all(tx.raw()).await?;
    rows.iter().map(from_row).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskOrder {
    #[default]
    Id,
    CreatedAt,
    CompleteTill,
}

#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub ids: Vec<i64>,
    pub responsible: Vec<i64>,
    pub is_completed: Option<bool>,
    pub task_type_ids: Vec<i64>,
    pub entity_type: Option<EntityKind>,
    /// Tasks of these entities (of `entity_type`).
    pub entity_ids: Vec<i64>,
    pub complete_till_from: Option<i64>,
    pub complete_till_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    pub order_by: TaskOrder,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(
    c: &mut impl DbConn,
    account: AccountId,
    f: &TaskFilter,
    vis: Visibility,
) -> Result<Vec<Task>> {
    let mut sql = Sql::new(&format!(
        "select {COLUMNS} from tasks t where t.account_id = "
    ));
    sql.bind(account.0);
    push_visibility(&mut sql, "t", account, vis);
    if !f.ids.is_empty() {
        sql.push(" and t.id in ").bind_list(&f.ids);
    }
    if !f.responsible.is_empty() {
        sql.push(" and t.responsible_user_id in ")
            .bind_list(&f.responsible);
    }
    if let Some(done) = f.is_completed {
        sql.push(" and t.is_completed = ").bind(flag(done));
    }
    if !f.task_type_ids.is_empty() {
        sql.push(" and t.task_type_id in ")
            .bind_list(&f.task_type_ids);
    }
    if let Some(et) = f.entity_type {
        sql.push(" and t.entity_type = ").bind(et.as_str());
    }
    if !f.entity_ids.is_empty() {
        sql.push(" and t.entity_id in ").bind_list(&f.entity_ids);
    }
    for (col, from, to) in [
        ("complete_till", f.complete_till_from, f.complete_till_to),
        ("updated_at", f.updated_from, f.updated_to),
    ] {
        if let Some(v) = from {
            sql.push(&format!(" and t.{col} >= ")).bind(v);
        }
        if let Some(v) = to {
            sql.push(&format!(" and t.{col} <= ")).bind(v);
        }
    }
    let col = match f.order_by {
        TaskOrder::Id => "t.id",
        TaskOrder::CreatedAt => "t.created_at",
        TaskOrder::CompleteTill => "t.complete_till",
    };
    let dir = if f.desc { "desc" } else { "asc" };
    sql.push(&format!(" order by {col} {dir}, t.id {dir} limit "))
        .bind(f.limit)
        .push(" offset ")
        .bind(f.offset);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(from_row).collect()
}

/// The newest open call-back task created at or after `since` for a customer number, or
/// on an entity: a repeated missed call finds it instead of adding another. A call-back
/// task is one that carries a `phone_e164`, so a manual task on the same entity does not
/// count. Not scoped by visibility: the system asks. With neither key, `None`.
pub async fn find_open_callback(
    c: &mut impl DbConn,
    account: AccountId,
    phone_e164: Option<&str>,
    entity: Option<(EntityKind, i64)>,
    since: i64,
) -> Result<Option<Task>> {
    if phone_e164.is_none() && entity.is_none() {
        return Ok(None);
    }
    let mut sql = Sql::new(&format!(
        "select {COLUMNS} from tasks t where t.account_id = "
    ));
    sql.bind(account.0)
        .push(" and t.is_completed = 0 and t.created_at >= ")
        .bind(since)
        .push(" and (");
    if let Some(p) = phone_e164 {
        sql.push("t.phone_e164 = ").bind(p);
        if entity.is_some() {
            sql.push(" or ");
        }
    }
    if let Some((et, id)) = entity {
        sql.push("(t.entity_type = ")
            .bind(et.as_str())
            .push(" and t.entity_id = ")
            .bind(id)
            .push(" and t.phone_e164 is not null)");
    }
    sql.push(") order by t.created_at desc, t.id desc limit 1");
    let row = sql.query().fetch_optional(c.raw()).await?;
    row.as_ref().map(from_row).transpose()
}

/// Open tasks of one responsible user (the manager's to-do count).
pub async fn count_open(c: &mut impl DbConn, account: AccountId, user: UserId) -> Result<i64> {
    let row = sqlx::query("select count(*) from tasks where account_id = $1 and responsible_user_id = $2 and is_completed = 0")
        .bind(account.0)
        .bind(user.0)
        .fetch_one(c.raw())
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// The earliest deadline among the open tasks of each of some entities of a kind, as
/// (entity id, complete_till); entities without open tasks are absent. Cards'
/// `closest_task_at`, computed on read like the leads' (see `leads::CLOSEST_TASK`).
pub async fn closest_open(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    entity_ids: &[i64],
) -> Result<Vec<(i64, i64)>> {
    if entity_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql =
        Sql::new("select t.entity_id, min(t.complete_till) from tasks t where t.account_id = ");
    sql.bind(account.0)
        .push(" and t.entity_type = ")
        .bind(entity.as_str())
        .push(" and t.is_completed = 0 and t.entity_id in ")
        .bind_list(entity_ids)
        .push(" group by t.entity_id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter()
        .map(|r| decode(r, |c| Ok((c.next::<i64>()?, c.next::<i64>()?))))
        .collect()
}

/// An account's own task type as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTaskType {
    pub account_id: AccountId,
    pub task_type: TaskType,
    /// The name's case-folded key (unique per account).
    pub name_key: String,
    pub created_by: UserId,
    pub created_at: i64,
}

/// Stores an account's own task type; a taken name is `Conflict { field: "name" }`.
pub async fn insert_type(c: &mut impl DbConn, t: &NewTaskType) -> Result<()> {
    sqlx::query(
        "insert into task_types (id, account_id, name, name_key, color, icon_id, created_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(t.task_type.id)
    .bind(t.account_id.0)
    .bind(&t.task_type.name)
    .bind(&t.name_key)
    .bind(t.task_type.color.clone())
    .bind(t.task_type.icon_id)
    .bind(t.created_by.0)
    .bind(t.created_at)
    .execute(c.raw())
    .await
    .map_err(|e| StoreError::conflict_on(e, "name"))?;
    Ok(())
}

/// An account's own task types, oldest first (the built-in ones are not stored).
pub async fn list_types(c: &mut impl DbConn, account: AccountId) -> Result<Vec<TaskType>> {
    let rows = sqlx::query(
        "select id, name, color, icon_id from task_types where account_id = $1 order by id",
    )
    .bind(account.0)
    .fetch_all(c.raw())
    .await?;
    rows.iter()
        .map(|r| {
            decode(r, |c| {
                Ok(TaskType {
                    id: c.next()?,
                    name: c.next()?,
                    color: c.next()?,
                    icon_id: c.next()?,
                    code: None,
                })
            })
        })
        .collect()
}
