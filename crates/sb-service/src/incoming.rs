//! Incoming leads (C7, V7; Kommo's "unsorted", §16): the leads waiting in a pipeline's
//! system incoming stage, put there by an integration — telephony for an unknown caller
//! (`AutoCreate::IncomingLead`), or any client creating a lead in that stage through
//! the API (a web form). A manager accepts one (it moves to a working stage and gets an
//! owner), declines it as spam (closed as lost) or links it to an existing lead (the
//! call moves there, the incoming lead is closed as a declined one is).
//!
//! There is no table of its own: an incoming lead is a lead in the incoming stage, its
//! category is whether a call is attached to it, and its metadata is that call's
//! session and note. The web inbox and the Kommo API's `/api/v4/leads/unsorted` both
//! answer from these functions, so rights and validation live here only.

use crate::events::{EventKind, Recorder};
use crate::leads::{self as lead_svc, LeadInput};
use crate::{Actor, Ctx, ItemErrors, Page, ServiceError};
use sb_domain::calls::{CallDirection, CallSession};
use sb_domain::entities::CardKind;
use sb_domain::feed::{note_types as nt, Note};
use sb_domain::fields::FieldError;
use sb_domain::leads::Lead;
use sb_domain::pipelines::{Pipeline, StatusType, LOST};
use sb_domain::{
    Action, CallId, EntityKind, LeadId, NoteId, PipelineId, StatusId, UserId, Visibility,
};
use sb_store::calls::{self, CallLinks};
use sb_store::leads::{self, LeadFilter, OrderBy};
use sb_store::notes::{self, NoteFilter};
use sb_store::{cards, DbConn};
use serde_json::json;
use std::collections::HashMap;

/// Where an incoming lead came from (Kommo's `category`). Only calls and API-created
/// leads exist here; Kommo's `chats` and `mail` have no source in Switchboard yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// A call is attached to the lead (telephony, or `POST /api/v4/calls`).
    Sip,
    /// Anything else: a lead an integration created in the incoming stage.
    Forms,
}

impl Category {
    pub const ALL: [Category; 2] = [Category::Sip, Category::Forms];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Sip => "sip",
            Category::Forms => "forms",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        match s {
            "sip" => Some(Category::Sip),
            "forms" => Some(Category::Forms),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct IncomingQuery {
    pub page: i64,
    pub limit: i64,
    pub pipeline_id: Option<i64>,
    pub category: Option<Category>,
}

/// A contact or company of an incoming lead, as the inbox names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardName {
    pub id: i64,
    pub name: String,
}

/// A call attached to an incoming lead, from its stored session and note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    pub call_id: CallId,
    /// The caller (for an outgoing call, the number called), E.164 when it parsed.
    pub phone: Option<String>,
    /// When the call started (the session's first event when the PBX sent no start).
    pub called_at: i64,
    /// Seconds; `None` while the PBX has not reported it.
    pub duration_s: Option<i64>,
    pub direction: CallDirection,
    /// Our number the customer dialled (the PBX's called DID).
    pub virtual_number: Option<String>,
    pub has_recording: bool,
    /// The recording as the feed and the API link it (the call note's `link`).
    pub recording_link: Option<String>,
}

/// One entry of the inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingLead {
    pub lead: Lead,
    /// The main contact, if the caller may see it.
    pub contact: Option<CardName>,
    /// The lead's company, if the caller may see it.
    pub company: Option<CardName>,
    pub category: Category,
    /// The calls attached to the lead, newest first (empty for `Forms`).
    pub calls: Vec<IncomingCall>,
}

/// What accepting or declining answers: the lead as it is now and what hangs off it
/// (the shape Kommo's accept/decline answer needs).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub lead: Lead,
    pub category: Category,
    pub contact_ids: Vec<i64>,
    pub company_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct AcceptInput {
    /// A regular stage of the lead's pipeline; by default its first one.
    pub status_id: Option<i64>,
    /// By default the lead keeps its owner, or (having none) gets the caller.
    pub responsible_user_id: Option<UserId>,
}

