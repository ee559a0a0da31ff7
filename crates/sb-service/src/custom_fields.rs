//! Custom field definitions (C10): listed by anyone, created and deleted one by one by
//! administrators. Also turns Kommo's `filter[custom_fields_values][ID]` into typed
//! filters on the `field_values` index, for every entity that has custom fields.

use crate::{Actor, Ctx, ItemErrors, ServiceError};
use sb_domain::fields::{FieldDef, FieldEnum, FieldError, FieldType};
use sb_domain::{EntityKind, FieldId};
use sb_store::custom_fields;
use sb_store::field_values::{self, FieldFilter};

pub const MAX_NAME_CHARS: usize = 255;
/// Enum options a select-like field may have.
pub const MAX_ENUMS: usize = 500;

/// The entities with custom fields.
pub fn check_entity(kind: EntityKind) -> Result<&'static str, ServiceError> {
    match kind {
        EntityKind::Leads | EntityKind::Contacts | EntityKind::Companies => Ok(kind.as_str()),
        EntityKind::Tasks => Err(ServiceError::BadRequest(
            "tasks have no custom fields".into(),
        )),
    }
}

#[derive(Debug, Clone, Default)]
pub struct EnumInput {
    pub value: Option<String>,
    pub sort: Option<i64>,
}

/// One field of a create batch, as the API parsed it.
#[derive(Debug, Clone, Default)]
pub struct FieldInput {
    pub request_id: Option<String>,
    pub name: Option<String>,
    /// Kommo's `type` (`text`, `select`, ...).
    pub field_type: Option<String>,
    pub code: Option<String>,
    pub sort: Option<i64>,
    pub enums: Option<Vec<EnumInput>>,
}

/// The definitions of an entity's fields, by sort.
pub async fn list(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
) -> Result<Vec<FieldDef>, ServiceError> {
    let entity = check_entity(kind)?;
    let mut c = ctx.db.conn().await?;
    Ok(custom_fields::list(&mut c, actor.account.id, entity).await?)
}

pub async fn get(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
) -> Result<FieldDef, ServiceError> {
    list(ctx, actor, kind)
        .await?
        .into_iter()
        .find(|d| d.id.0 == id)
        .ok_or(ServiceError::NotFound)
}

/// Creates fields, all or nothing; returns each with its request id.
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    items: Vec<FieldInput>,
) -> Result<Vec<(String, FieldDef)>, ServiceError> {
    let entity = check_entity(kind)?;
    create_in(ctx, actor, entity, items).await
}

