//! Lists (catalogs, C15), their elements and the links from leads, contacts and
//! companies to elements (`entity_links`, with a quantity). Elements' custom fields are
//! indexed in `field_values` like any entity's, in the same call.

use crate::cells::decode;
use crate::db::{DbConn, Tx};
use crate::field_values::{self, ValueOwner};
use crate::sql::Sql;
use crate::{flag, Result, StoreError};
use sb_domain::catalogs::{Catalog, CatalogElement, CatalogLink, CatalogType};
use sb_domain::fields::FieldValue;
use sb_domain::{AccountId, CatalogElementId, CatalogId, EntityKind, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "id, account_id, name, type, sort, can_add_elements, can_link_multiple, created_by, updated_by, created_at, updated_at";
const ELEMENT_COLUMNS: &str = "id, account_id, catalog_id, name, custom_fields, created_by, updated_by, created_at, updated_at, is_deleted";
/// `entity_links.to_entity_type` of a catalog element (Kommo's name).
const ELEMENT_TYPE: &str = "catalog_elements";

/// A row of [`COLUMNS`].
fn from_row(r: &AnyRow) -> Result<Catalog> {
    decode(r, |c| {
        Ok(Catalog {
            id: CatalogId(c.next()?),
            account_id: AccountId(c.next()?),
            name: c.next()?,
            catalog_type: c.parse("catalogs.type", CatalogType::parse)?,
            sort: c.next()?,
            can_add_elements: c.flag()?,
            can_link_multiple: c.flag()?,
            created_by: UserId(c.next()?),
            updated_by: UserId(c.next()?),
            created_at: c.next()?,
            updated_at: c.next()?,
        })
    })
}

/// A row of [`ELEMENT_COLUMNS`].
fn element_from_row(r: &AnyRow) -> Result<CatalogElement> {
    decode(r, |c| {
        Ok(CatalogElement {
            id: CatalogElementId(c.next()?),
            account_id: AccountId(c.next()?),
            catalog_id: CatalogId(c.next()?),
            name: c.next()?,
            custom_fields: c.json::<Vec<FieldValue>>("catalog_elements.custom_fields")?,
            created_by: UserId(c.next()?),
            updated_by: UserId(c.next()?),
            created_at: c.next()?,
            updated_at: c.next()?,
            is_deleted: c.flag()?,
        })
    })
}

/// `entity_links.entity_type`: the plural, as in every table (migration 7).
fn entity_type(kind: EntityKind) -> &'static str {
    kind.as_str()
}

fn entity_kind(s: &str) -> Option<EntityKind> {
    match s {
        "leads" => Some(EntityKind::Leads),
        "contacts" => Some(EntityKind::Contacts),
        "companies" => Some(EntityKind::Companies),
        _ => None,
    }
}

pub async fn insert(c: &mut impl DbConn, k: &Catalog) -> Result<()> {
    sqlx::query(&format!(
        "insert into catalogs ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(k.id.0)
    .bind(k.account_id.0)
    .bind(&k.name)
    .bind(k.catalog_type.as_str())
    .bind(k.sort)
    .bind(flag(k.can_add_elements))
    .bind(flag(k.can_link_multiple))
    .bind(k.created_by.0)
    .bind(k.updated_by.0)
    .bind(k.created_at)
    .bind(k.updated_at)
    .execute(c.raw())
    .await
    .map_err(|e| StoreError::conflict_on(e, "id"))?;
    Ok(())
}

/// Rewrites a catalog's name, sort, flags and update stamp (its type never changes).
pub async fn update(c: &mut impl DbConn, k: &Catalog) -> Result<()> {
    let done = sqlx::query("update catalogs set name = $1, sort = $2, can_add_elements = $3, can_link_multiple = $4, updated_by = $5, updated_at = $6 where account_id = $7 and id = $8")
        .bind(&k.name)
        .bind(k.sort)
        .bind(flag(k.can_add_elements))
        .bind(flag(k.can_link_multiple))
        .bind(k.updated_by.0)
        .bind(k.updated_at)
        .bind(k.account_id.0)
        .bind(k.id.0)
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
    id: CatalogId,
) -> Result<Option<Catalog>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from catalogs where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account's catalogs, by sort.
pub async fn list(c: &mut impl DbConn, account: AccountId) -> Result<Vec<Catalog>> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from catalogs where account_id = $1 order by sort, id"
    ))
    .bind(account.0)
    .fetch_all(c.raw())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Deletes a catalog with its elements, their indexed values and their links; false