/// What linking answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked {
    /// The incoming lead, now closed.
    pub lead: Lead,
    pub target_lead_id: LeadId,
    /// The call notes added to the target lead.
    pub note_ids: Vec<NoteId>,
}

/// Incoming leads of one pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineSummary {
    pub pipeline_id: PipelineId,
    pub total: i64,
    /// Per category, every category present (zero included).
    pub categories: Vec<(Category, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub total: i64,
    /// Every pipeline of the account, in its order.
    pub pipelines: Vec<PipelineSummary>,
}

/// The incoming stage of each pipeline (`only`: of that one).
fn incoming_stages(ps: &[Pipeline], only: Option<i64>) -> Vec<(PipelineId, StatusId)> {
    ps.iter()
        .filter(|p| only.is_none_or(|id| p.id.0 == id))
        .filter_map(|p| p.incoming_status().map(|s| (p.id, s.id)))
        .collect()
}

fn is_incoming(ps: &[Pipeline], l: &Lead) -> bool {
    ps.iter()
        .find(|p| p.id == l.pipeline_id)
        .and_then(|p| p.status(l.status_id))
        .is_some_and(|s| s.status_type == StatusType::Incoming)
}

/// The inbox: incoming leads of every pipeline (or one) the caller may see, newest first.
#[tracing::instrument(skip_all, fields(account = actor.account.id.0))]
pub async fn list(
    ctx: &Ctx,
    actor: &Actor,
    q: IncomingQuery,
) -> Result<Page<IncomingLead>, ServiceError> {
    let limit = q.limit.clamp(1, crate::cards::MAX_LIMIT);
    let page = q.page.max(1);
    let empty = Page {
        items: Vec::new(),
        page,
        limit,
        has_next: false,
    };
    let vis = actor.visibility(EntityKind::Leads, Action::View);
    if vis == Visibility::None {
        return Ok(empty);
    }
    let ps = crate::pipelines::list(ctx, actor).await?;
    let stages = incoming_stages(&ps, q.pipeline_id);
    if stages.is_empty() {
        return Ok(empty);
    }
    let f = LeadFilter {
        statuses: stages,
        has_call: q.category.map(|c| c == Category::Sip),
        order_by: OrderBy::CreatedAt,
        desc: true,
        limit: limit + 1,
        offset: (page - 1) * limit,
        ..Default::default()
    };
    let mut c = ctx.db.conn().await?;
    let mut found = leads::list(&mut c, actor.account.id, &f, vis).await?;
    let has_next = found.len() as i64 > limit;
    found.truncate(limit as usize);
    let items = entries(&mut c, actor, found).await?;
    Ok(Page {
        items,
        page,
        limit,
        has_next,
    })
}

/// One incoming lead, as the inbox shows it; `NotFound` when it is not visible or no
/// longer incoming.
#[tracing::instrument(skip_all, fields(account = actor.account.id.0, lead = lead_id))]
pub async fn get(ctx: &Ctx, actor: &Actor, lead_id: i64) -> Result<IncomingLead, ServiceError> {
    let vis = actor.visibility(EntityKind::Leads, Action::View);
    let ps = crate::pipelines::list(ctx, actor).await?;
    let mut c = ctx.db.conn().await?;
    let lead = leads::get(&mut c, actor.account.id, LeadId(lead_id), vis)
        .await?
        .filter(|l| is_incoming(&ps, l))
        .ok_or(ServiceError::NotFound)?;
    entries(&mut c, actor, vec![lead])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)
}

/// How many call notes of a page's leads are read to find their recording links. An
/// incoming lead gathers one note per call from an unknown number before someone sorts
/// it; past this, a call without its note still shows the link its session implies.
const MAX_CALL_NOTES: i64 = 1000;