/// Creates fields of an entity named as stored (`leads`, `catalogs:{id}`, ...).
pub async fn create_in(
    ctx: &Ctx,
    actor: &Actor,
    entity: &str,
    items: Vec<FieldInput>,
) -> Result<Vec<(String, FieldDef)>, ServiceError> {
    actor.require_admin()?;
    if items.is_empty() || items.len() > crate::cards::MAX_BATCH {
        return Err(ServiceError::BadRequest(format!(
            "the request body must be an array of 1 to {} fields",
            crate::cards::MAX_BATCH
        )));
    }
    let mut c = ctx.db.conn().await?;
    let existing = custom_fields::list(&mut c, actor.account.id, entity).await?;
    drop(c);
    let mut codes: Vec<String> = existing
        .iter()
        .filter_map(|d| d.code.as_deref().map(str::to_ascii_uppercase))
        .collect();
    let mut sort = existing.iter().map(|d| d.sort).max().unwrap_or(0);
    let mut out = Vec::with_capacity(items.len());
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let name = item.name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() {
            errors.push(FieldError::required("name"));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push(FieldError::new(
                "InvalidLength",
                "name",
                "This value is too long: at most 255 characters.",
            ));
        }
        let t = match item.field_type.as_deref() {
            None => {
                errors.push(FieldError::required("type"));
                None
            }
            Some(s) => {
                let t = FieldType::parse(s.trim());
                if t.is_none() {
                    errors.push(FieldError::not_supported("type"));
                }
                t
            }
        };
        let code = item
            .code
            .as_deref()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty());
        if let Some(code) = &code {
            if code.len() > 64
                || !code
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            {
                errors.push(FieldError::new(
                    "InvalidFormat",
                    "code",
                    "A code holds up to 64 letters, digits and underscores.",
                ));
            } else if codes.contains(code) {
                errors.push(FieldError::new(
                    "NotUnique",
                    "code",
                    "Another field of this entity has this code.",
                ));
            }
        }
        let mut enums = Vec::new();
        if let Some(t) = t {
            let given = item.enums.as_deref().unwrap_or(&[]);
            let wants_enums = matches!(
                t,
                FieldType::Select | FieldType::Multiselect | FieldType::Radiobutton
            );
            if wants_enums && given.is_empty() {
                errors.push(FieldError::new(
                    "RequiredFilled",
                    "enums",
                    "A select, multiselect or radiobutton field needs at least one option.",
                ));
            } else if !t.has_enums() && !given.is_empty() {
                errors.push(FieldError::new(
                    "NotSupportedChoice",
                    "enums",
                    format!("A {} field has no options.", t.as_str()),
                ));
            } else if given.len() > MAX_ENUMS {
                errors.push(FieldError::new(
                    "LimitExceeded",
                    "enums",
                    format!("A field has at most {MAX_ENUMS} options."),
                ));
            }
            for (j, e) in given.iter().enumerate() {
                let v = e.value.as_deref().map(str::trim).unwrap_or("");
                if v.is_empty() {
                    errors.push(FieldError::required(format!("enums.{j}.value")));
                } else if v.chars().count() > MAX_NAME_CHARS {
                    errors.push(FieldError::new(
                        "InvalidLength",
                        format!("enums.{j}.value"),
                        "This value is too long: at most 255 characters.",
                    ));
                } else if enums.iter().any(|x: &FieldEnum| x.value == v) {
                    errors.push(FieldError::new(
                        "NotUnique",
                        format!("enums.{j}.value"),
                        "Two options of a field have the same value.",
                    ));
                } else {
                    enums.push(FieldEnum {
                        id: ctx.next_id(),
                        value: v.to_string(),
                        sort: e.sort.unwrap_or((j as i64 + 1) * 10),
                    });
                }
            }
        }
        let Some(t) = t.filter(|_| errors.is_empty()) else {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        };
        if let Some(code) = &code {
            codes.push(code.clone());
        }
        enums.sort_by_key(|e| (e.sort, e.id));
        sort = item.sort.unwrap_or(sort + 1).max(0);
        out.push((
            rid,
            FieldDef {
                id: FieldId(ctx.next_id()),
                entity: entity.to_string(),
                name: name.to_string(),
                code,
                field_type: t,
                sort,
                enums,
                is_predefined: false,
                is_deletable: true,
            },
        ));
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let now = ctx.now();
    let mut tx = ctx.db.begin().await?;
    for (_, d) in &out {
        custom_fields::insert(&mut tx, actor.account.id, d, now).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Deletes a field and its indexed values. Predefined fields (PHONE, EMAIL, ...) stay.
pub async fn delete(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
) -> Result<(), ServiceError> {
    actor.require_admin()?;
    let def = get(ctx, actor, kind, id).await?;
    if def.is_predefined || !def.is_deletable {
        return Err(ServiceError::one(
            id.to_string(),
            FieldError::new(
                "NotDeletable",
                "id",
                format!(
                    "Field {} ({}) is predefined and cannot be deleted.",
                    def.id, def.name
                ),
            ),
        ));
    }
    let mut tx = ctx.db.begin().await?;
    if !custom_fields::delete(&mut tx, actor.account.id, def.id).await? {
        return Err(ServiceError::NotFound);
    }
    field_values::delete_field(&mut tx, actor.account.id, def.id).await?;
    tx.commit().await?;
    Ok(())
}

/// A `filter[custom_fields_values][ID]` as the client sent it: a list of values
/// (`[ID][]=v`, `[ID]=v`) and/or a range (`[ID][from]`, `[ID][to]`).
#[derive(Debug, Clone, Default)]
pub struct RawFieldFilter {
    pub field_id: i64,
    pub values: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Turns raw field filters into typed ones: select-like fields compare enum ids (given
/// by id or by option text), numbers and dates compare ranges, the rest compare text.
pub fn build_filters(
    defs: &[FieldDef],
    raw: Vec<RawFieldFilter>,
) -> Result<Vec<(FieldId, FieldFilter)>, ServiceError> {
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let name = format!("filter[custom_fields_values][{}]", r.field_id);
        let Some(def) = defs.iter().find(|d| d.id.0 == r.field_id) else {
            return Err(ServiceError::BadRequest(format!(
                "{name}: there is no custom field {} on this entity",
                r.field_id
            )));
        };
        let num = |s: &Option<String>| -> Result<Option<f64>, ServiceError> {
            match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(v) => v.parse::<f64>().map(Some).map_err(|_| {
                    ServiceError::BadRequest(format!("{name}: {v:?} is not a number"))
                }),
            }
        };
        if r.from.is_some() || r.to.is_some() {
            out.push((def.id, FieldFilter::Range(num(&r.from)?, num(&r.to)?)));
            continue;
        }
        let filter = match def.field_type {
            FieldType::Select | FieldType::Multiselect | FieldType::Radiobutton => {
                let ids = r
                    .values
                    .iter()
                    .filter_map(|v| {
                        let v = v.trim();
                        def.enums
                            .iter()
                            .find(|e| v.parse::<i64>().ok() == Some(e.id))
                            .or_else(|| def.enums.iter().find(|e| e.value.eq_ignore_ascii_case(v)))
                            .map(|e| e.id)
                    })
                    .collect();
                FieldFilter::Enum(ids)
            }
            FieldType::Checkbox => FieldFilter::Eq(
                r.values
                    .iter()
                    .map(|v| match v.trim() {
                        "true" | "1" | "Y" | "y" => "1".to_string(),
                        _ => "0".to_string(),
                    })
                    .collect(),
            ),
            _ => FieldFilter::Eq(r.values),
        };
        out.push((def.id, filter));
    }
    Ok(out)
}
