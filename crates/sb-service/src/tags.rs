//! Tags of leads, contacts and companies (Kommo §12): listed by anyone who may see the
//! entity kind, created by anyone who may edit it. Names are unique per kind without
//! regard to case (`sb_domain::tags`). Also the tag part of entity writes
//! (`_embedded.tags`, `tags_to_add`, `tags_to_delete`), shared by leads and cards.

use crate::cards::{check_batch_size, MAX_LIMIT};
use crate::Page;
use crate::{Actor, Ctx, ItemErrors, ServiceError};
use sb_domain::fields::FieldError;
use sb_domain::tags::{check_entity, check_name, name_key, Tag};
use sb_domain::{Action, EntityKind, TagId};
use sb_store::tags::{self, TagFilter};
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub page: i64,
    pub limit: i64,
    pub ids: Vec<i64>,
    pub name: Option<String>,
    pub query: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TagInput {
    pub request_id: Option<String>,
    pub name: Option<String>,
    pub color: Option<String>,
}

fn entity(kind: EntityKind) -> Result<EntityKind, ServiceError> {
    check_entity(kind).map_err(|e| ServiceError::BadRequest(e.to_string()))
}

pub async fn list(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    p: ListParams,
) -> Result<Page<Tag>, ServiceError> {
    let kind = entity(kind)?;
    let limit = p.limit.clamp(1, MAX_LIMIT);
    let page = p.page.max(1);
    if !actor.can(kind, Action::View) {
        return Ok(Page {
            items: vec![],
            page,
            limit,
            has_next: false,
        });
    }
    let f = TagFilter {
        ids: p.ids.into_iter().map(TagId).collect(),
        name: p.name,
        query: p.query.filter(|q| !q.trim().is_empty()),
        limit: limit + 1,
        offset: (page - 1) * limit,
    };
    let mut c = ctx.db.conn().await?;
    let mut items = tags::list(&mut c, actor.account.id, kind, &f).await?;
    let has_next = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(Page {
        items,
        page,
        limit,
        has_next,
    })
}

/// A color is `#` and six hex digits (or none).
pub(crate) fn check_color(c: &str) -> Option<String> {
    let hex = c.trim().trim_start_matches('#');
    (hex.len() == 6 && hex.chars().all(|ch| ch.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_uppercase())
}

/// Creates tags, all or nothing; a name already taken (in any case) is refused.
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    kind: EntityKind,
    items: Vec<TagInput>,
) -> Result<Vec<(String, Tag)>, ServiceError> {
    let kind = entity(kind)?;
    if !actor.can(kind, Action::Edit) && !actor.can(kind, Action::Add) {
        return Err(ServiceError::Forbidden(format!(
            "you may not tag {}",
            kind.as_str()
        )));
    }
    check_batch_size(items.len())?;
    let mut c = ctx.db.conn().await?;
    let mut out: Vec<(String, Tag)> = Vec::new();
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = Vec::new();
        let name = match item.name.as_deref().map(check_name) {
            None => {
                errors.push(FieldError::required("name"));
                None
            }
            Some(Err(e)) => {
                errors.push(FieldError::new("InvalidValue", "name", e.to_string()));
                None
            }
            Some(Ok(n)) => Some(n),
        };
        let color = match item.color.as_deref().filter(|c| !c.trim().is_empty()) {
            None => None,
            Some(c) => match check_color(c) {
                Some(c) => Some(c),
                None => {
                    errors.push(FieldError::not_supported("color"));
                    None
                }
            },
        };
        if let Some(n) = &name {
            let taken = out.iter().any(|(_, t)| name_key(&t.name) == name_key(n))
                || !tags::list(
                    &mut c,
                    actor.account.id,
                    kind,
                    &TagFilter {
                        name: Some(n.clone()),
                        limit: 1,
                        ..Default::default()
                    },
                )
                .await?
                .is_empty();
            if taken {
                errors.push(FieldError::new(
                    "NotUnique",
                    "name",
                    "A tag with this name already exists.",
                ));
            }
        }
        match (name, errors.is_empty()) {
            (Some(name), true) => out.push((
                rid,
                Tag {
                    id: TagId(ctx.next_id()),
                    account_id: actor.account.id,
                    entity: kind,
                    name,
                    color,
                },
            )),
            _ => all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            }),
        }
    }
    drop(c);
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let mut tx = ctx.db.begin().await?;
    for (_, t) in &out {
        tags::insert(&mut tx, t).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// A tag as a client names it on an entity: by id or by name.
#[derive(Debug, Clone, Default)]
pub struct TagRef {
    pub id: Option<i64>,
    pub name: Option<String>,
}

/// Checked tag references: ids that exist, names to find or create.
#[derive(Debug, Clone, Default)]
pub(crate) struct TagRefs {
    ids: Vec<TagId>,
    names: Vec<String>,
}

impl TagRefs {
    fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.names.is_empty()
    }
}