/// The inbox entries of some leads: their visible contact and company, their calls.
async fn entries(
    c: &mut impl DbConn,
    actor: &Actor,
    found: Vec<Lead>,
) -> Result<Vec<IncomingLead>, ServiceError> {
    let account = actor.account.id;
    let ids: Vec<LeadId> = found.iter().map(|l| l.id).collect();
    let sessions = calls::for_leads(c, account, &ids).await?;
    let call_notes = notes::list(
        c,
        account,
        &NoteFilter {
            entity_type: Some(EntityKind::Leads),
            entity_ids: ids.iter().map(|l| l.0).collect(),
            note_types: vec![nt::CALL_IN.into(), nt::CALL_OUT.into()],
            limit: MAX_CALL_NOTES,
            ..Default::default()
        },
    )
    .await?;
    let main_contacts: HashMap<LeadId, i64> = leads::contacts_of(c, account, &ids)
        .await?
        .into_iter()
        .filter(|x| x.is_main)
        .map(|x| (x.lead_id, x.contact_id.0))
        .collect();
    let contact_ids: Vec<i64> = main_contacts.values().copied().collect();
    let contacts = names(c, actor, CardKind::Contact, &contact_ids).await?;
    let company_ids: Vec<i64> = found
        .iter()
        .filter_map(|l| l.company_id.map(|x| x.0))
        .collect();
    let companies = names(c, actor, CardKind::Company, &company_ids).await?;
    Ok(found
        .into_iter()
        .map(|lead| {
            let calls: Vec<IncomingCall> = sessions
                .iter()
                .filter(|s| s.data.lead_id == Some(lead.id))
                .map(|s| call_of(s, &call_notes, lead.id))
                .collect();
            let contact = main_contacts
                .get(&lead.id)
                .and_then(|id| contacts.get(id))
                .cloned();
            let company = lead.company_id.and_then(|id| companies.get(&id.0)).cloned();
            IncomingLead {
                category: if calls.is_empty() {
                    Category::Forms
                } else {
                    Category::Sip
                },
                lead,
                contact,
                company,
                calls,
            }
        })
        .collect())
}

/// Names of the cards among `ids` the caller may see.
async fn names(
    c: &mut impl DbConn,
    actor: &Actor,
    kind: CardKind,
    ids: &[i64],
) -> Result<HashMap<i64, CardName>, ServiceError> {
    let vis = actor.visibility(kind.entity_kind(), Action::View);
    if vis == Visibility::None {
        return Ok(HashMap::new());
    }
    Ok(cards::get_many(c, actor.account.id, kind, ids, vis)
        .await?
        .into_iter()
        .map(|k| {
            (
                k.id,
                CardName {
                    id: k.id,
                    name: k.name,
                },
            )
        })
        .collect())
}

/// A call as the inbox shows it. The recording link is the one on the call's note on
/// the lead (what the feed plays: our player for a PBX recording, the client's URL for
/// a call logged through the API); a recording that arrived after the note was written
/// is played through the same path the note would name.
fn call_of(s: &CallSession, lead_notes: &[Note], lead: LeadId) -> IncomingCall {
    let d = &s.data;
    let note_link = lead_notes
        .iter()
        .filter(|n| n.entity_id == lead.0)
        .find(|n| n.params["uniq"].as_str() == Some(s.provider_call_id.as_str()))
        .and_then(|n| n.params["link"].as_str())
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let recording_link = note_link.or_else(|| {
        d.recording_id
            .as_ref()
            .map(|_| format!("/api/v4/calls/{}/recording", s.id.0))
    });
    IncomingCall {
        call_id: s.id,
        phone: d.customer_e164.clone().or_else(|| d.customer_phone.clone()),
        called_at: d.started_at.unwrap_or(s.created_at),
        duration_s: d.duration_s,
        direction: d.direction,
        virtual_number: d.our_number.clone(),
        has_recording: recording_link.is_some(),
        recording_link,
    }
}

/// Refuses a caller without the edit right on leads at all (the scope of each lead is
/// checked where it is read, by the update it goes through).
fn require_edit(actor: &Actor) -> Result<(), ServiceError> {
    if actor.can(EntityKind::Leads, Action::Edit) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("you may not edit leads".into()))
    }
}