/// when there was none.
pub async fn delete(c: &mut impl DbConn, account: AccountId, id: CatalogId) -> Result<bool> {
    sqlx::query("delete from entity_links where account_id = $1 and to_entity_type = $2 and catalog_id = $3").bind(account.0).bind(ELEMENT_TYPE).bind(id.0).execute(c.raw()).await?;
    sqlx::query("delete from field_values where account_id = $1 and entity_type = $2 and entity_id in (select id from catalog_elements where account_id = $1 and catalog_id = $3)")
        .bind(account.0)
        .bind(ValueOwner::CatalogElement.as_str())
        .bind(id.0)
        .execute(c.raw())
        .await?;
    sqlx::query("delete from catalog_elements where account_id = $1 and catalog_id = $2")
        .bind(account.0)
        .bind(id.0)
        .execute(c.raw())
        .await?;
    let r = sqlx::query("delete from catalogs where account_id = $1 and id = $2")
        .bind(account.0)
        .bind(id.0)
        .execute(c.raw())
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Inserts elements (of any catalogs of one account) in multi-row statements, with their
/// indexed field values.
pub async fn insert_elements(c: &mut impl DbConn, elements: &[CatalogElement]) -> Result<()> {
    for chunk in elements.chunks(250) {
        let mut sql = Sql::new(&format!(
            "insert into catalog_elements ({ELEMENT_COLUMNS}) values "
        ));
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let cf = serde_json::to_string(&e.custom_fields)
                .map_err(|x| StoreError::Corrupt(x.to_string()))?;
            sql.push("(")
                .bind(e.id.0)
                .push(", ")
                .bind(e.account_id.0)
                .push(", ")
                .bind(e.catalog_id.0)
                .push(", ")
                .bind(e.name.as_str())
                .push(", ")
                .bind(cf)
                .push(", ")
                .bind(e.created_by.0)
                .push(", ")
                .bind(e.updated_by.0)
                .push(", ")
                .bind(e.created_at)
                .push(", ")
                .bind(e.updated_at)
                .push(", ")
                .bind(flag(e.is_deleted))
                .push(")");
        }
        sql.query()
            .execute(c.raw())
            .await
            .map_err(|e| StoreError::conflict_on(e, "id"))?;
        let values: Vec<(AccountId, i64, &[FieldValue])> = chunk
            .iter()
            .map(|e| (e.account_id, e.id.0, e.custom_fields.as_slice()))
            .collect();
        field_values::insert_across_accounts(c, ValueOwner::CatalogElement, &values).await?;
    }
    Ok(())
}

/// Rewrites an element's name, fields and stamps, and its indexed values.
pub async fn update_element(c: &mut impl DbConn, e: &CatalogElement) -> Result<()> {
    let cf =
        serde_json::to_string(&e.custom_fields).map_err(|x| StoreError::Corrupt(x.to_string()))?;
    let done = sqlx::query("update catalog_elements set name = $1, custom_fields = $2, updated_by = $3, updated_at = $4, is_deleted = $5 where account_id = $6 and catalog_id = $7 and id = $8")
        .bind(&e.name)
        .bind(cf)
        .bind(e.updated_by.0)
        .bind(e.updated_at)
        .bind(flag(e.is_deleted))
        .bind(e.account_id.0)
        .bind(e.catalog_id.0)
        .bind(e.id.0)
        .execute(c.raw())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    field_values::rewrite(
        c,
        e.account_id,
        ValueOwner::CatalogElement,
        e.id.0,
        &e.custom_fields,
    )
    .await
}

