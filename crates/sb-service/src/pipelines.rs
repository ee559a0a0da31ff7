//! Pipelines and stages (C6): anyone reads them, only administrators change them. The
//! limits (10 pipelines, 100 stages) and the system-stage rules come from
//! `sb_domain::pipelines`; breaking one is a validation error naming the item and field.

use crate::{Actor, Ctx, ItemErrors, ServiceError};
use sb_domain::fields::FieldError;
use sb_domain::pipelines::{
    self as rules, check_name, default_pipeline, Pipeline, PipelineRuleError, Status, StatusEdit,
    StatusType, LOST, STATUS_COLORS, WON,
};
use sb_domain::{AccountId, PipelineId, StatusId, Visibility};
use sb_store::leads::{self, LeadFilter};
use sb_store::pipelines;

#[derive(Debug, Clone, Default)]
pub struct StatusInput {
    pub request_id: Option<String>,
    /// Only to rename a system stage (142, 143, or the incoming stage) on create.
    pub id: Option<i64>,
    pub name: Option<String>,
    pub sort: Option<i64>,
    pub color: Option<String>,
    /// Kommo's `type`: 1 names the incoming-leads stage.
    pub status_type: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct PipelineInput {
    pub request_id: Option<String>,
    pub name: Option<String>,
    pub sort: Option<i64>,
    pub is_main: Option<bool>,
    pub is_unsorted_on: Option<bool>,
    pub is_archive: Option<bool>,
    pub statuses: Option<Vec<StatusInput>>,
}

/// Makes sure the account has a pipeline (accounts created before pipelines existed get
/// the default one on first use); returns the main pipeline.
pub async fn ensure_main(ctx: &Ctx, account: AccountId) -> Result<Pipeline, ServiceError> {
    let mut c = ctx.db.conn().await?;
    if let Some(p) = pipelines::main(&mut c, account).await? {
        return Ok(p);
    }
    let any = pipelines::list(&mut c, account).await?;
    drop(c);
    if let Some(first) = any.into_iter().next() {
        // No pipeline is marked main: the first one is.
        let mut tx = ctx.db.begin().await?;
        pipelines::set_main(&mut tx, account, first.id, ctx.now()).await?;
        tx.commit().await?;
        return Ok(Pipeline {
            is_main: true,
            ..first
        });
    }
    let p = default_pipeline(account, ctx.now());
    let mut tx = ctx.db.begin().await?;
    pipelines::insert(&mut tx, &p).await?;
    tx.commit().await?;
    Ok(p)
}

pub async fn list(ctx: &Ctx, actor: &Actor) -> Result<Vec<Pipeline>, ServiceError> {
    ensure_main(ctx, actor.account.id).await?;
    let mut c = ctx.db.conn().await?;
    Ok(pipelines::list(&mut c, actor.account.id).await?)
}

pub async fn get(ctx: &Ctx, actor: &Actor, id: i64) -> Result<Pipeline, ServiceError> {
    let mut c = ctx.db.conn().await?;
    pipelines::get(&mut c, actor.account.id, PipelineId(id))
        .await?
        .ok_or(ServiceError::NotFound)
}

fn rule_error(rid: &str, path: &str, e: PipelineRuleError) -> ItemErrors {
    ItemErrors {
        request_id: rid.to_string(),
        errors: vec![e.to_field_error(path)],
    }
}

/// Where a client's edit of a system stage went wrong: the color when it changes it,
/// else the sort.
fn edit_error_path(e: &PipelineRuleError, edit: &StatusEdit, current: &Status) -> &'static str {
    match e {
        PipelineRuleError::EmptyName | PipelineRuleError::NameTooLong => "name",
        PipelineRuleError::InvalidColor(_) => "color",
        _ => {
            if edit
                .color
                .as_deref()
                .is_some_and(|c| !c.trim().eq_ignore_ascii_case(&current.color))
            {
                "color"
            } else {
                "sort"
            }
        }
    }
}

