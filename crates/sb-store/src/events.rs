//! The activity log (Kommo §10): append-only, written in the transaction of the change
//! it records. Ids come from the application's increasing generator, so ordering by id
//! is ordering by time and a reader can page with "after this id".

use crate::cells::decode;
use crate::db::DbConn;
use crate::sql::Sql;
use crate::{Result, StoreError};
use sb_domain::feed::{parse_entity_kind, Event};
use sb_domain::{AccountId, EntityKind, UserId};
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, account_id, type, entity_type, entity_id, created_by, created_at, value_before, value_after";

/// A row of [`COLUMNS`].
fn from_row(r: &AnyRow) -> Result<Event> {
    decode(r, |c| {
        Ok(Event {
            id: c.next()?,
            account_id: AccountId(c.next()?),
            event_type: c.next()?,
            entity_type: c.parse("events.entity_type", parse_entity_kind)?,
            entity_id: c.next()?,
            created_by: UserId(c.next()?),
            created_at: c.next()?,
            value_before: c.json("events.value_before")?,
            value_after: c.json("events.value_after")?,
        })
    })
}

const INSERT_CHUNK: usize = 250;

/// Appends one event; pass the transaction of the change it records.
pub async fn append(c: &mut impl DbConn, e: &Event) -> Result<()> {
    append_many(c, std::slice::from_ref(e)).await
}

/// Appends events in multi-row statements.
pub async fn append_many(c: &mut impl DbConn, events: &[Event]) -> Result<()> {
    for chunk in events.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(&format!("insert into events ({COLUMNS}) values "));
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let before = serde_json::to_string(&e.value_before)
                .map_err(|err| StoreError::Corrupt(err.to_string()))?;
            let after = serde_json::to_string(&e.value_after)
                .map_err(|err| StoreError::Corrupt(err.to_string()))?;
            sql.push("(")
                .bind(e.id)
                .push(", ")
                .bind(e.account_id.0)
                .push(", ")
                .bind(e.event_type.as_str())
                .push(", ")
                .bind(e.entity_type.as_str())
                .push(", ")
                .bind(e.entity_id)
                .push(", ")
                .bind(e.created_by.0)
                .push(", ")
                .bind(e.created_at)
                .push(", ")
                .bind(before)
                .push(", ")
                .bind(after)
                .push(")");
        }
        sql.query().execute(c.raw()).await?;
    }
    Ok(())
}

pub async fn get(c: &mut impl DbConn, account: AccountId, id: i64) -> Result<Option<Event>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from events where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub ids: Vec<i64>,
    pub types: Vec<String>,
    pub entity_type: Option<EntityKind>,
    /// Events of these entities (of `entity_type`).
    pub entity_ids: Vec<i64>,
    pub created_by: Vec<i64>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    /// Only events after this id (in the direction of the order): cursor paging.
    pub after_id: Option<i64>,
    /// Oldest first instead of newest first (Kommo's default).
    pub asc: bool,
    pub limit: i64,
    pub offset: i64,
    /// Only events whose entity is inside these scopes; empty = no restriction.
    pub scope: crate::scope::EntityScopes,
}

/// Events by id, newest first unless `asc`.
pub async fn list(c: &mut impl DbConn, account: AccountId, f: &EventFilter) -> Result<Vec<Event>> {
    let mut sql = Sql::new(&format!("select {COLUMNS} from events where account_id = "));
    sql.bind(account.0);
    if !f.ids.is_empty() {
        sql.push(" and id in ").bind_list(&f.ids);
    }
    if !f.types.is_empty() {
        sql.push(" and type in ").bind_list(&f.types);
    }
    if let Some(et) = f.entity_type {
        sql.push(" and entity_type = ").bind(et.as_str());
    }
    if !f.entity_ids.is_empty() {
        sql.push(" and entity_id in ").bind_list(&f.entity_ids);
    }
    if !f.created_by.is_empty() {
        sql.push(" and created_by in ").bind_list(&f.created_by);
    }
    if let Some(v) = f.created_from {
        sql.push(" and created_at >= ").bind(v);
    }
    if let Some(v) = f.created_to {
        sql.push(" and created_at <= ").bind(v);
    }
    if let Some(after) = f.after_id {
        sql.push(if f.asc { " and id > " } else { " and id < " })
            .bind(after);
    }
    crate::scope::push_entity_scope(&mut sql, "entity_type", "entity_id", account, &f.scope);
    let dir = if f.asc { "asc" } else { "desc" };
    sql.push(&format!(" order by id {dir} limit "))
        .bind(f.limit)
        .push(" offset ")
        .bind(f.offset);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(from_row).collect()
}
