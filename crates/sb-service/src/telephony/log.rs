//! `POST /api/v4/calls` (V4): Kommo's bulk call logging for telephony services that
//! push finished calls. Each call is matched by phone with the caller's rights and
//! attached as a call note (on the card's only open lead too); unknown numbers follow
//! the account's P6 setting; each item succeeds or fails on its own. `uniq` makes a
//! repeated post harmless.

use super::settings::{AutoCreate, Settings};
use super::work::{create_for_unknown, place_phone};
use crate::events::{EventKind, Recorder};
use crate::{Actor, Ctx, ServiceError};
use sb_domain::calls::{CallDirection, CallPatch, CallState};
use sb_domain::entities::CardKind;
use sb_domain::feed::Note;
use sb_domain::fields::FieldError;
use sb_domain::{Action, EntityKind, IntegrationId, NoteId, Phone, UserId};
use sb_store::calls::{self, CallLinks};
use sb_store::{integrations, notes, users};
use serde::Deserialize;
use serde_json::{json, Value};

/// Calls logged through the API live beside PBX calls under this pseudo-integration.
pub const API_INTEGRATION: IntegrationId = IntegrationId(0);

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallLogInput {
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub duration: Option<i64>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub uniq: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub call_result: Option<String>,
    #[serde(default)]
    pub call_status: Option<i64>,
    #[serde(default)]
    pub call_responsible: Option<Value>,
    #[serde(default)]
    pub responsible_user_id: Option<i64>,
    #[serde(default)]
    pub created_by: Option<i64>,
    #[serde(default)]
    pub created_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoggedCall {
    pub id: i64,
    pub request_id: String,
    pub entity_type: &'static str,
    pub entity_id: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallLogError {
    pub request_id: String,
    pub title: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

pub async fn log_calls(
    ctx: &Ctx,
    actor: &Actor,
    items: Vec<(String, CallLogInput)>,
) -> Result<(Vec<LoggedCall>, Vec<CallLogError>), ServiceError> {
    if items.is_empty() || items.len() > crate::cards::MAX_BATCH {
        return Err(ServiceError::BadRequest(format!(
            "send between 1 and {} calls",
            crate::cards::MAX_BATCH
        )));
    }
    let mut c = ctx.db.conn().await?;
    let account_users: Vec<i64> = users::list(&mut c, actor.account.id)
        .await?
        .iter()
        .map(|u| u.id.0)
        .collect();
    let settings = integrations::list(&mut c, actor.account.id, None)
        .await?
        .into_iter()
        .find(|i| i.is_active)
        .map(|i| super::usable_settings(&super::at_rest::open(&ctx.vault, i)))
        .transpose()?;
    drop(c);
    let vis = [
        actor.visibility(EntityKind::Contacts, Action::View),
        actor.visibility(EntityKind::Companies, Action::View),
    ];
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for (rid, item) in items {
        let mut fe = Vec::new();
        let direction = match item.direction.as_deref() {
            Some("inbound") => Some(CallDirection::Inbound),
            Some("outbound") => Some(CallDirection::Outbound),
            Some(_) => {
                fe.push(FieldError::not_supported("direction"));
                None
            }
            None => {
                fe.push(FieldError::required("direction"));
                None
            }
        };
        match item.duration {
            Some(d) if d >= 0 => {}
            Some(_) => fe.push(FieldError::new(
                "InvalidValue",
                "duration",
                "The duration cannot be negative.",
            )),
            None => fe.push(FieldError::required("duration")),
        }
        if item.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
            fe.push(FieldError::required("source"));
        }
        let phone = item
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Phone::parse(p, &actor.account.country));
        if phone.is_none() {
            fe.push(FieldError::required("phone"));
        }
        if item.call_status.is_some_and(|s| !(1..=7).contains(&s)) {
            fe.push(FieldError::not_supported("call_status"));
        }
        for (path, u) in [
            ("responsible_user_id", item.responsible_user_id),
            ("created_by", item.created_by),
        ] {
            if u.is_some_and(|u| u != 0 && !account_users.contains(&u)) {
                fe.push(FieldError::not_supported(path));
            }
        }
        let (Some(direction), Some(phone), true) = (direction, phone, fe.is_empty()) else {
            errors.push(CallLogError {
                request_id: rid,
                title: "Validation failed".into(),
                detail: "The call has invalid fields.".into(),
                errors: fe,
            });
            continue;
        };
        match log_one(
            ctx,
            actor,
            &rid,
            &item,
            direction,
            &phone,
            vis,
            settings.as_ref(),
        )
        .await?
        {
            Ok(done) => ok.push(done),
            Err(detail) => errors.push(CallLogError {
                request_id: rid,
                title: "Entity not found".into(),
                detail,
                errors: vec![],
            }),
        }
    }
    Ok((ok, errors))
}

#[allow(clippy::too_many_arguments)]
async fn log_one(
    ctx: &Ctx,
    actor: &Actor,
    rid: &str,
    item: &CallLogInput,
    direction: CallDirection,
    phone: &Phone,
    vis: [sb_domain::Visibility; 2],
    settings: Option<&Settings>,
) -> Result<Result<LoggedCall, String>, ServiceError> {
    let now = ctx.now();
    let account = actor.account.id;
    let uniq = item
        .uniq
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| format!("api-{}", ctx.next_id()));
    let mut tx = ctx.db.begin().await?;
    if let Some(existing) =
        calls::get_by_provider_id(&mut tx, account, API_INTEGRATION, &uniq).await?
    {
        if let Some(note) = existing.data.note_id {
            let (entity_type, entity_id) = match (
                existing.data.lead_id,
                existing.data.contact_id,
                existing.data.company_id,
            ) {
                (Some(l), _, _) => ("lead", l.0),
                (None, Some(c), _) => ("contact", c.0),
                (None, None, Some(c)) => ("company", c.0),
                _ => ("contact", 0),
            };
            let _ = note;
            return Ok(Ok(LoggedCall {
                id: existing.id.0,
                request_id: rid.to_string(),
                entity_type,
                entity_id,
            }));
        }
    }
    let user = item
        .responsible_user_id
        .or(item.created_by)
        .filter(|u| *u != 0)
        .map(UserId);
    let patch = CallPatch {
        direction,
        state: Some(CallState::Ended),
        customer_phone: Some(phone.raw.clone()),
        customer_e164: phone.e164.clone(),
        user_id: user,
        disposition: Some(
            if item.call_status == Some(4) || item.duration.unwrap_or(0) > 0 {
                "answered"
            } else {
                "no answer"
            }
            .to_string(),
        ),
        duration_s: item.duration,
        started_at: Some(item.created_at.map(|s| s * 1000).unwrap_or(now)),
        ended_at: Some(now),
        ..Default::default()
    };
    let applied = calls::apply(&mut tx, account, API_INTEGRATION, &uniq, &patch, now).await?;
    let mut place = place_phone(&mut tx, account, phone, vis).await?;
    if place.is_none() {
        let mode = settings.map(|s| s.auto_create).unwrap_or(AutoCreate::None);
        let allowed = mode != AutoCreate::None
            && (direction == CallDirection::Inbound
                || settings.is_some_and(|s| s.auto_create_outgoing))
            && actor.can(EntityKind::Contacts, Action::Add);
        if !allowed {
            tx.rollback().await?;
            return Ok(Err(format!(
                "No contact or company has the number {}",
                phone.raw
            )));
        }
        place = Some(
            create_for_unknown(
                ctx,
                &mut tx,
                account,
                &actor.account.country,
                mode,
                phone,
                user.or(Some(actor.user.id)),
                &applied.session,
            )
            .await?,
        );
    }
    let Some(pl) = place else {
        tx.rollback().await?;
        return Ok(Err("no card".into()));
    };
    let note_type = if direction == CallDirection::Inbound {
        "call_in"
    } else {
        "call_out"
    };
    let params = json!({
        "uniq": uniq, "duration": item.duration.unwrap_or(0), "source": item.source, "link": item.link,
        "phone": phone.e164.clone().unwrap_or_else(|| phone.raw.clone()), "call_status": item.call_status,
        "call_result": item.call_result, "call_responsible": item.call_responsible,
    });
    let (entity, entity_id) = match pl.lead {
        Some(l) => (EntityKind::Leads, l.0),
        None => (pl.kind.entity_kind(), pl.id),
    };
    let by = item
        .created_by
        .filter(|u| *u != 0)
        .map(UserId)
        .unwrap_or(UserId(0));
    let note = Note {
        id: NoteId(ctx.next_id()),
        account_id: account,
        entity_type: entity,
        entity_id,
        note_type: note_type.into(),
        params,
        created_by: by,
        updated_by: by,
        responsible_user_id: user.or(pl.responsible),
        created_at: item.created_at.map(|s| s * 1000).unwrap_or(now),
        updated_at: now,
        is_pinned: false,
    };
    notes::insert(&mut tx, &note).await?;
    let mut rec = Recorder::on_behalf(ctx, account, Some(by));
    let kind = if direction == CallDirection::Inbound {
        EventKind::IncomingCall
    } else {
        EventKind::OutgoingCall
    };
    rec.record(
        kind,
        entity,
        entity_id,
        json!([]),
        json!([{ "note": { "id": note.id.0 } }]),
    );
    rec.write(&mut tx).await?;
    let links = CallLinks {
        contact_id: (pl.kind == CardKind::Contact).then_some(sb_domain::ContactId(pl.id)),
        company_id: (pl.kind == CardKind::Company).then_some(sb_domain::CompanyId(pl.id)),
        lead_id: pl.lead,
        note_id: Some(note.id),
    };
    calls::set_links(&mut tx, account, applied.session.id, &links, now).await?;
    tx.commit().await?;
    Ok(Ok(LoggedCall {
        id: applied.session.id.0,
        request_id: rid.to_string(),
        entity_type: entity.singular(),
        entity_id,
    }))
}
