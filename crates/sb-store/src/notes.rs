//! Notes on leads, contacts and companies (Kommo §9), call records among them. Access
//! follows the parent entity: the service checks it before reading or writing here.

use crate::cells::decode;
use crate::db::{DbConn, Tx};
use crate::sql::Sql;
use crate::{flag, Result, StoreError};
use sb_domain::feed::{parse_entity_kind, Note};
use sb_domain::{AccountId, EntityKind, NoteId, UserId};
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, account_id, entity_type, entity_id, note_type, params, created_by, updated_by, responsible_user_id, created_at, updated_at, is_pinned";

/// A row of [`COLUMNS`].
fn from_row(r: &AnyRow) -> Result<Note> {
    decode(r, |c| {
        Ok(Note {
            id: NoteId(c.next()?),
            account_id: AccountId(c.next()?),
            entity_type: c.parse("notes.entity_type", parse_entity_kind)?,
            entity_id: c.next()?,
            note_type: c.next()?,
            params: c.json("notes.params")?,
            created_by: UserId(c.next()?),
            updated_by: UserId(c.next()?),
            responsible_user_id: c.next::<Option<i64>>()?.map(UserId),
            created_at: c.next()?,
            updated_at: c.next()?,
            is_pinned: c.flag()?,
        })
    })
}

fn params_json(n: &Note) -> Result<String> {
    serde_json::to_string(&n.params).map_err(|e| StoreError::Corrupt(e.to_string()))
}

const INSERT_CHUNK: usize = 200;

pub async fn insert(c: &mut impl DbConn, n: &Note) -> Result<()> {
    insert_many(c, std::slice::from_ref(n)).await
}

/// Inserts notes in multi-row statements.
pub async fn insert_many(c: &mut impl DbConn, notes: &[Note]) -> Result<()> {
    for chunk in notes.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(&format!("insert into notes ({COLUMNS}) values "));
        for (i, n) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(n.id.0)
                .push(", ")
                .bind(n.account_id.0)
                .push(", ")
                .bind(n.entity_type.as_str())
                .push(", ")
                .bind(n.entity_id)
                .push(", ")
                .bind(n.note_type.as_str())
                .push(", ")
                .bind(params_json(n)?)
                .push(", ")
                .bind(n.created_by.0)
                .push(", ")
                .bind(n.updated_by.0)
                .push(", ")
                .bind(n.responsible_user_id.map(|u| u.0))
                .push(", ")
                .bind(n.created_at)
                .push(", ")
                .bind(n.updated_at)
                .push(", ")
                .bind(flag(n.is_pinned))
                .push(")");
        }
        sql.query().execute(c.raw()).await?;
    }
    Ok(())
}

/// Rewrites what a note's owner may change: type, params, responsible, pin.
pub async fn update(c: &mut impl DbConn, n: &Note) -> Result<()> {
    let done = sqlx::query(
        "update notes set note_type = $1, params = $2, responsible_user_id = $3, is_pinned = $4, updated_by = $5, updated_at = $6 \
         where account_id = $7 and entity_type = $8 and id = $9",
    )
    .bind(&n.note_type)
    .bind(params_json(n)?)
    .bind(n.responsible_user_id.map(|u| u.0))
    .bind(flag(n.is_pinned))
    .bind(n.updated_by.0)
    .bind(n.updated_at)
    .bind(n.account_id.0)
    .bind(n.entity_type.as_str())
    .bind(n.id.0)
    .execute(c.raw())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn set_pinned(
    c: &mut impl DbConn,
    account: AccountId,
    id: NoteId,
    pinned: bool,
    by: UserId,
    now: i64,
) -> Result<()> {
    let done = sqlx::query("update notes set is_pinned = $1, updated_by = $2, updated_at = $3 where account_id = $4 and id = $5")
        .bind(flag(pinned))
        .bind(by.0)
        .bind(now)
        .bind(account.0)
        .bind(id.0)
        .execute(c.raw())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(c: &mut impl DbConn, account: AccountId, id: NoteId) -> Result<Option<Note>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from notes where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The notes among `ids`, for an update: the rows as they are now, held until `tx` ends
/// (see [`crate::cards::lock_rows`]), so no concurrent change is written over.
pub async fn lock_many(tx: &mut Tx, account: AccountId, ids: &[NoteId]) -> Result<Vec<Note>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let mut sql = Sql::new(&format!(
        "select {COLUMNS} from notes n where n.account_id = "
    ));
    sql.bind(account.0).push(" and n.id in ").bind_list(&ids);
    crate::cards::lock_rows(&mut sql, tx, "n");
    let rows = sql.query().fetch_all(tx.raw()).await?;
    rows.iter().map(from_row).collect()
}

#[derive(Debug, Clone, Default)]
pub struct NoteFilter {
    pub entity_type: Option<EntityKind>,
    /// Notes of these entities (of `entity_type`).
    pub entity_ids: Vec<i64>,
    pub note_types: Vec<String>,
    pub ids: Vec<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    /// Oldest first instead of newest first.
    pub asc: bool,
    /// Pinned notes before the others (the card feed).
    pub pinned_first: bool,
    pub limit: i64,
    pub offset: i64,
    /// Only notes whose entity is inside these scopes; empty = no restriction.
    pub scope: crate::scope::EntityScopes,
}

/// Notes newest first (`created_at`, then id), paginated.
pub async fn list(c: &mut impl DbConn, account: AccountId, f: &NoteFilter) -> Result<Vec<Note>> {
    let mut sql = Sql::new(&format!("select {COLUMNS} from notes where account_id = "));
    sql.bind(account.0);
    if let Some(et) = f.entity_type {
        sql.push(" and entity_type = ").bind(et.as_str());
    }
    if !f.entity_ids.is_empty() {
        sql.push(" and entity_id in ").bind_list(&f.entity_ids);
    }
    if !f.note_types.is_empty() {
        sql.push(" and note_type in ").bind_list(&f.note_types);
    }
    if !f.ids.is_empty() {
        sql.push(" and id in ").bind_list(&f.ids);
    }
    if let Some(v) = f.updated_from {
        sql.push(" and updated_at >= ").bind(v);
    }
    if let Some(v) = f.updated_to {
        sql.push(" and updated_at <= ").bind(v);
    }
    crate::scope::push_entity_scope(&mut sql, "entity_type", "entity_id", account, &f.scope);
    let dir = if f.asc { "asc" } else { "desc" };
    let pinned = if f.pinned_first {
        "is_pinned desc, "
    } else {
        ""
    };
    sql.push(&format!(
        " order by {pinned}created_at {dir}, id {dir} limit "
    ))
    .bind(f.limit)
    .push(" offset ")
    .bind(f.offset);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(from_row).collect()
}

/// The feed of one entity: its notes newest first.
pub async fn list_for_entity(
    c: &mut impl DbConn,
    account: AccountId,
    entity_type: EntityKind,
    entity_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<Note>> {
    list(
        c,
        account,
        &NoteFilter {
            entity_type: Some(entity_type),
            entity_ids: vec![entity_id],
            limit,
            offset,
            ..Default::default()
        },
    )
    .await
}
