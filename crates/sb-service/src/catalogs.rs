//! Lists (catalogs, C15): administrators create lists and their custom fields; anyone
//! reads them and adds and edits elements of lists open for it. Elements link to leads, contacts and companies
//! through `links`.

use crate::cards::{check_batch_size, MAX_LIMIT};
use crate::Page;
use crate::{Actor, Ctx, ItemErrors, ServiceError};
use sb_domain::catalogs::{check_name, Catalog, CatalogElement, CatalogType};
use sb_domain::fields::{validate_values, FieldDef, FieldError, FieldValueInput};
use sb_domain::{CatalogElementId, CatalogId};
use sb_store::catalogs::{self, ElementFilter};
use sb_store::custom_fields;

#[derive(Debug, Clone, Default)]
pub struct CatalogInput {
    pub request_id: Option<String>,
    pub name: Option<String>,
    pub catalog_type: Option<String>,
    pub sort: Option<i64>,
    pub can_add_elements: Option<bool>,
    pub can_link_multiple: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct ElementInput {
    pub request_id: Option<String>,
    /// Updates only: the element to change.
    pub id: Option<i64>,
    pub name: Option<String>,
    pub custom_fields_values: Option<Vec<FieldValueInput>>,
}

#[derive(Debug, Clone, Default)]
pub struct ElementParams {
    pub page: i64,
    pub limit: i64,
    pub ids: Vec<i64>,
    pub query: Option<String>,
}

/// The custom-field entity of a list's elements.
pub fn fields_entity(catalog: CatalogId) -> String {
    format!("catalogs:{}", catalog.0)
}

pub async fn list(ctx: &Ctx, actor: &Actor) -> Result<Vec<Catalog>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    Ok(catalogs::list(&mut c, actor.account.id).await?)
}

pub async fn get(ctx: &Ctx, actor: &Actor, id: i64) -> Result<Catalog, ServiceError> {
    let mut c = ctx.db.conn().await?;
    catalogs::get(&mut c, actor.account.id, CatalogId(id))
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Creates lists, all or nothing (administrators only).
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<CatalogInput>,
) -> Result<Vec<(String, Catalog)>, ServiceError> {
    actor.require_admin()?;
    check_batch_size(items.len())?;
    let existing = list(ctx, actor).await?;
    let mut sort = existing.iter().map(|k| k.sort).max().unwrap_or(0);
    let now = ctx.now();
    let mut out = Vec::new();
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let name = match check_name(item.name.as_deref().unwrap_or("")) {
            Ok(n) => Some(n),
            Err(e) => {
                errors.push(FieldError::new("InvalidValue", "name", e.to_string()));
                None
            }
        };
        let t = match item.catalog_type.as_deref() {
            None => Some(CatalogType::Regular),
            Some(s) => {
                let t = CatalogType::parse(s.trim());
                if t.is_none() {
                    errors.push(FieldError::not_supported("type"));
                }
                t
            }
        };
        let (Some(name), Some(t), true) = (name, t, errors.is_empty()) else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        };
        sort = item.sort.unwrap_or(sort + 10);
        out.push((
            rid,
            Catalog {
                id: CatalogId(ctx.next_id()),
                account_id: actor.account.id,
                name,
                catalog_type: t,
                sort,
                can_add_elements: item.can_add_elements.unwrap_or(true),
                can_link_multiple: item.can_link_multiple.unwrap_or(true),
                created_by: actor.user.id,
                updated_by: actor.user.id,
                created_at: now,
                updated_at: now,
            },
        ));
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let mut tx = ctx.db.begin().await?;
    for (_, k) in &out {
        catalogs::insert(&mut tx, k).await?;
    }
    tx.commit().await?;
    Ok(out)
}

pub async fn list_elements(
    ctx: &Ctx,
    actor: &Actor,
    catalog: i64,
    p: ElementParams,
) -> Result<Page<CatalogElement>, ServiceError> {
    let k = get(ctx, actor, catalog).await?;
    let limit = p.limit.clamp(1, MAX_LIMIT);
    let page = p.page.max(1);
    let f = ElementFilter {
        ids: p.ids.into_iter().map(CatalogElementId).collect(),
        query: p.query.filter(|q| !q.trim().is_empty()),
        limit: limit + 1,
        offset: (page - 1) * limit,
    };
    let mut c = ctx.db.conn().await?;
    let mut items = catalogs::list_elements(&mut c, actor.account.id, k.id, &f).await?;
    let has_next = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(Page {
        items,
        page,
        limit,
        has_next,
    })
}

pub async fn get_element(
    ctx: &Ctx,
    actor: &Actor,
    catalog: i64,
    id: i64,
) -> Result<CatalogElement, ServiceError> {
    let mut c = ctx.db.conn().await?;
    catalogs::get_element(
        &mut c,
        actor.account.id,
        CatalogId(catalog),
        CatalogElementId(id),
    )
    .await?
    .ok_or(ServiceError::NotFound)
}

