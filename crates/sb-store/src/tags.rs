//! Tags per entity kind, and which entities carry them (`entity_tags`). A name is unique
//! per account and kind by its case-folded key (`sb_domain::tags::name_key`), enforced by
//! a unique index, so concurrent "find or create" calls converge on one tag.

use crate::cells::{decode, Cursor};
use crate::db::DbConn;
use crate::sql::Sql;
use crate::{Result, StoreError};
use sb_domain::tags::{check_name, name_key, Tag};
use sb_domain::{AccountId, EntityKind, TagId};
use sqlx::any::AnyRow;

/// A row of `id, account_id, name, color`.
fn from_row(entity: EntityKind, r: &AnyRow) -> Result<Tag> {
    decode(r, |c| tag(entity, c))
}

/// The `id, account_id, name, color` of a tag, in order (a row may go on).
fn tag(entity: EntityKind, c: &mut Cursor<'_, AnyRow>) -> Result<Tag> {
    Ok(Tag {
        id: TagId(c.next()?),
        account_id: AccountId(c.next()?),
        entity,
        name: c.next()?,
        color: c.next()?,
    })
}

/// Inserts a tag; a tag of the same kind with the same name (any case) is a conflict on `name`.
pub async fn insert(c: &mut impl DbConn, t: &Tag) -> Result<()> {
    sqlx::query("insert into tags (id, account_id, entity_type, name, name_key, color) values ($1, $2, $3, $4, $5, $6)")
        .bind(t.id.0)
        .bind(t.account_id.0)
        .bind(t.entity.as_str())
        .bind(&t.name)
        .bind(name_key(&t.name))
        .bind(t.color.clone())
        .execute(c.raw())
        .await
        .map_err(|e| StoreError::conflict_on(e, "name"))?;
    Ok(())
}

