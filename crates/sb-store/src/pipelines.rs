//! Pipelines and their stages. A stage is keyed by (account, pipeline, id) because won
//! (142) and lost (143) repeat in every pipeline. The limits and the system-stage rules
//! live in `sb_domain::pipelines`; the counts here let the service check them.

use crate::cells::decode;
use crate::db::DbConn;
use crate::sql::Sql;
use crate::{flag, Result, StoreError};
use sb_domain::pipelines::{Pipeline, Status, StatusType};
use sb_domain::{AccountId, PipelineId, StatusId};
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str =
    "id, account_id, name, sort, is_main, is_unsorted_on, is_archive, created_at, updated_at";
const STATUS_COLUMNS: &str =
    "id, account_id, pipeline_id, name, sort, color, type, is_editable, created_at, updated_at";

/// A row of [`COLUMNS`] (the stages are read apart).
fn from_row(r: &AnyRow) -> Result<Pipeline> {
    decode(r, |c| {
        Ok(Pipeline {
            id: PipelineId(c.next()?),
            account_id: AccountId(c.next()?),
            name: c.next()?,
            sort: c.next()?,
            is_main: c.flag()?,
            is_unsorted_on: c.flag()?,
            is_archive: c.flag()?,
            created_at: c.next()?,
            updated_at: c.next()?,
            statuses: Vec::new(),
        })
    })
}

/// A row of [`STATUS_COLUMNS`].
fn status_from_row(r: &AnyRow) -> Result<Status> {
    decode(r, |c| {
        Ok(Status {
            id: StatusId(c.next()?),
            account_id: AccountId(c.next()?),
            pipeline_id: PipelineId(c.next()?),
            name: c.next()?,
            sort: c.next()?,
            color: c.next()?,
            status_type: c.code("statuses.type", StatusType::from_i64)?,
            is_editable: c.flag()?,
            created_at: c.next()?,
            updated_at: c.next()?,
        })
    })
}

/// Inserts a pipeline and the stages it carries.
pub async fn insert(c: &mut impl DbConn, p: &Pipeline) -> Result<()> {
    sqlx::query(&format!(
        "insert into pipelines ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(p.id.0)
    .bind(p.account_id.0)
    .bind(&p.name)
    .bind(p.sort)
    .bind(flag(p.is_main))
    .bind(flag(p.is_unsorted_on))
    .bind(flag(p.is_archive))
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(c.raw())
    .await
    .map_err(|e| StoreError::conflict_on(e, "id"))?;
    insert_statuses(c, &p.statuses).await
}

/// Rewrites a pipeline's own row (not its stages).
pub async fn update(c: &mut impl DbConn, p: &Pipeline) -> Result<()> {
    let done = sqlx::query("update pipelines set name = $1, sort = $2, is_main = $3, is_unsorted_on = $4, is_archive = $5, updated_at = $6 where account_id = $7 and id = $8")
        .bind(&p.name)
        .bind(p.sort)
        .bind(flag(p.is_main))
        .bind(flag(p.is_unsorted_on))
        .bind(flag(p.is_archive))
        .bind(p.updated_at)
        .bind(p.account_id.0)
        .bind(p.id.0)
        .execute(c.raw())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Makes `id` the account's only main pipeline.
pub async fn set_main(
    c: &mut impl DbConn,
    account: AccountId,
    id: PipelineId,
    now: i64,
) -> Result<()> {
    let done = sqlx::query(
        "update pipelines set is_main = 1, updated_at = $1 where account_id = $2 and id = $3",
    )
    .bind(now)
    .bind(account.0)
    .bind(id.0)
    .execute(c.raw())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("update pipelines set is_main = 0, updated_at = $1 where account_id = $2 and id <> $3 and is_main = 1").bind(now).bind(account.0).bind(id.0).execute(c.raw()).await?;
    Ok(())
}

/// Deletes a pipeline and its stages; false when there was none. Leads in it are the
/// caller's concern (move or delete them first).
pub async fn delete(c: &mut impl DbConn, account: AccountId, id: PipelineId) -> Result<bool> {
    sqlx::query("delete from statuses where account_id = $1 and pipeline_id = $2")
        .bind(account.0)
        .bind(id.0)
        .execute(c.raw())
        .await?;
    let r = sqlx::query("delete from pipelines where account_id = $1 and id = $2")
        .bind(account.0)
        .bind(id.0)
        .execute(c.raw())
        .await?;
    Ok(r.rows_affected() > 0)
}

/// A pipeline with its stages.
pub async fn get(
    c: &mut impl DbConn,
    account: AccountId,
    id: PipelineId,
) -> Result<Option<Pipeline>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from pipelines where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(c.raw())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut p = from_row(&row)?;
    p.statuses = list_statuses(c, account, id).await?;
    Ok(Some(p))
}

/// The account's main pipeline with its stages.
pub async fn main(c: &mut impl DbConn, account: AccountId) -> Result<Option<Pipeline>> {
    let row = sqlx::query(
        "select id from pipelines where account_id = $1 and is_main = 1 order by sort, id limit 1",
    )
    .bind(account.0)
    .fetch_optional(c.raw())
    .await?;
    match row {
        Some(r) => get(c, account, PipelineId(r.try_get(0)?)).await,
        None => Ok(None),
    }
}

/// Every pipeline of the account with its stages, by sort.
pub async fn list(c: &mut impl DbConn, account: AccountId) -> Result<Vec<Pipeline>> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from pipelines where account_id = $1 order by sort, id"
    ))
    .bind(account.0)
    .fetch_all(c.raw())
    .await?;
    let mut out = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    let rows = sqlx::query(&format!("select {STATUS_COLUMNS} from statuses where account_id = $1 order by pipeline_id, sort, id")).bind(account.0).fetch_all(c.raw()).await?;
    for r in &rows {
        let s = status_from_row(r)?;
        if let Some(p) = out.iter_mut().find(|p| p.id == s.pipeline_id) {
            p.statuses.push(s);
        }
    }
    Ok(out)
}