/// Marks an element deleted and drops its links; false when it was not live.
pub async fn delete_element(
    c: &mut impl DbConn,
    account: AccountId,
    catalog: CatalogId,
    id: CatalogElementId,
    by: UserId,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query("update catalog_elements set is_deleted = 1, updated_by = $1, updated_at = $2 where account_id = $3 and catalog_id = $4 and id = $5 and is_deleted = 0")
        .bind(by.0)
        .bind(now)
        .bind(account.0)
        .bind(catalog.0)
        .bind(id.0)
        .execute(c.raw())
        .await?;
    sqlx::query("delete from entity_links where account_id = $1 and to_entity_type = $2 and to_entity_id = $3").bind(account.0).bind(ELEMENT_TYPE).bind(id.0).execute(c.raw()).await?;
    Ok(r.rows_affected() > 0)
}

/// A live element of a catalog.
pub async fn get_element(
    c: &mut impl DbConn,
    account: AccountId,
    catalog: CatalogId,
    id: CatalogElementId,
) -> Result<Option<CatalogElement>> {
    let row = sqlx::query(&format!("select {ELEMENT_COLUMNS} from catalog_elements where account_id = $1 and catalog_id = $2 and id = $3 and is_deleted = 0"))
        .bind(account.0)
        .bind(catalog.0)
        .bind(id.0)
        .fetch_optional(c.raw())
        .await?;
    row.as_ref().map(element_from_row).transpose()
}

#[derive(Debug, Clone)]
pub struct ElementFilter {
    pub ids: Vec<CatalogElementId>,
    /// Case-insensitive substring of the name (Kommo's `query`).
    pub query: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl Default for ElementFilter {
    fn default() -> Self {
        ElementFilter {
            ids: Vec::new(),
            query: None,
            limit: 50,
            offset: 0,
        }
    }
}

/// Live elements of a catalog, by id.
pub async fn list_elements(
    c: &mut impl DbConn,
    account: AccountId,
    catalog: CatalogId,
    f: &ElementFilter,
) -> Result<Vec<CatalogElement>> {
    let mut sql = Sql::new(&format!(
        "select {ELEMENT_COLUMNS} from catalog_elements where account_id = "
    ));
    sql.bind(account.0)
        .push(" and catalog_id = ")
        .bind(catalog.0)
        .push(" and is_deleted = 0");
    if !f.ids.is_empty() {
        let ids: Vec<i64> = f.ids.iter().map(|x| x.0).collect();
        sql.push(" and id in ").bind_list(&ids);
    }
    if let Some(q) = &f.query {
        let pat = format!("%{}%", q.to_lowercase().replace(['\\', '%', '_'], ""));
        sql.push(" and lower(name) like ").bind(pat);
    }
    sql.push(" order by id limit ")
        .bind(f.limit)
        .push(" offset ")
        .bind(f.offset);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(element_from_row).collect()
}

/// The live elements of `ids` as they are now, held until `tx` ends (see
/// [`crate::cards::lock_rows`]), for an update to build on.
pub async fn lock_elements(
    tx: &mut Tx,
    account: AccountId,
    catalog: CatalogId,
    ids: &[CatalogElementId],
) -> Result<Vec<CatalogElement>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = ids.iter().map(|x| x.0).collect();
    let mut sql = Sql::new(&format!(
        "select {ELEMENT_COLUMNS} from catalog_elements e where e.account_id = "
    ));
    sql.bind(account.0)
        .push(" and e.catalog_id = ")
        .bind(catalog.0)
        .push(" and e.is_deleted = 0 and e.id in ")
        .bind_list(&ids);
    crate::cards::lock_rows(&mut sql, tx, "e");
    let rows = sql.query().fetch_all(tx.raw()).await?;
    rows.iter().map(element_from_row).collect()
}