/// The tag changes of one entity write (`_embedded.tags` replaces the set,
/// `tags_to_add` / `tags_to_delete`), checked; resolved to ids in the write
/// transaction by [`apply`]. Leads, contacts and companies share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TagPlan {
    set: Option<TagRefs>,
    add: TagRefs,
    delete: TagRefs,
}

/// The tag ids a batch refers to (collected before any await: an iterator of
/// closures held across one makes the handler future not `Send`).
pub(crate) fn ref_ids<'a>(refs: impl Iterator<Item = &'a TagRef>) -> Vec<TagId> {
    refs.filter_map(|t| t.id.map(TagId)).collect()
}

/// The tags of `kind` a batch refers to by id, loaded once per batch.
pub(crate) async fn known(
    c: &mut impl sb_store::DbConn,
    actor: &Actor,
    kind: EntityKind,
    ids: &[TagId],
) -> Result<HashMap<i64, Tag>, ServiceError> {
    Ok(tags::get_many(c, actor.account.id, kind, ids)
        .await?
        .into_iter()
        .map(|t| (t.id.0, t))
        .collect())
}

/// Checks tag references against the known tags; errors name `path.N.id|name`.
fn check_refs(
    known: &HashMap<i64, Tag>,
    path: &str,
    items: Option<&Vec<TagRef>>,
    errors: &mut Vec<FieldError>,
) -> TagRefs {
    let mut out = TagRefs::default();
    for (j, t) in items.into_iter().flatten().enumerate() {
        match (t.id, t.name.as_deref()) {
            (Some(id), _) => {
                if known.contains_key(&id) {
                    out.ids.push(TagId(id));
                } else {
                    errors.push(FieldError::not_supported(format!("{path}.{j}.id")));
                }
            }
            (None, Some(n)) => match check_name(n) {
                Ok(n) => out.names.push(n),
                Err(e) => errors.push(FieldError::new(
                    "InvalidValue",
                    format!("{path}.{j}.name"),
                    e.to_string(),
                )),
            },
            (None, None) => errors.push(FieldError::required(format!("{path}.{j}.name"))),
        }
    }
    out
}

/// Checks the three tag inputs of one entity write.
pub(crate) fn plan(
    known: &HashMap<i64, Tag>,
    set: Option<&Vec<TagRef>>,
    add: Option<&Vec<TagRef>>,
    delete: Option<&Vec<TagRef>>,
    errors: &mut Vec<FieldError>,
) -> TagPlan {
    TagPlan {
        set: set.map(|t| check_refs(known, "_embedded.tags", Some(t), errors)),
        add: check_refs(known, "tags_to_add", add, errors),
        delete: check_refs(known, "tags_to_delete", delete, errors),
    }
}

/// Applies a checked plan to one entity in the write transaction; names not yet in
/// the directory of `kind` are created.
pub(crate) async fn apply(
    tx: &mut sb_store::Tx,
    actor: &Actor,
    kind: EntityKind,
    id: i64,
    plan: &TagPlan,
    now: i64,
) -> Result<(), ServiceError> {
    let account = actor.account.id;
    if let Some(set) = &plan.set {
        let ids = resolve(tx, actor, kind, set, now).await?;
        tags::set_for_entity(tx, account, kind, id, &ids).await?;
    }
    if !plan.add.is_empty() {
        let ids = resolve(tx, actor, kind, &plan.add, now).await?;
        tags::add_to_entity(tx, account, kind, id, &ids).await?;
    }
    if !plan.delete.is_empty() {
        let mut ids = plan.delete.ids.clone();
        let keys: Vec<String> = plan.delete.names.iter().map(|n| name_key(n)).collect();
        if !keys.is_empty() {
            let current = tags::for_entities(tx, account, kind, &[id]).await?;
            ids.extend(
                current
                    .into_iter()
                    .filter(|(_, t)| keys.contains(&name_key(&t.name)))
                    .map(|(_, t)| t.id),
            );
        }
        tags::remove_from_entity(tx, account, kind, id, &ids).await?;
    }
    Ok(())
}

async fn resolve(
    tx: &mut sb_store::Tx,
    actor: &Actor,
    kind: EntityKind,
    refs: &TagRefs,
    now: i64,
) -> Result<Vec<TagId>, ServiceError> {
    let mut ids = refs.ids.clone();
    if !refs.names.is_empty() {
        let made = tags::upsert_by_names(tx, actor.account.id, kind, &refs.names, now).await?;
        ids.extend(made.into_iter().map(|t| t.id));
    }
    Ok(ids)
}