/// Adds elements to a list open for it, all or nothing.
pub async fn create_elements(
    ctx: &Ctx,
    actor: &Actor,
    catalog: i64,
    items: Vec<ElementInput>,
) -> Result<Vec<(String, CatalogElement)>, ServiceError> {
    check_batch_size(items.len())?;
    let k = get(ctx, actor, catalog).await?;
    k.check_add_element()
        .map_err(|e| ServiceError::Forbidden(e.to_string()))?;
    let mut c = ctx.db.conn().await?;
    let defs = custom_fields::list(&mut c, actor.account.id, &fields_entity(k.id)).await?;
    drop(c);
    let now = ctx.now();
    let mut out = Vec::new();
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let name = match check_name(item.name.as_deref().unwrap_or("")) {
            Ok(n) => Some(n),
            Err(e) => {
                errors.push(FieldError::new("InvalidValue", "name", e.to_string()));
                None
            }
        };
        let values = match item.custom_fields_values.as_deref() {
            Some(v) => validate_values(&defs, v, "custom_fields_values").unwrap_or_else(|e| {
                errors.extend(e);
                vec![]
            }),
            None => vec![],
        };
        let (Some(name), true) = (name, errors.is_empty()) else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        };
        let mut custom = Vec::new();
        crate::cards::merge_fields(&mut custom, values);
        out.push((
            rid,
            CatalogElement {
                id: CatalogElementId(ctx.next_id()),
                account_id: actor.account.id,
                catalog_id: k.id,
                name,
                custom_fields: custom,
                created_by: actor.user.id,
                updated_by: actor.user.id,
                created_at: now,
                updated_at: now,
                is_deleted: false,
            },
        ));
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let elements: Vec<CatalogElement> = out.iter().map(|(_, e)| e.clone()).collect();
    let mut tx = ctx.db.begin().await?;
    catalogs::insert_elements(&mut tx, &elements).await?;
    tx.commit().await?;
    Ok(out)
}

/// The custom fields of a list's elements.
pub async fn fields(ctx: &Ctx, actor: &Actor, catalog: i64) -> Result<Vec<FieldDef>, ServiceError> {
    let k = get(ctx, actor, catalog).await?;
    let mut c = ctx.db.conn().await?;
    Ok(custom_fields::list(&mut c, actor.account.id, &fields_entity(k.id)).await?)
}

/// Adds custom fields to a list's elements (administrators only), all or nothing.
pub async fn create_fields(
    ctx: &Ctx,
    actor: &Actor,
    catalog: i64,
    items: Vec<crate::custom_fields::FieldInput>,
) -> Result<Vec<(String, FieldDef)>, ServiceError> {
    actor.require_admin()?;
    let k = get(ctx, actor, catalog).await?;
    crate::custom_fields::create_in(ctx, actor, &fields_entity(k.id), items).await
}

/// Updates elements of a list (each item names its `id`), all or nothing: the name
/// when given, and each listed custom field replaces its values (as on cards). The
/// same rule as adding: the list must be open for elements.
pub async fn update_elements(
    ctx: &Ctx,
    actor: &Actor,
    catalog: i64,
    items: Vec<ElementInput>,
) -> Result<Vec<(String, CatalogElement)>, ServiceError> {
    check_batch_size(items.len())?;
    let k = get(ctx, actor, catalog).await?;
    k.check_add_element()
        .map_err(|e| ServiceError::Forbidden(e.to_string()))?;
    let mut c = ctx.db.conn().await?;
    let defs = custom_fields::list(&mut c, actor.account.id, &fields_entity(k.id)).await?;
    drop(c);
    let ids: Vec<CatalogElementId> = items
        .iter()
        .filter_map(|i| i.id.map(CatalogElementId))
        .collect();
    // Read in the writing transaction, rows held: a concurrent edit or delete of the
    // same element is neither written over nor undone.
    let mut tx = ctx.db.begin().await?;
    let existing = catalogs::lock_elements(&mut tx, actor.account.id, k.id, &ids).await?;
    let now = ctx.now();
    let mut out: Vec<(String, CatalogElement)> = Vec::new();
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let Some(id) = item.id else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::required("id")],
            });
            continue;
        };
        // An element changed earlier in the batch changes again from that version.
        let current = out
            .iter()
            .rev()
            .find(|(_, e)| e.id.0 == id)
            .map(|(_, e)| e.clone())
            .or_else(|| existing.iter().find(|e| e.id.0 == id).cloned());
        let Some(mut el) = current else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::new("NotFound", "id", "Entity not found.")],
            });
            continue;
        };
        if let Some(n) = item.name.as_deref() {
            match check_name(n) {
                Ok(n) => el.name = n,
                Err(e) => errors.push(FieldError::new("InvalidValue", "name", e.to_string())),
            }
        }
        if let Some(v) = item.custom_fields_values.as_deref() {
            match validate_values(&defs, v, "custom_fields_values") {
                Ok(values) => crate::cards::merge_fields(&mut el.custom_fields, values),
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        }
        el.updated_by = actor.user.id;
        el.updated_at = now;
        out.push((rid, el));
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    for (i, (_, e)) in out.iter().enumerate() {
        // Only the last version of an element edited twice is written.
        if out[i + 1..].iter().all(|(_, later)| later.id != e.id) {
            catalogs::update_element(&mut tx, e).await?;
        }
    }
    tx.commit().await?;
    Ok(out)
}