/// Links an element to an entity, or updates the quantity of an existing link.
pub async fn link(c: &mut impl DbConn, account: AccountId, l: &CatalogLink) -> Result<()> {
    sqlx::query(
        "insert into entity_links (account_id, entity_type, entity_id, to_entity_type, to_entity_id, catalog_id, quantity) values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict (account_id, entity_type, entity_id, to_entity_type, to_entity_id) do update set quantity = excluded.quantity, catalog_id = excluded.catalog_id",
    )
    .bind(account.0)
    .bind(entity_type(l.entity))
    .bind(l.entity_id)
    .bind(ELEMENT_TYPE)
    .bind(l.element_id.0)
    .bind(l.catalog_id.0)
    .bind(l.quantity)
    .execute(c.raw())
    .await?;
    Ok(())
}

/// Unlinks an element from an entity; false when it was not linked.
pub async fn unlink(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    entity_id: i64,
    element: CatalogElementId,
) -> Result<bool> {
    let r = sqlx::query("delete from entity_links where account_id = $1 and entity_type = $2 and entity_id = $3 and to_entity_type = $4 and to_entity_id = $5")
        .bind(account.0)
        .bind(entity_type(entity))
        .bind(entity_id)
        .bind(ELEMENT_TYPE)
        .bind(element.0)
        .execute(c.raw())
        .await?;
    Ok(r.rows_affected() > 0)
}

/// The elements linked to some entities of a kind, by entity then element.
pub async fn links_of(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    entity_ids: &[i64],
) -> Result<Vec<CatalogLink>> {
    if entity_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("select entity_type, entity_id, catalog_id, to_entity_id, quantity from entity_links where account_id = ");
    sql.bind(account.0)
        .push(" and entity_type = ")
        .bind(entity_type(entity))
        .push(" and entity_id in ")
        .bind_list(entity_ids)
        .push(" and to_entity_type = ")
        .bind(ELEMENT_TYPE)
        .push(" order by entity_id, to_entity_id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(link_from_row).collect()
}

/// The entities an element is linked to, by kind then id.
pub async fn links_to_element(
    c: &mut impl DbConn,
    account: AccountId,
    element: CatalogElementId,
) -> Result<Vec<CatalogLink>> {
    let rows = sqlx::query(
        "select entity_type, entity_id, catalog_id, to_entity_id, quantity from entity_links where account_id = $1 and to_entity_type = $2 and to_entity_id = $3 order by entity_type, entity_id",
    )
    .bind(account.0)
    .bind(ELEMENT_TYPE)
    .bind(element.0)
    .fetch_all(c.raw())
    .await?;
    rows.iter().map(link_from_row).collect()
}

/// How many elements of `catalog` an entity links, not counting `except` (for
/// `Catalog::check_link` when the catalog allows a single link).
pub async fn count_links(
    c: &mut impl DbConn,
    account: AccountId,
    entity: EntityKind,
    entity_id: i64,
    catalog: CatalogId,
    except: Option<CatalogElementId>,
) -> Result<i64> {
    let row = sqlx::query(
        "select count(*) from entity_links where account_id = $1 and entity_type = $2 and entity_id = $3 and to_entity_type = $4 and catalog_id = $5 and to_entity_id <> $6",
    )
    .bind(account.0)
    .bind(entity_type(entity))
    .bind(entity_id)
    .bind(ELEMENT_TYPE)
    .bind(catalog.0)
    .bind(except.map(|e| e.0).unwrap_or(0))
    .fetch_one(c.raw())
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// A row of `entity_type, entity_id, catalog_id, to_entity_id, quantity`.
fn link_from_row(r: &AnyRow) -> Result<CatalogLink> {
    decode(r, |c| {
        Ok(CatalogLink {
            entity: c.parse("entity_links.entity_type", entity_kind)?,
            entity_id: c.next()?,
            catalog_id: CatalogId(c.next()?),
            element_id: CatalogElementId(c.next()?),
            quantity: c.next()?,
        })
    })
}