/// How many pipelines the account has (for the limit).
pub async fn count(c: &mut impl DbConn, account: AccountId) -> Result<i64> {
    let row = sqlx::query("select count(*) from pipelines where account_id = $1")
        .bind(account.0)
        .fetch_one(c.raw())
        .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Inserts stages (of one or several pipelines) in one statement.
pub async fn insert_statuses(c: &mut impl DbConn, statuses: &[Status]) -> Result<()> {
    for chunk in statuses.chunks(250) {
        let mut sql = Sql::new(&format!("insert into statuses ({STATUS_COLUMNS}) values "));
        for (i, s) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(s.id.0)
                .push(", ")
                .bind(s.account_id.0)
                .push(", ")
                .bind(s.pipeline_id.0)
                .push(", ")
                .bind(s.name.as_str())
                .push(", ")
                .bind(s.sort)
                .push(", ")
                .bind(s.color.as_str())
                .push(", ")
                .bind(s.status_type.as_i64())
                .push(", ")
                .bind(flag(s.is_editable))
                .push(", ")
                .bind(s.created_at)
                .push(", ")
                .bind(s.updated_at)
                .push(")");
        }
        sql.query()
            .execute(c.raw())
            .await
            .map_err(|e| StoreError::conflict_on(e, "id"))?;
    }
    Ok(())
}

pub async fn insert_status(c: &mut impl DbConn, s: &Status) -> Result<()> {
    insert_statuses(c, std::slice::from_ref(s)).await
}

/// Rewrites a stage's name, sort and color (its type and editability never change).
pub async fn update_status(c: &mut impl DbConn, s: &Status) -> Result<()> {
    let done = sqlx::query("update statuses set name = $1, sort = $2, color = $3, updated_at = $4 where account_id = $5 and pipeline_id = $6 and id = $7")
        .bind(&s.name)
        .bind(s.sort)
        .bind(&s.color)
        .bind(s.updated_at)
        .bind(s.account_id.0)
        .bind(s.pipeline_id.0)
        .bind(s.id.0)
        .execute(c.raw())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes a stage; false when there was none. System stages are refused by the domain
/// rules before this is called; leads in the stage are the caller's concern.
pub async fn delete_status(
    c: &mut impl DbConn,
    account: AccountId,
    pipeline: PipelineId,
    id: StatusId,
) -> Result<bool> {
    let r =
        sqlx::query("delete from statuses where account_id = $1 and pipeline_id = $2 and id = $3")
            .bind(account.0)
            .bind(pipeline.0)
            .bind(id.0)
            .execute(c.raw())
            .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn get_status(
    c: &mut impl DbConn,
    account: AccountId,
    pipeline: PipelineId,
    id: StatusId,
) -> Result<Option<Status>> {
    let row = sqlx::query(&format!("select {STATUS_COLUMNS} from statuses where account_id = $1 and pipeline_id = $2 and id = $3"))
        .bind(account.0)
        .bind(pipeline.0)
        .bind(id.0)
        .fetch_optional(c.raw())
        .await?;
    row.as_ref().map(status_from_row).transpose()
}

/// The stages of a pipeline, by sort.
pub async fn list_statuses(
    c: &mut impl DbConn,
    account: AccountId,
    pipeline: PipelineId,
) -> Result<Vec<Status>> {
    let rows = sqlx::query(&format!("select {STATUS_COLUMNS} from statuses where account_id = $1 and pipeline_id = $2 order by sort, id")).bind(account.0).bind(pipeline.0).fetch_all(c.raw()).await?;
    rows.iter().map(status_from_row).collect()
}

/// How many stages a pipeline has (for the limit).
pub async fn count_statuses(
    c: &mut impl DbConn,
    account: AccountId,
    pipeline: PipelineId,
) -> Result<i64> {
    let row =
        sqlx::query("select count(*) from statuses where account_id = $1 and pipeline_id = $2")
            .bind(account.0)
            .bind(pipeline.0)
            .fetch_one(c.raw())
            .await?;
    Ok(row.try_get::<i64, _>(0)?)
}
