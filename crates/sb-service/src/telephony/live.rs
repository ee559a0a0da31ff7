//! What a signed-in user's browser shows of calls as they happen: the calls in progress
//! that concern them (a reconnecting tab re-syncs its pop-ups from these), the result a
//! manager writes at the end of a call (V5), and the supervisors' live board of who is
//! on a call right now.

use super::hub::LiveEvent;
use crate::{Actor, Ctx, ServiceError};
use sb_domain::calls::{CallSession, CallState, DISPOSITION_ANSWERED};
use sb_domain::entities::{CardKind, User};
use sb_domain::leads::Lead;
use sb_domain::{Action, CallId, EntityKind, LeadId, UserId, Visibility};
use sb_store::calls::{self, CallFilter};
use sb_store::{cards, leads, notes, users};
use serde_json::json;

/// A call still ringing or in conversation after this long is taken for one whose end
/// the PBX never sent: it is not shown as in progress.
pub const STALE_MS: i64 = 4 * 3600 * 1000;

/// At most this many calls in progress are read at once (an account's lines).
const IN_PROGRESS_LIMIT: i64 = 500;

async fn calls_in_progress(ctx: &Ctx, actor: &Actor) -> Result<Vec<CallSession>, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let f = CallFilter {
        states: vec![CallState::Ringing, CallState::Answered],
        created_from: Some(ctx.now() - STALE_MS),
        limit: IN_PROGRESS_LIMIT,
        ..Default::default()
    };
    Ok(calls::list(&mut c, actor.account.id, &f).await?)
}

/// The card a call is with (contact first) and its responsible user.
async fn card_of(
    ctx: &Ctx,
    actor: &Actor,
    s: &CallSession,
) -> Result<Option<sb_domain::entities::Card>, ServiceError> {
    let (kind, id) = match (s.data.contact_id, s.data.company_id) {
        (Some(c), _) => (CardKind::Contact, c.0),
        (None, Some(c)) => (CardKind::Company, c.0),
        _ => return Ok(None),
    };
    let mut c = ctx.db.conn().await?;
    Ok(cards::get(&mut c, actor.account.id, kind, id, Visibility::All).await?)
}

/// The card a call is on, as live events name it: `("contact"|"company", id)`.
pub(crate) fn card_ref(d: &sb_domain::calls::CallSessionState) -> (Option<String>, Option<i64>) {
    match (d.contact_id, d.company_id) {
        (Some(c), _) => (Some("contact".to_string()), Some(c.0)),
        (None, Some(c)) => (Some("company".to_string()), Some(c.0)),
        _ => (None, None),
    }
}

fn event_of(s: &CallSession, responsible: Option<UserId>, now: i64) -> LiveEvent {
    let d = &s.data;
    let (entity_type, entity_id) = card_ref(d);
    LiveEvent {
        kind: if d.state == CallState::Answered {
            "answered"
        } else {
            "ringing"
        }
        .into(),
        call_id: Some(s.id.0),
        direction: Some(d.direction.as_str().into()),
        phone: d.customer_e164.clone().or_else(|| d.customer_phone.clone()),
        name: d.caller_name.clone(),
        entity_type,
        entity_id,
        responsible_user_id: responsible.map(|u| u.0),
        user_id: d.user_id.map(|u| u.0),
        answered_at: d.answered_at,
        our_number: d.our_number.clone(),
        extension: d.extension.clone(),
        message: None,
        code: None,
        at: now,
        users: [d.user_id, responsible].into_iter().flatten().collect(),
    }
}

/// The calls in progress that concern the caller (they are on it, or they are the
/// caller's responsible manager), as the pop-ups show them: what a tab that just
/// (re)connected shows.
pub async fn in_progress(ctx: &Ctx, actor: &Actor) -> Result<Vec<LiveEvent>, ServiceError> {
    let me = actor.user.id;
    let mut out = Vec::new();
    for s in calls_in_progress(ctx, actor).await? {
        let responsible = card_of(ctx, actor, &s)
            .await?
            .and_then(|c| c.responsible_user_id);
        if s.data.user_id == Some(me) || responsible == Some(me) {
            out.push(event_of(&s, responsible, ctx.now()));
        }
    }
    out.reverse();
    Ok(out)
}