fn invalid(path: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Validation(vec![ItemErrors {
        request_id: "0".into(),
        errors: vec![FieldError::new("NotSupportedChoice", path, message)],
    }])
}

/// Accepts an incoming lead: it moves to `status_id` (a regular stage of its pipeline,
/// by default the first) and gets its owner, recording the events an update records.
#[tracing::instrument(skip_all, fields(account = actor.account.id.0, lead = lead_id))]
pub async fn accept(
    ctx: &Ctx,
    actor: &Actor,
    lead_id: i64,
    input: AcceptInput,
) -> Result<Outcome, ServiceError> {
    require_edit(actor)?;
    let ps = crate::pipelines::list(ctx, actor).await?;
    let probe = [LeadInput {
        id: Some(lead_id),
        responsible_user_id: input.responsible_user_id.map(|u| u.0),
        ..Default::default()
    }];
    let ck = lead_svc::update_checks(ctx, actor, &probe).await?;
    let mut tx = ctx.db.begin().await?;
    let lead = locked_incoming(&mut tx, actor, &ps, lead_id).await?;
    let Some(pipeline) = ps.iter().find(|p| p.id == lead.pipeline_id) else {
        return Err(ServiceError::NotFound);
    };
    let status = match input.status_id {
        Some(sid) => pipeline
            .status(StatusId(sid))
            .filter(|s| !s.is_system())
            .ok_or_else(|| {
                invalid(
                    "status_id",
                    format!(
                        "Stage {sid} is not a working stage of pipeline {}.",
                        pipeline.id.0
                    ),
                )
            })?,
        None => pipeline
            .statuses
            .iter()
            .filter(|s| !s.is_system())
            .min_by_key(|s| (s.sort, s.id))
            .ok_or_else(|| invalid("status_id", "The pipeline has no working stage."))?,
    };
    let owner = input
        .responsible_user_id
        .or(lead.responsible_user_id)
        .unwrap_or(actor.user.id);
    let item = LeadInput {
        id: Some(lead_id),
        pipeline_id: Some(pipeline.id.0),
        status_id: Some(status.id.0),
        responsible_user_id: Some(owner.0),
        ..Default::default()
    };
    let done = close_or_move(ctx, actor, &ck, &mut tx, lead, item).await?;
    tx.commit().await?;
    Ok(done)
}

/// Declines an incoming lead as spam: closed as lost (143 of its pipeline), so it
/// leaves the inbox; the events are an update's.
#[tracing::instrument(skip_all, fields(account = actor.account.id.0, lead = lead_id))]
pub async fn decline(ctx: &Ctx, actor: &Actor, lead_id: i64) -> Result<Outcome, ServiceError> {
    require_edit(actor)?;
    let ps = crate::pipelines::list(ctx, actor).await?;
    let probe = [LeadInput {
        id: Some(lead_id),
        ..Default::default()
    }];
    let ck = lead_svc::update_checks(ctx, actor, &probe).await?;
    let mut tx = ctx.db.begin().await?;
    let lead = locked_incoming(&mut tx, actor, &ps, lead_id).await?;
    let item = decline_item(actor, &lead);
    let done = close_or_move(ctx, actor, &ck, &mut tx, lead, item).await?;
    tx.commit().await?;
    Ok(done)
}

/// The update that declines `lead`: lost, and owned (a lead out of the incoming stage
/// always has an owner) by whoever declined it when nobody owned it.
fn decline_item(actor: &Actor, lead: &Lead) -> LeadInput {
    LeadInput {
        id: Some(lead.id.0),
        pipeline_id: Some(lead.pipeline_id.0),
        status_id: Some(LOST.0),
        responsible_user_id: Some(lead.responsible_user_id.unwrap_or(actor.user.id).0),
        ..Default::default()
    }
}

