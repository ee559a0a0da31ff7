//! Webhook ingest (P1, B5): verify, record durably and idempotently, answer fast.
//! An accepted event is committed (inbox row + call session merge + follow-up jobs in
//! one transaction) before the answer is sent; a redelivered event changes nothing;
//! out-of-order events converge on the same session. NOTIFY_START gets its routing
//! answer from one indexed lookup, with no outbound call on the way.

use super::hub::LiveEvent;
use super::routes::Route;
use super::settings::{AutoCreateAt, Settings};
use super::work;
use crate::{Ctx, ServiceError};
use sb_domain::calls::{CallChanges, CallDirection, CallPatch, CallSession, CallState};
use sb_domain::entities::{CardKind, PhoneMatch};
use sb_domain::integrations::Integration;
use sb_domain::report::Chain;
use sb_domain::{CompanyId, ContactId, Phone, UserId};
use sb_store::calls::{self, Applied, InboxEvent};
use sb_store::ingest::{self, EventWriter};
use sb_store::jobs::NewJob;
use sb_telephony::{
    CallControl, CallEvent, CallEventKind, Direction, InboundOutcome, InboundRequest, WebhookError,
};

/// The HTTP answer for the PBX.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookAnswer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl WebhookAnswer {
    fn text(status: u16, body: impl Into<String>) -> Self {
        WebhookAnswer {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }
}

/// Handles one request to `/hooks/{provider}/{token}`.
pub async fn handle(
    ctx: &Ctx,
    provider: &str,
    token: &str,
    req: &InboundRequest<'_>,
) -> WebhookAnswer {
    match handle_inner(ctx, provider, token, req).await {
        Ok(a) => a,
        Err(e) => {
            // A 5xx makes the PBX deliver again later; nothing was committed.
            tracing::error!(error = %Chain(&e), "webhook processing failed");
            WebhookAnswer::text(500, "temporary failure, please retry")
        }
    }
}

async fn handle_inner(
    ctx: &Ctx,
    provider: &str,
    token: &str,
    req: &InboundRequest<'_>,
) -> Result<WebhookAnswer, ServiceError> {
    let route = ctx
        .routes
        .get(ctx, token)
        .await?
        .filter(|r| r.integration.provider == provider && r.integration.is_active);
    let Some(route) = route else {
        return Ok(WebhookAnswer::text(404, "unknown webhook URL"));
    };
    let integration = &route.integration;
    let ready = match &route.ready {
        Ok(r) => r,
        Err(e) => {
            // Never accepted unverified, never lost: a 5xx makes the PBX deliver it again
            // later, by when an admin (alerted in the integration's settings) has fixed them.
            tracing::error!(integration = integration.id.0, error = %Chain(e), "webhook refused");
            return Ok(WebhookAnswer::text(
                503,
                "this integration's settings cannot be read; please retry later",
            ));
        }
    };
    let p = &ready.provider;
    let outcome = match p.parse_webhook(req) {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(integration = integration.id.0, error = %Chain(&e), "webhook refused");
            let status = match e {
                WebhookError::MissingSignature | WebhookError::BadSignature => 401,
                WebhookError::ForbiddenSource(_) => 403,
                WebhookError::Malformed(_) => 400,
            };
            // The admins' alert (counted, throttled): the refused request changes nothing else.
            if let Some(code) = super::alerts::webhook_code(&e) {
                let (account, id) = (integration.account_id, integration.id);
                super::alerts::raise(ctx, account, id, code, &e.to_string()).await;
            }
            return Ok(WebhookAnswer::text(status, e.to_string()));
        }
    };
    match outcome {
        InboundOutcome::Echo(v) => Ok(WebhookAnswer::text(200, v)),
        InboundOutcome::OtherEvent {
            name,
            fields,
            verified,
        } => {
            tracing::info!(integration = integration.id.0, event = %name, verified, "event not handled; acknowledged");
            if verified {
                let payload = serde_json::to_string(&fields).unwrap_or_default();
                let key = format!("{name}|{}", crate::auth::sha256_hex(&payload));
                let mut tx = ctx.db.begin().await?;
                let now = ctx.now();
                let e = InboxEvent {
                    id: ctx.next_id(),
                    account_id: integration.account_id,
                    integration_id: integration.id,
                    dedup_key: key,
                    event: name,
                    provider_call_id: None,
                    payload,
                    received_at: now,
                    processed_at: Some(now),
                    error: None,
                };
                calls::insert_inbox(&mut tx, &e).await?;
                tx.commit().await?;
            }
            Ok(WebhookAnswer::text(200, ""))
        }
        InboundOutcome::Event(ev) => {
            let control = record_event(ctx, &route, &ready.settings, &ev).await?;
            if ev.kind == CallEventKind::Start || ev.kind == CallEventKind::Ivr {
                let r = p.render_reply(&control);
                Ok(WebhookAnswer {
                    status: 200,
                    content_type: r.content_type,
                    body: r.body,
                })
            } else {
                Ok(WebhookAnswer::text(200, ""))
            }
        }
    }
}