/// A call the caller may see: they were on it, or their rights let them see its card
/// (an admin sees every call). Anything else is the same "not found".
async fn visible_call(ctx: &Ctx, actor: &Actor, id: CallId) -> Result<CallSession, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let s = calls::get(&mut c, actor.account.id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    if actor.is_admin() || s.data.user_id == Some(actor.user.id) {
        return Ok(s);
    }
    if let Some(card) = card_of(ctx, actor, &s).await? {
        let kind = match card.kind {
            CardKind::Contact => EntityKind::Contacts,
            CardKind::Company => EntityKind::Companies,
        };
        let mut c = ctx.db.conn().await?;
        if actor
            .covers_owner(&mut c, kind, Action::View, card.responsible_user_id)
            .await?
        {
            return Ok(s);
        }
    }
    Err(ServiceError::NotFound)
}

/// What the call-result form offers (V5).
#[derive(Debug, Clone)]
pub struct ResultForm {
    pub call: CallSession,
    /// The card the call is on, when there is one: kind, id and name.
    pub card: Option<(CardKind, i64, String)>,
    /// The card's open leads the caller may see (one may be chosen to link the call to).
    pub leads: Vec<Lead>,
    /// The result already written, if any.
    pub text: String,
}

pub async fn result_form(ctx: &Ctx, actor: &Actor, id: CallId) -> Result<ResultForm, ServiceError> {
    let call = visible_call(ctx, actor, id).await?;
    let card = card_of(ctx, actor, &call).await?;
    let mut c = ctx.db.conn().await?;
    let lead_ids: Vec<LeadId> = match &card {
        Some(k) if k.kind == CardKind::Contact => leads::leads_of_contacts(
            &mut c,
            actor.account.id,
            &[sb_domain::ContactId(k.id)],
            Visibility::All,
        )
        .await?
        .into_iter()
        .map(|lc| lc.lead_id)
        .collect(),
        Some(k) => leads::leads_of_companies(
            &mut c,
            actor.account.id,
            &[sb_domain::CompanyId(k.id)],
            Visibility::All,
        )
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect(),
        None => Vec::new(),
    };
    let vis = actor.visibility(EntityKind::Leads, Action::View);
    let mut open: Vec<Lead> = leads::get_many(&mut c, actor.account.id, &lead_ids, vis)
        .await?
        .into_iter()
        .filter(|l| !l.is_closed())
        .collect();
    open.sort_by_key(|l| std::cmp::Reverse(l.updated_at));
    let text = match call.data.note_id {
        Some(n) => notes::get(&mut c, actor.account.id, n)
            .await?
            .and_then(|n| {
                n.params
                    .get("result_text")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(ResultForm {
        card: card.map(|k| (k.kind, k.id, k.name)),
        leads: open,
        text,
        call,
    })
}

/// Which lead the call is linked to by its result.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadChoice {
    Keep,
    Existing(LeadId),
    /// A new lead on the call's card, named so.
    New(String),
}

/// The longest result note kept.
pub const RESULT_MAX: usize = 4_000;

/// Saves the result of an ended call (V5): the text goes on the call's note (Kommo's
/// `call_result`, kept whole in `result_text`), and the call is linked to a lead (one
/// of the card's, or a new one), whose feed then shows the call too.
pub async fn save_result(
    ctx: &Ctx,
    actor: &Actor,
    id: CallId,
    text: &str,
    lead: LeadChoice,
) -> Result<(), ServiceError> {
    let text = text.trim();
    if text.chars().count() > RESULT_MAX {
        return Err(ServiceError::one(
            "0",
            sb_domain::fields::FieldError::new("InvalidLength", "text", "The result is too long."),
        ));
    }
    let form = result_form(ctx, actor, id).await?;
    if form.call.data.state != CallState::Ended {
        return Err(ServiceError::BadRequest(
            "the call is still in progress: its result is written when it ends".into(),
        ));
    }
    let lead_id = match lead {
        LeadChoice::Keep => None,
        LeadChoice::Existing(l) => {
            if !form.leads.iter().any(|x| x.id == l) {
                return Err(ServiceError::one(
                    "0",
                    sb_domain::fields::FieldError::new(
                        "NotFound",
                        "lead",
                        "This lead is not one of the caller's open leads.",
                    ),
                ));
            }
            Some(l)
        }
        LeadChoice::New(name) => {
            let Some((kind, card_id, card_name)) = &form.card else {
                return Err(ServiceError::one(
                    "0",
                    sb_domain::fields::FieldError::new(
                        "NoCard",
                        "lead",
                        "The call has no contact yet: create the contact first.",
                    ),
                ));
            };
            let name = if name.trim().is_empty() {
                card_name.clone()
            } else {
                name.trim().to_string()
            };
            let input = crate::leads::LeadInput {
                name: Some(name),
                responsible_user_id: Some(actor.user.id.0),
                contacts: (*kind == CardKind::Contact).then(|| {
                    vec![crate::leads::ContactLinkInput {
                        id: *card_id,
                        is_main: true,
                    }]
                }),
                company_id: (*kind == CardKind::Company).then_some(Some(*card_id)),
                ..Default::default()
            };
            let made = crate::leads::create(ctx, actor, vec![input]).await?;
            made.first().map(|r| LeadId(r.id))
        }
    };
    let account = actor.account.id;
    if let Some(l) = lead_id {
        let mut tx = ctx.db.begin().await?;
        let links = calls::CallLinks {
            lead_id: Some(l),
            ..Default::default()
        };
        // The call's own lead stays (coalesce); a call placed elsewhere gets its note
        // on the chosen lead below.
        calls::set_links(&mut tx, account, id, &links, ctx.now()).await?;
        tx.commit().await?;
    }
    // The call's note is written by the finalize job; a result may come first.
    super::work::finalize(ctx, account, id).await?;
    let mut tx = ctx.db.begin().await?;
    let call = calls::get(&mut tx, account, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = ctx.now();
    let Some(note_id) = call.data.note_id else {
        return Err(ServiceError::BadRequest(
            "the call is not on any card: create the contact first".into(),
        ));
    };
    let Some(mut note) = notes::get(&mut tx, account, note_id).await? else {
        return Err(ServiceError::NotFound);
    };
    set_result(&mut note.params, text);
    note.updated_by = actor.user.id;
    note.updated_at = now.max(note.updated_at + 1);
    notes::update(&mut tx, &note).await?;
    // Every other note of this call (the copy on its lead) says the same.
    let others = match call.data.lead_id {
        Some(l) => {
            let f = notes::NoteFilter {
                entity_type: Some(EntityKind::Leads),
                entity_ids: vec![l.0],
                note_types: vec![note.note_type.clone()],
                limit: 200,
                ..Default::default()
            };
            notes::list(&mut tx, account, &f)
                .await?
                .into_iter()
                .filter(|n| n.params.get("uniq") == note.params.get("uniq"))
                .collect()
        }
        None => Vec::new(),
    };
    let mut on_lead = None;
    for mut n in others {
        if n.id == note.id {
            continue;
        }
        if n.entity_type == EntityKind::Leads {
            on_lead.get_or_insert(n.entity_id);
        }
        set_result(&mut n.params, text);
        n.updated_by = actor.user.id;
        n.updated_at = now.max(n.updated_at + 1);
        notes::update(&mut tx, &n).await?;
    }
    if note.entity_type == EntityKind::Leads {
        on_lead.get_or_insert(note.entity_id);
    }
    if let Some(l) = lead_id.filter(|l| on_lead != Some(l.0)) {
        let copy = sb_domain::feed::Note {
            id: sb_domain::NoteId(ctx.next_id()),
            entity_type: EntityKind::Leads,
            entity_id: l.0,
            created_at: now,
            updated_at: now,
            is_pinned: false,
            ..note.clone()
        };
        notes::insert(&mut tx, &copy).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn set_result(params: &mut serde_json::Value, text: &str) {
    if let Some(o) = params.as_object_mut() {
        o.insert("result_text".into(), json!(text));
        if !text.is_empty() {
            o.insert("call_result".into(), json!(text));
        }
    }
}

// --- The live board ---

/// Whether the caller may watch the live board: admins, and users who see the contacts
/// of their group or of everyone.
pub fn can_supervise(actor: &Actor) -> bool {
    matches!(
        actor.visibility(EntityKind::Contacts, Action::View),
        Visibility::All | Visibility::Group(_)
    )
}

/// One manager's state on the board.
#[derive(Debug, Clone)]
pub struct AgentState {
    pub user: User,
    pub extension: Option<String>,
    /// The call they are on or being rung for, if any (the newest).
    pub call: Option<BoardCall>,
    pub missed_today: i64,
}

#[derive(Debug, Clone)]
pub struct BoardCall {
    pub id: CallId,
    pub answered: bool,
    pub inbound: bool,
    /// Since when ringing, or in conversation (ms).
    pub since: i64,
    pub phone: Option<String>,
    /// Who is on the other end, only when the supervisor may see that card.
    pub card: Option<(CardKind, i64, String)>,
}

/// Every active manager the caller supervises, with their state right now. `day_start`
/// is the start of today in the account's time zone (ms), for the missed calls.
pub async fn board(
    ctx: &Ctx,
    actor: &Actor,
    day_start: i64,
) -> Result<Vec<AgentState>, ServiceError> {
    if !can_supervise(actor) {
        return Err(ServiceError::Forbidden(
            "the live board is for supervisors".into(),
        ));
    }
    let vis = actor.visibility(EntityKind::Contacts, Action::View);
    let account = actor.account.id;
    let mut c = ctx.db.conn().await?;
    let people: Vec<User> = users::list(&mut c, account)
        .await?
        .into_iter()
        .filter(|u| u.is_active && vis.covers(Some(u.id), u.group_id))
        .collect();
    let missed = calls::missed_by_user(&mut c, account, day_start).await?;
    let mut exts: Vec<(i64, String)> = Vec::new();
    for i in sb_store::integrations::list(&mut c, account, None).await? {
        if i.is_active {
            for b in sb_store::integrations::list_extensions(&mut c, account, i.id).await? {
                exts.push((b.user_id.0, b.extension));
            }
        }
    }
    drop(c);
    let active = calls_in_progress(ctx, actor).await?;
    let mut out = Vec::new();
    for u in people {
        let call = match active.iter().find(|s| s.data.user_id == Some(u.id)) {
            Some(s) => {
                let card = match card_of(ctx, actor, s).await? {
                    Some(k) => {
                        let group = match k.responsible_user_id {
                            Some(r) => {
                                let mut c = ctx.db.conn().await?;
                                users::get(&mut c, account, r)
                                    .await?
                                    .and_then(|u| u.group_id)
                            }
                            None => None,
                        };
                        let kind = match k.kind {
                            CardKind::Contact => EntityKind::Contacts,
                            CardKind::Company => EntityKind::Companies,
                        };
                        actor
                            .visibility(kind, Action::View)
                            .covers(k.responsible_user_id, group)
                            .then_some((k.kind, k.id, k.name))
                    }
                    None => None,
                };
                let answered = s.data.state == CallState::Answered;
                Some(BoardCall {
                    id: s.id,
                    answered,
                    inbound: s.data.direction == sb_domain::calls::CallDirection::Inbound,
                    since: if answered {
                        s.data.answered_at
                    } else {
                        s.data.started_at
                    }
                    .unwrap_or(s.created_at),
                    phone: s
                        .data
                        .customer_e164
                        .clone()
                        .or_else(|| s.data.customer_phone.clone()),
                    card,
                })
            }
            None => None,
        };
        out.push(AgentState {
            missed_today: missed
                .iter()
                .find(|(id, _)| *id == u.id.0)
                .map(|(_, n)| *n)
                .unwrap_or(0),
            extension: exts
                .iter()
                .find(|(id, _)| *id == u.id.0)
                .map(|(_, e)| e.clone()),
            call,
            user: u,
        });
    }
    Ok(out)
}

/// Whether a call ended unanswered (for the pop-up's last words).
pub fn was_answered(disposition: Option<&str>) -> bool {
    disposition == Some(DISPOSITION_ANSWERED)
}