/// The incoming lead `id` inside the caller's view scope, read and held in `tx`;
/// `NotFound` when it is not there or has left the incoming stage (a concurrent accept
/// that committed first wins, the second finds nothing to do).
async fn locked_incoming(
    tx: &mut sb_store::Tx,
    actor: &Actor,
    ps: &[Pipeline],
    id: i64,
) -> Result<Lead, ServiceError> {
    let view = actor.visibility(EntityKind::Leads, Action::View);
    leads::lock_many(tx, actor.account.id, &[LeadId(id)], view)
        .await?
        .pop()
        .filter(|l| is_incoming(ps, l))
        .ok_or(ServiceError::NotFound)
}

/// Runs the lead update `item` (for `lead`, held in `tx`) as `leads::update` runs it
/// — edit scope, users, stages, events — and answers the lead's outcome.
async fn close_or_move(
    ctx: &Ctx,
    actor: &Actor,
    ck: &lead_svc::Checks,
    tx: &mut sb_store::Tx,
    lead: Lead,
    item: LeadInput,
) -> Result<Outcome, ServiceError> {
    let category = category_of(tx, actor, lead.id).await?;
    let existing = HashMap::from([(lead.id.0, lead)]);
    close_or_move_with(ctx, actor, ck, tx, existing, vec![item], category).await
}

async fn category_of(
    c: &mut impl DbConn,
    actor: &Actor,
    lead: LeadId,
) -> Result<Category, ServiceError> {
    Ok(
        if calls::for_leads(c, actor.account.id, &[lead])
            .await?
            .is_empty()
        {
            Category::Forms
        } else {
            Category::Sip
        },
    )
}

/// [`close_or_move`] for a batch (`existing`: its leads, held in `tx`); answers the
/// outcome of the first item's lead.
async fn close_or_move_with(
    ctx: &Ctx,
    actor: &Actor,
    ck: &lead_svc::Checks,
    tx: &mut sb_store::Tx,
    existing: HashMap<i64, Lead>,
    items: Vec<LeadInput>,
    category: Category,
) -> Result<Outcome, ServiceError> {
    let account = actor.account.id;
    let first = items
        .first()
        .and_then(|i| i.id)
        .ok_or(ServiceError::NotFound)?;
    let (writes, _) = lead_svc::plan_updates(ctx, actor, ck, items, &existing)?;
    let mut rec = Recorder::new(ctx, actor);
    lead_svc::write(tx, ctx, actor, &writes, &mut rec).await?;
    rec.write(tx).await?;
    let lead = writes
        .into_iter()
        .map(|w| w.lead)
        .find(|l| l.id.0 == first)
        .ok_or(ServiceError::NotFound)?;
    let contact_ids = leads::contacts_of(tx, account, &[lead.id])
        .await?
        .into_iter()
        .map(|x| x.contact_id.0)
        .collect();
    Ok(Outcome {
        company_id: lead.company_id.map(|c| c.0),
        lead,
        category,
        contact_ids,
    })
}