/// A default palette color for the n-th new stage.
fn palette(n: usize) -> &'static str {
    STATUS_COLORS[n % STATUS_COLORS.len()]
}

/// Creates pipelines, each with its three system stages plus the given ones; all or
/// nothing. A given stage with id 142/143 (or type 1) renames that system stage.
pub async fn create(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<PipelineInput>,
) -> Result<Vec<(String, Pipeline)>, ServiceError> {
    actor.require_admin()?;
    if items.is_empty() {
        return Err(ServiceError::BadRequest(
            "the request body must be a non-empty array".into(),
        ));
    }
    let account = actor.account.id;
    ensure_main(ctx, account).await?;
    let mut c = ctx.db.conn().await?;
    let existing = pipelines::list(&mut c, account).await?;
    drop(c);
    let now = ctx.now();
    let mut max_sort = existing.iter().map(|p| p.sort).max().unwrap_or(0);
    let mut out: Vec<(String, Pipeline)> = Vec::new();
    let mut all_errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        if let Err(e) = rules::check_pipeline_count(existing.len() + out.len(), 1) {
            all_errors.push(rule_error(&rid, "", e));
            continue;
        }
        let mut errors = Vec::new();
        let sort = item.sort.unwrap_or(max_sort + 1);
        let name = item.name.clone().unwrap_or_default();
        let mut p = match Pipeline::with_system_statuses(
            PipelineId(ctx.next_id()),
            account,
            &name,
            sort,
            StatusId(ctx.next_id()),
            now,
        ) {
            Ok(p) => p,
            Err(e) => {
                all_errors.push(rule_error(&rid, "name", e));
                continue;
            }
        };
        p.is_unsorted_on = item.is_unsorted_on.unwrap_or(true);
        p.is_archive = item.is_archive.unwrap_or(false);
        p.is_main = item.is_main.unwrap_or(false);
        let mut regular = 0usize;
        for (j, s) in item.statuses.unwrap_or_default().into_iter().enumerate() {
            let base = format!("_embedded.statuses.{j}");
            let edit = StatusEdit {
                name: s.name.clone(),
                sort: s.sort,
                color: s.color.clone(),
            };
            let system = match (s.id, s.status_type) {
                (Some(id), _) if id == WON.0 || id == LOST.0 => p.status(StatusId(id)).cloned(),
                (_, Some(1)) => p.incoming_status().cloned(),
                _ => None,
            };
            if let Some(cur) = system {
                match cur.apply(&edit, now) {
                    Ok(new) => {
                        if let Some(x) = p.statuses.iter_mut().find(|x| x.id == cur.id) {
                            *x = new;
                        }
                    }
                    Err(e) => {
                        let path = format!("{base}.{}", edit_error_path(&e, &edit, &cur));
                        errors.push(e.to_field_error(path));
                    }
                }
                continue;
            }
            if s.status_type.is_some_and(|t| t != 0) {
                errors.push(FieldError::not_supported(format!("{base}.type")));
                continue;
            }
            regular += 1;
            let st = Status::regular(
                StatusId(ctx.next_id()),
                account,
                p.id,
                s.name.as_deref().unwrap_or(""),
                s.sort.unwrap_or(10 + 10 * regular as i64),
                s.color.as_deref().unwrap_or(palette(regular - 1)),
                now,
            );
            match st {
                Ok(st) => {
                    if let Err(e) = p.add_status(st) {
                        errors.push(e.to_field_error(base));
                    }
                }
                Err(e) => {
                    let field = match e {
                        PipelineRuleError::InvalidColor(_) => "color",
                        _ => "name",
                    };
                    errors.push(e.to_field_error(format!("{base}.{field}")));
                }
            }
        }
        if !errors.is_empty() {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors,
            });
            continue;
        }
        max_sort = max_sort.max(sort);
        out.push((rid, p));
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let mut tx = ctx.db.begin().await?;
    for (_, p) in &out {
        pipelines::insert(&mut tx, p).await?;
    }
    // The last pipeline asked to be main wins.
    if let Some((_, p)) = out.iter().rev().find(|(_, p)| p.is_main) {
        pipelines::set_main(&mut tx, account, p.id, now).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Changes a pipeline's name, sort, flags; `is_main: true` makes it the main one.
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
    input: PipelineInput,
) -> Result<Pipeline, ServiceError> {
    actor.require_admin()?;
    let mut p = get(ctx, actor, id).await?;
    let rid = input.request_id.clone().unwrap_or_else(|| "0".into());
    let mut errors = Vec::new();
    if let Some(n) = &input.name {
        match check_name(n) {
            Ok(n) => p.name = n,
            Err(e) => errors.push(e.to_field_error("name")),
        }
    }
    if input.is_main == Some(false) && p.is_main {
        errors.push(FieldError::new(
            "NotEditable",
            "is_main",
            "Make another pipeline the main one instead.",
        ));
    }
    if input.statuses.is_some() {
        errors.push(FieldError::new(
            "NotSupportedChoice",
            "_embedded.statuses",
            "Change stages through /api/v4/leads/pipelines/{id}/statuses.",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(vec![ItemErrors {
            request_id: rid,
            errors,
        }]));
    }
    if let Some(s) = input.sort {
        p.sort = s;
    }
    if let Some(b) = input.is_unsorted_on {
        p.is_unsorted_on = b;
    }
    if let Some(b) = input.is_archive {
        p.is_archive = b;
    }
    let make_main = input.is_main == Some(true) && !p.is_main;
    p.updated_at = ctx.now();
    let mut tx = ctx.db.begin().await?;
    pipelines::update(&mut tx, &p).await?;
    if make_main {
        pipelines::set_main(&mut tx, actor.account.id, p.id, p.updated_at).await?;
        p.is_main = true;
    }
    tx.commit().await?;
    Ok(p)
}

async fn live_leads(
    c: &mut impl sb_store::DbConn,
    account: AccountId,
    pipeline: PipelineId,
) -> Result<i64, ServiceError> {
    let f = LeadFilter {
        pipeline_ids: vec![pipeline],
        ..Default::default()
    };
    Ok(leads::count(c, account, &f, Visibility::All).await?)
}

/// Deletes a pipeline that is not the main one and holds no leads.
pub async fn delete(ctx: &Ctx, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    actor.require_admin()?;
    let p = get(ctx, actor, id).await?;
    let rid = id.to_string();
    if let Err(e) = p.check_delete() {
        return Err(ServiceError::Validation(vec![rule_error(
            &rid, "is_main", e,
        )]));
    }
    let mut tx = ctx.db.begin().await?;
    let n = live_leads(&mut tx, actor.account.id, p.id).await?;
    if n > 0 {
        return Err(ServiceError::one(
            rid,
            FieldError::new(
                "NotEditable",
                "id",
                format!("The pipeline holds {n} leads; move or delete them first."),
            ),
        ));
    }
    pipelines::delete(&mut tx, actor.account.id, p.id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_statuses(
    ctx: &Ctx,
    actor: &Actor,
    pipeline: i64,
) -> Result<Vec<Status>, ServiceError> {
    Ok(get(ctx, actor, pipeline).await?.statuses)
}

pub async fn get_status(
    ctx: &Ctx,
    actor: &Actor,
    pipeline: i64,
    id: i64,
) -> Result<Status, ServiceError> {
    let mut c = ctx.db.conn().await?;
    pipelines::get_status(&mut c, actor.account.id, PipelineId(pipeline), StatusId(id))
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Adds regular stages to a pipeline, all or nothing, within the 100-stage limit.
pub async fn create_statuses(
    ctx: &Ctx,
    actor: &Actor,
    pipeline: i64,
    items: Vec<StatusInput>,
) -> Result<Vec<(String, Status)>, ServiceError> {
    actor.require_admin()?;
    if items.is_empty() {
        return Err(ServiceError::BadRequest(
            "the request body must be a non-empty array".into(),
        ));
    }
    let mut p = get(ctx, actor, pipeline).await?;
    let now = ctx.now();
    let mut max_sort = p
        .statuses
        .iter()
        .filter(|s| !s.is_system())
        .map(|s| s.sort)
        .max()
        .unwrap_or(rules::INCOMING_SORT);
    let mut out = Vec::new();
    let mut all_errors = Vec::new();
    for (i, s) in items.into_iter().enumerate() {
        let rid = s.request_id.clone().unwrap_or_else(|| i.to_string());
        if s.status_type.is_some_and(|t| t != 0) {
            all_errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::not_supported("type")],
            });
            continue;
        }
        let sort = s.sort.unwrap_or(max_sort + 10);
        let st = Status::regular(
            StatusId(ctx.next_id()),
            actor.account.id,
            p.id,
            s.name.as_deref().unwrap_or(""),
            sort,
            s.color.as_deref().unwrap_or(palette(p.statuses.len())),
            now,
        );
        let st = match st {
            Ok(st) => st,
            Err(e) => {
                let field = match e {
                    PipelineRuleError::InvalidColor(_) => "color",
                    _ => "name",
                };
                all_errors.push(rule_error(&rid, field, e));
                continue;
            }
        };
        if let Err(e) = p.add_status(st.clone()) {
            all_errors.push(rule_error(&rid, "", e));
            continue;
        }
        max_sort = max_sort.max(sort);
        out.push((rid, st));
    }
    if !all_errors.is_empty() {
        return Err(ServiceError::Validation(all_errors));
    }
    let mut tx = ctx.db.begin().await?;
    let new: Vec<Status> = out.iter().map(|(_, s)| s.clone()).collect();
    pipelines::insert_statuses(&mut tx, &new).await?;
    tx.commit().await?;
    Ok(out)
}

/// Edits a stage; of a system stage only the name changes.
pub async fn update_status(
    ctx: &Ctx,
    actor: &Actor,
    pipeline: i64,
    id: i64,
    edit: StatusEdit,
) -> Result<Status, ServiceError> {
    actor.require_admin()?;
    let cur = get_status(ctx, actor, pipeline, id).await?;
    let new = cur.apply(&edit, ctx.now()).map_err(|e| {
        let path = edit_error_path(&e, &edit, &cur);
        ServiceError::Validation(vec![rule_error(&id.to_string(), path, e)])
    })?;
    let mut tx = ctx.db.begin().await?;
    pipelines::update_status(&mut tx, &new).await?;
    tx.commit().await?;
    Ok(new)
}

/// Deletes a regular stage; its leads move to the pipeline's first working stage.
pub async fn delete_status(
    ctx: &Ctx,
    actor: &Actor,
    pipeline: i64,
    id: i64,
) -> Result<(), ServiceError> {
    actor.require_admin()?;
    let p = get(ctx, actor, pipeline).await?;
    let cur = p
        .status(StatusId(id))
        .cloned()
        .ok_or(ServiceError::NotFound)?;
    if let Err(e) = cur.check_delete() {
        return Err(ServiceError::Validation(vec![rule_error(
            &id.to_string(),
            "id",
            e,
        )]));
    }
    let rest = Pipeline {
        statuses: p
            .statuses
            .iter()
            .filter(|s| s.id != cur.id)
            .cloned()
            .collect(),
        ..p.clone()
    };
    let target = rest
        .first_working_status()
        .or_else(|| {
            rest.statuses
                .iter()
                .find(|s| s.status_type == StatusType::Incoming)
        })
        .map(|s| s.id)
        .ok_or(ServiceError::NotFound)?;
    let now = ctx.now();
    let mut tx = ctx.db.begin().await?;
    leads::move_all(
        &mut tx,
        actor.account.id,
        (p.id, cur.id),
        (p.id, target),
        actor.user.id,
        now,
    )
    .await?;
    pipelines::delete_status(&mut tx, actor.account.id, p.id, cur.id).await?;
    tx.commit().await?;
    Ok(())
}