/// Renames or recolors a tag.
pub async fn update(c: &mut impl DbConn, t: &Tag) -> Result<()> {
    let done = sqlx::query("update tags set name = $1, name_key = $2, color = $3 where account_id = $4 and entity_type = $5 and id = $6")
        .bind(&t.name)
        .bind(name_key(&t.name))
        .bind(t.color.clone())
        .bind(t.account_id.0)
        .bind(t.entity.as_str())
        .bind(t.id.0)
        .execute(c.raw())
        .await
        .map_err(|e| StoreError::conflict_on(e, "name"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Finds the tags with these names (any case), creating the missing ones with ids from
/// the process generator at `now`. Returns one tag per distinct name, in input order.
/// Names are cleaned by `sb_domain::tags::check_name`; invalid ones are skipped.
pub async fn upsert_by_names(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    names: &[String],
    now: i64,
) -> Result<Vec<Tag>> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    for n in names {
        let Ok(name) = check_name(n) else { continue };
        let k = name_key(&name);
        if !wanted.iter().any(|(w, _)| *w == k) {
            wanted.push((k, name));
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    for chunk in wanted.chunks(250) {
        let mut sql = Sql::new(
            "insert into tags (id, account_id, entity_type, name, name_key, color) values ",
        );
        for (i, (k, n)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(sb_domain::next_id(now))
                .push(", ")
                .bind(account.0)
                .push(", ")
                .bind(entity.as_str())
                .push(", ")
                .bind(n.as_str())
                .push(", ")
                .bind(k.as_str())
                .push(", ")
                .bind(None::<String>)
                .push(")");
        }
        sql.push(" on conflict (account_id, entity_type, name_key) do nothing");
        sql.query().execute(c.raw()).await?;
    }
    let keys: Vec<String> = wanted.iter().map(|(k, _)| k.clone()).collect();
    let mut found: Vec<(String, Tag)> = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(250) {
        let mut sql =
            Sql::new("select id, account_id, name, color, name_key from tags where account_id = ");
        sql.bind(account.0)
            .push(" and entity_type = ")
            .bind(entity.as_str())
            .push(" and name_key in ")
            .bind_list(chunk);
        for r in sql.query().fetch_all(c.raw()).await? {
            found.push(decode(&r, |c| {
                let t = tag(entity, c)?;
                Ok((c.next()?, t))
            })?);
        }
    }
    Ok(keys
        .iter()
        .filter_map(|k| found.iter().find(|(fk, _)| fk == k).map(|(_, t)| t.clone()))
        .collect())
}

/// The tags of a kind among `ids`.
pub async fn get_many(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    ids: &[TagId],
) -> Result<Vec<Tag>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = ids.iter().map(|x| x.0).collect();
    let mut sql = Sql::new("select id, account_id, name, color from tags where account_id = ");
    sql.bind(account.0)
        .push(" and entity_type = ")
        .bind(entity.as_str())
        .push(" and id in ")
        .bind_list(&ids)
        .push(" order by id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(|r| from_row(entity, r)).collect()
}

#[derive(Debug, Clone)]
pub struct TagFilter {
    pub ids: Vec<TagId>,
    /// Exact name, any case (Kommo's `filter[name]`).
    pub name: Option<String>,
    /// Case-insensitive substring of the name (Kommo's `query`).
    pub query: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl Default for TagFilter {
    fn default() -> Self {
        TagFilter {
            ids: Vec::new(),
            name: None,
            query: None,
            limit: 50,
            offset: 0,
        }
    }
}

/// Tags of a kind, by id.
pub async fn list(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    f: &TagFilter,
) -> Result<Vec<Tag>> {
    let mut sql = Sql::new("select id, account_id, name, color from tags where account_id = ");
    sql.bind(account.0)
        .push(" and entity_type = ")
        .bind(entity.as_str());
    if !f.ids.is_empty() {
        let ids: Vec<i64> = f.ids.iter().map(|x| x.0).collect();
        sql.push(" and id in ").bind_list(&ids);
    }
    if let Some(n) = &f.name {
        sql.push(" and name_key = ").bind(name_key(n));
    }
    if let Some(q) = &f.query {
        let pat = format!("%{}%", name_key(q).replace(['\\', '%', '_'], ""));
        sql.push(" and name_key like ").bind(pat);
    }
    sql.push(" order by id limit ")
        .bind(f.limit)
        .push(" offset ")
        .bind(f.offset);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(|r| from_row(entity, r)).collect()
}

/// Deletes a tag and takes it off every entity; false when there was none.
pub async fn delete(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    id: TagId,
) -> Result<bool> {
    sqlx::query(
        "delete from entity_tags where account_id = $1 and entity_type = $2 and tag_id = $3",
    )
    .bind(account.0)
    .bind(entity.as_str())
    .bind(id.0)
    .execute(c.raw())
    .await?;
    let r = sqlx::query("delete from tags where account_id = $1 and entity_type = $2 and id = $3")
        .bind(account.0)
        .bind(entity.as_str())
        .bind(id.0)
        .execute(c.raw())
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Replaces the tags of an entity (Kommo's `_embedded.tags` on PATCH).
pub async fn set_for_entity(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    entity_id: i64,
    tags: &[TagId],
) -> Result<()> {
    sqlx::query(
        "delete from entity_tags where account_id = $1 and entity_type = $2 and entity_id = $3",
    )
    .bind(account.0)
    .bind(entity.as_str())
    .bind(entity_id)
    .execute(c.raw())
    .await?;
    add_to_entity(c, account, entity, entity_id, tags).await
}

/// Adds tags to an entity (`tags_to_add`); ones it already has are kept once.
pub async fn add_to_entity(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    entity_id: i64,
    tags: &[TagId],
) -> Result<()> {
    let mut ids: Vec<i64> = tags.iter().map(|x| x.0).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(250) {
        let mut sql = Sql::new(
            "insert into entity_tags (account_id, entity_type, entity_id, tag_id) values ",
        );
        for (i, t) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(account.0)
                .push(", ")
                .bind(entity.as_str())
                .push(", ")
                .bind(entity_id)
                .push(", ")
                .bind(*t)
                .push(")");
        }
        sql.push(" on conflict (account_id, entity_type, entity_id, tag_id) do nothing");
        sql.query().execute(c.raw()).await?;
    }
    Ok(())
}

/// Takes tags off an entity (`tags_to_delete`); returns how many it had.
pub async fn remove_from_entity(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    entity_id: i64,
    tags: &[TagId],
) -> Result<u64> {
    if tags.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = tags.iter().map(|x| x.0).collect();
    let mut sql = Sql::new("delete from entity_tags where account_id = ");
    sql.bind(account.0)
        .push(" and entity_type = ")
        .bind(entity.as_str())
        .push(" and entity_id = ")
        .bind(entity_id)
        .push(" and tag_id in ")
        .bind_list(&ids);
    Ok(sql.query().execute(c.raw()).await?.rows_affected())
}

/// The tags of some entities of a kind, as (entity id, tag), by entity then tag name.
pub async fn for_entities(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    entity_ids: &[i64],
) -> Result<Vec<(i64, Tag)>> {
    if entity_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("select t.id, t.account_id, t.name, t.color, et.entity_id from entity_tags et join tags t on t.account_id = et.account_id and t.id = et.tag_id where et.account_id = ");
    sql.bind(account.0)
        .push(" and et.entity_type = ")
        .bind(entity.as_str())
        .push(" and et.entity_id in ")
        .bind_list(entity_ids)
        .push(" order by et.entity_id, t.name_key, t.id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter()
        .map(|r| {
            decode(r, |c| {
                let t = tag(entity, c)?;
                Ok((c.next()?, t))
            })
        })
        .collect()
}