/// "This call belongs to an existing lead": the incoming lead's call notes are added
/// to `target_lead_id` (same params, so the target's feed plays the same recording and
/// the API answers the same note), its calls are re-attached there, its contacts become
/// the target's too (so the caller's next call lands on it), and the incoming lead is
/// closed as [`decline`] closes it.
///
/// Closed rather than deleted: its original note, its contact's history and the events
/// of what happened stay readable (and it can be reopened), while the inbox, which
/// lists only the incoming stage, no longer shows it.
#[tracing::instrument(skip_all, fields(account = actor.account.id.0, lead = lead_id, target = target_lead_id))]
pub async fn link(
    ctx: &Ctx,
    actor: &Actor,
    lead_id: i64,
    target_lead_id: i64,
) -> Result<Linked, ServiceError> {
    require_edit(actor)?;
    if lead_id == target_lead_id {
        return Err(invalid(
            "target_lead_id",
            "A lead cannot be linked to itself.",
        ));
    }
    let account = actor.account.id;
    let ps = crate::pipelines::list(ctx, actor).await?;
    let probe = [
        LeadInput {
            id: Some(lead_id),
            ..Default::default()
        },
        LeadInput {
            id: Some(target_lead_id),
            ..Default::default()
        },
    ];
    let ck = lead_svc::update_checks(ctx, actor, &probe).await?;
    let mut tx = ctx.db.begin().await?;
    let view = actor.visibility(EntityKind::Leads, Action::View);
    let mut held: HashMap<i64, Lead> = leads::lock_many(
        &mut tx,
        account,
        &[LeadId(lead_id), LeadId(target_lead_id)],
        view,
    )
    .await?
    .into_iter()
    .map(|l| (l.id.0, l))
    .collect();
    let lead = held
        .remove(&lead_id)
        .filter(|l| is_incoming(&ps, l))
        .ok_or(ServiceError::NotFound)?;
    let target = held.remove(&target_lead_id).ok_or(ServiceError::NotFound)?;
    if is_incoming(&ps, &target) {
        return Err(invalid(
            "target_lead_id",
            "The target is an incoming lead itself; accept it first.",
        ));
    }
    let now = ctx.now();
    // The update checks the edit scope of both leads; the target's row is rewritten
    // unchanged but for who touched it last, which it was.
    let items = vec![
        decline_item(actor, &lead),
        LeadInput {
            id: Some(target_lead_id),
            ..Default::default()
        },
    ];
    let existing: HashMap<i64, Lead> = [(lead.id.0, lead.clone()), (target.id.0, target.clone())]
        .into_iter()
        .collect();
    let sessions = calls::for_leads(&mut tx, account, &[lead.id]).await?;
    let category = if sessions.is_empty() {
        Category::Forms
    } else {
        Category::Sip
    };
    let closed = close_or_move_with(ctx, actor, &ck, &mut tx, existing, items, category).await?;
    let mut rec = Recorder::new(ctx, actor);
    // The call notes, copied with their time so the target's feed shows the call when
    // it happened.
    let originals = notes::list(
        &mut tx,
        account,
        &NoteFilter {
            entity_type: Some(EntityKind::Leads),
            entity_ids: vec![lead_id],
            note_types: vec![nt::CALL_IN.into(), nt::CALL_OUT.into()],
            asc: true,
            limit: MAX_CALL_NOTES,
            ..Default::default()
        },
    )
    .await?;
    let copies: Vec<Note> = originals
        .iter()
        .map(|n| Note {
            id: NoteId(ctx.next_id()),
            entity_id: target_lead_id,
            updated_at: now,
            is_pinned: false,
            ..n.clone()
        })
        .collect();
    notes::insert_many(&mut tx, &copies).await?;
    for n in &copies {
        let kind = if n.note_type == nt::CALL_OUT {
            EventKind::OutgoingCall
        } else {
            EventKind::IncomingCall
        };
        rec.record(
            kind,
            EntityKind::Leads,
            target_lead_id,
            json!([]),
            json!([{ "note": { "id": n.id.0 } }]),
        );
    }
    for s in &sessions {
        let links = CallLinks {
            lead_id: Some(target.id),
            ..Default::default()
        };
        calls::set_links(&mut tx, account, s.id, &links, now).await?;
    }
    // The caller's contacts the actor may see join the target lead.
    let contact_vis = actor.visibility(EntityKind::Contacts, Action::View);
    let theirs: Vec<i64> = leads::contacts_of(&mut tx, account, &[lead.id])
        .await?
        .into_iter()
        .map(|x| x.contact_id.0)
        .collect();
    let on_target: Vec<i64> = leads::contacts_of(&mut tx, account, &[target.id])
        .await?
        .into_iter()
        .map(|x| x.contact_id.0)
        .collect();
    let joining: Vec<i64> = theirs
        .into_iter()
        .filter(|c| !on_target.contains(c))
        .collect();
    if contact_vis != Visibility::None {
        for k in cards::get_many(&mut tx, account, CardKind::Contact, &joining, contact_vis).await?
        {
            leads::add_contact(
                &mut tx,
                account,
                target.id,
                sb_domain::ContactId(k.id),
                false,
            )
            .await?;
            rec.link(
                true,
                EntityKind::Leads,
                target_lead_id,
                EntityKind::Contacts,
                k.id,
            );
        }
    }
    rec.write(&mut tx).await?;
    tx.commit().await?;
    Ok(Linked {
        lead: closed.lead,
        target_lead_id: target.id,
        note_ids: copies.iter().map(|n| n.id).collect(),
    })
}

