//! Tags of leads, contacts and companies (Kommo §12): listed by anyone who may see the
//! entity kind, created by anyone who may edit it. Names are unique per kind without
//! regard to case (`sb_domain::tags`).

use crate::cards::{check_batch_size, Page, MAX_LIMIT};
use crate::{Actor, Ctx, ItemErrors, ServiceError};
use sb_domain::fields::FieldError;
use sb_domain::tags::{check_entity, check_name, name_key, Tag};
use sb_domain::{Action, EntityKind, TagId};
use sb_store::tags::{self, TagFilter};

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
fn check_color(c: &str) -> Option<String> {
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