/// Caller ID and routing for a ringing call (V3, V8, P7, P8, P10).
struct Decision {
    control: CallControl,
    matched: Option<PhoneMatch>,
}

async fn decide(
    ctx: &Ctx,
    r: &Route,
    s: &Settings,
    phone: Option<&Phone>,
) -> Result<Decision, ServiceError> {
    let mut d = Decision {
        control: CallControl::default(),
        matched: None,
    };
    let Some(phone) = phone else { return Ok(d) };
    let i = &r.integration;
    let check_blacklist = s.blacklist && r.has_blacklist;
    let caller = ingest::find_caller(&ctx.db, i.account_id, phone, check_blacklist).await?;
    if caller.blacklisted {
        d.control.blacklist = true;
        return Ok(d);
    }
    let Some(m) = caller.matches.into_iter().next() else {
        return Ok(d);
    };
    if s.show_caller_name && !m.name.trim().is_empty() {
        d.control.caller_name = Some(latin(&m.name));
    }
    if s.route_to_owner {
        if let Some(ext) = m.responsible_user_id.and_then(|u| r.extension_for_user(u)) {
            d.control.redirect_extension = Some(ext.to_string());
            d.control.return_timeout_s = Some(s.return_timeout_s);
        }
    }
    d.matched = Some(m);
    Ok(d)
}

/// A name in Latin letters for IP phones (P8): "Иван Петров" -> "Ivan Petrov".
pub fn latin(name: &str) -> String {
    let t = deunicode::deunicode(name);
    let cleaned: String = t
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .collect();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(40)
        .collect()
}

fn state_of(kind: CallEventKind) -> Option<CallState> {
    match kind {
        CallEventKind::Start
        | CallEventKind::Internal
        | CallEventKind::OutStart
        | CallEventKind::Ivr => Some(CallState::Ringing),
        CallEventKind::Answer => Some(CallState::Answered),
        CallEventKind::End | CallEventKind::OutEnd => Some(CallState::Ended),
        CallEventKind::Record | CallEventKind::InternalEnd => None,
    }
}

/// Records one call event; returns the control answer for NOTIFY_START.
async fn record_event(
    ctx: &Ctx,
    r: &Route,
    s: &Settings,
    ev: &CallEvent,
) -> Result<CallControl, ServiceError> {
    let i = &r.integration;
    let user = ev
        .extension
        .as_deref()
        .and_then(|ext| r.user_for_extension(ext));
    let phone = ev
        .customer_number
        .as_deref()
        .filter(|n| !n.trim().is_empty() && n.trim() != "0")
        .map(|n| Phone::parse(n, &r.country));
    // The caller is looked up when a call starts: incoming (the answer steers the call)
    // and outgoing (the pop-up names who is being called).
    let decision = if matches!(ev.kind, CallEventKind::Start | CallEventKind::OutStart) {
        Some(decide(ctx, r, s, phone.as_ref()).await?)
    } else {
        None
    };
    let now = ctx.now();
    let state = state_of(ev.kind);
    let (contact_id, company_id) = match decision.as_ref().and_then(|d| d.matched.as_ref()) {
        Some(m) if m.kind == CardKind::Contact => (Some(ContactId(m.id)), None),
        Some(m) => (None, Some(CompanyId(m.id))),
        None => (None, None),
    };
    let patch = CallPatch {
        direction: match ev.direction {
            Direction::Inbound => CallDirection::Inbound,
            Direction::Outbound => CallDirection::Outbound,
        },
        state,
        customer_phone: ev.customer_number.clone(),
        customer_e164: phone.as_ref().and_then(|p| p.e164.clone()),
        our_number: ev.our_number.clone(),
        extension: ev.extension.clone(),
        user_id: user,
        disposition: ev.disposition.as_ref().map(|d| d.as_str().to_string()),
        duration_s: ev.duration_s,
        started_at: Some(now),
        answered_at: (state == Some(CallState::Answered)).then_some(now),
        ended_at: (state == Some(CallState::Ended)).then_some(now),
        recording_id: ev.recording_id.clone(),
        caller_name: decision
            .as_ref()
            .and_then(|d| d.matched.as_ref().map(|m| m.name.clone())),
        contact_id,
        company_id,
        ..Default::default()
    };
    let payload = serde_json::to_string(&ev.fields).unwrap_or_default();
    let inbox = InboxEvent {
        id: ctx.next_id(),
        account_id: i.account_id,
        integration_id: i.id,
        dedup_key: ev.dedup_key.clone(),
        event: ev.kind.zadarma_name().to_string(),
        provider_call_id: Some(ev.provider_call_id.clone()),
        payload,
        received_at: now,
        processed_at: Some(now),
        error: None,
    };
    let write = Write {
        inbox,
        provider_call_id: ev.provider_call_id.clone(),
        patch,
        kind: ev.kind,
        autocreate_at_start: s.auto_create_at == AutoCreateAt::Start
            && decision.as_ref().is_some_and(|d| !d.control.blacklist),
        now,
    };
    let autocreate_at_start = write.autocreate_at_start;
    // Whatever failed in the writer, the answer is a 500 and the PBX retries.
    let applied = ctx
        .committer
        .commit(write)
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?;
    if let Some(a) = applied {
        // The follow-up jobs this event committed (see `Write::follow_ups`) run now.
        if a.changes.became(CallState::Ended) || (a.changes.created && autocreate_at_start) {
            ctx.jobs_ready.notify_one();
        }
        publish(
            ctx,
            i,
            &a.session,
            &a.changes,
            user,
            decision.as_ref().and_then(|d| d.matched.as_ref()),
        );
    }
    Ok(decision
        .filter(|_| ev.kind == CallEventKind::Start)
        .map(|d| d.control)
        .unwrap_or_default())
}