/// Most leads [`link_targets`] offers.
pub const MAX_TARGETS: i64 = 20;

/// Leads an incoming lead may be linked to, for a search box: inside the caller's view
/// scope (in SQL), matching `query` by name or phone, newest first, never an incoming
/// lead ([`link`] refuses those). Empty for an empty query.
#[tracing::instrument(skip_all, fields(account = actor.account.id.0))]
pub async fn link_targets(
    ctx: &Ctx,
    actor: &Actor,
    query: &str,
) -> Result<Vec<Lead>, ServiceError> {
    if query.trim().is_empty() {
        return Ok(Vec::new());
    }
    let ps = crate::pipelines::list(ctx, actor).await?;
    let found = lead_svc::list(
        ctx,
        actor,
        lead_svc::ListParams {
            page: 1,
            // A few more, for the incoming ones dropped below.
            limit: MAX_TARGETS * 2,
            query: Some(query.to_string()),
            order_by: OrderBy::CreatedAt,
            desc: true,
            ..Default::default()
        },
    )
    .await?;
    Ok(found
        .items
        .into_iter()
        .map(|v| v.lead)
        .filter(|l| !is_incoming(&ps, l))
        .take(MAX_TARGETS as usize)
        .collect())
}

/// The recording of a call of an incoming lead, for the inbox's player: only of a lead
/// the caller may see, and only of a call attached to it.
#[tracing::instrument(skip_all, fields(account = actor.account.id.0, lead = lead_id, call = call_id))]
pub async fn recording(
    ctx: &Ctx,
    actor: &Actor,
    lead_id: i64,
    call_id: i64,
) -> Result<(Vec<u8>, &'static str), ServiceError> {
    let entry = get(ctx, actor, lead_id).await?;
    if !entry.calls.iter().any(|c| c.call_id.0 == call_id) {
        return Err(ServiceError::NotFound);
    }
    crate::telephony::work::recording(ctx, actor.account.id, CallId(call_id)).await
}

/// Incoming leads the caller may see, per pipeline and category.
#[tracing::instrument(skip_all, fields(account = actor.account.id.0))]
pub async fn summary(ctx: &Ctx, actor: &Actor) -> Result<Summary, ServiceError> {
    let ps = crate::pipelines::list(ctx, actor).await?;
    let vis = actor.visibility(EntityKind::Leads, Action::View);
    let stages = incoming_stages(&ps, None);
    let counts = if vis == Visibility::None || stages.is_empty() {
        Vec::new()
    } else {
        let f = LeadFilter {
            statuses: stages,
            ..Default::default()
        };
        let mut c = ctx.db.conn().await?;
        leads::count_by_call(&mut c, actor.account.id, &f, vis).await?
    };
    let pipelines: Vec<PipelineSummary> = ps
        .iter()
        .map(|p| {
            let n = |with_call: bool| {
                counts
                    .iter()
                    .filter(|(pid, call, _)| *pid == p.id && *call == with_call)
                    .map(|(_, _, n)| *n)
                    .sum::<i64>()
            };
            let (sip, forms) = (n(true), n(false));
            PipelineSummary {
                pipeline_id: p.id,
                total: sip + forms,
                categories: vec![(Category::Sip, sip), (Category::Forms, forms)],
            }
        })
        .collect();
    Ok(Summary {
        total: pipelines.iter().map(|p| p.total).sum(),
        pipelines,
    })
}