/// The live event for the pop-ups (V2, P4): `ringing` when the call starts and each
/// time another extension is rung (its user gets their pop-up), `answered`, `ended`.
/// It names the users concerned: the user of this event's extension, the user the call
/// is with, the caller's responsible manager, and, for a ringing call nobody else is
/// told of, the integration's default user. Nobody else is sent the caller's name (the
/// WebSocket also passes later events of a call to a tab that showed it).
fn publish(
    ctx: &Ctx,
    i: &Integration,
    s: &CallSession,
    ch: &CallChanges,
    event_user: Option<UserId>,
    matched: Option<&PhoneMatch>,
) {
    let kind = if ch.became(CallState::Ended) {
        "ended"
    } else if ch.became(CallState::Answered) {
        "answered"
    } else if ch.state_to == CallState::Ringing
        && (ch.created || (ch.changed && event_user.is_some()))
    {
        "ringing"
    } else {
        return;
    };
    let d = &s.data;
    let mut users: Vec<UserId> = Vec::new();
    let responsible = matched.and_then(|m| m.responsible_user_id);
    for u in [event_user, d.user_id, responsible].into_iter().flatten() {
        if !users.contains(&u) {
            users.push(u);
        }
    }
    if users.is_empty() && kind == "ringing" {
        users.extend(i.default_user_id);
    }
    let (entity_type, entity_id) = super::live::card_ref(d);
    ctx.hub.publish(
        i.account_id,
        LiveEvent {
            kind: kind.into(),
            call_id: Some(s.id.0),
            direction: Some(d.direction.as_str().into()),
            phone: d.customer_e164.clone().or_else(|| d.customer_phone.clone()),
            name: d.caller_name.clone(),
            entity_type,
            entity_id,
            responsible_user_id: responsible.map(|u| u.0),
            user_id: event_user.or(d.user_id).map(|u| u.0),
            answered_at: d.answered_at,
            our_number: d.our_number.clone(),
            extension: d.extension.clone(),
            message: d.disposition.clone(),
            code: None,
            at: ctx.now(),
            users,
        },
    );
}

/// The durable part of one event: its inbox row, the session merge and follow-up jobs,
/// written by the store's group-commit [`EventWriter`].
pub struct Write {
    inbox: InboxEvent,
    provider_call_id: String,
    patch: CallPatch,
    kind: CallEventKind,
    autocreate_at_start: bool,
    now: i64,
}

/// The webhook event writer (group commit on either backend; see sb_store::ingest).
pub type Committer = EventWriter<Write>;

impl ingest::Inbound for Write {
    fn item(&self) -> calls::BatchItem<'_> {
        calls::BatchItem {
            inbox: &self.inbox,
            provider_call_id: &self.provider_call_id,
            patch: &self.patch,
            now: self.now,
        }
    }

    /// The jobs an applied event calls for: finalising an ended call, fetching a new
    /// recording, auto-creating a card for an unknown caller when the call starts.
    fn follow_ups(&self, a: &Applied, jobs: &mut Vec<NewJob>) {
        let (account, now, call) = (self.inbox.account_id, self.now, a.session.id.0);
        if a.changes.became(CallState::Ended) {
            jobs.push(work::job(account, work::FINALIZE, call, now));
        }
        if a.session.data.recording_id.is_some()
            && (a.changes.recording_added || self.kind == CallEventKind::Record)
        {
            jobs.push(work::job(
                account,
                work::RECORDING,
                call,
                now + work::RECORDING_DELAY_MS,
            ));
        }
        if a.changes.created
            && self.autocreate_at_start
            && a.session.data.contact_id.is_none()
            && a.session.data.company_id.is_none()
        {
            jobs.push(work::job(account, work::AUTOCREATE, call, now));
        }
    }
}
