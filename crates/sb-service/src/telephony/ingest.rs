//! Webhook ingest (P1, B5): verify, record durably and idempotently, answer fast.
//! An accepted event is committed (inbox row + call session merge + follow-up jobs in
//! one transaction) before the answer is sent; a redelivered event changes nothing;
//! out-of-order events converge on the same session. NOTIFY_START gets its routing
//! answer from one indexed lookup, with no outbound call on the way.

use super::hub::LiveEvent;
use super::routes::Route;
use super::settings::AutoCreateAt;
use super::work;
use crate::{Ctx, ServiceError};
use sb_domain::calls::{CallChanges, CallDirection, CallPatch, CallSession, CallState};
use sb_domain::entities::{CardKind, PhoneMatch};
use sb_domain::integrations::Integration;
use sb_domain::{CompanyId, ContactId, Phone, UserId, Visibility};
use sb_store::calls::{self, Applied, InboxEvent};
use sb_store::Tx;
use sb_store::{blacklist, cards};
use sb_telephony::{
    CallControl, CallEvent, CallEventKind, Direction, InboundOutcome, InboundRequest, WebhookError,
};
use std::sync::Arc;

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
            tracing::error!(error = %e, "webhook processing failed");
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
    let p = &route.provider;
    let outcome = match p.parse_webhook(req) {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(integration = integration.id.0, error = %e, "webhook refused");
            let status = match e {
                WebhookError::MissingSignature | WebhookError::BadSignature => 401,
                WebhookError::ForbiddenSource(_) => 403,
                WebhookError::Malformed(_) => 400,
            };
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
            let control = record_event(ctx, &route, &ev).await?;
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

async fn decide(ctx: &Ctx, r: &Route, phone: Option<&Phone>) -> Result<Decision, ServiceError> {
    let mut d = Decision {
        control: CallControl::default(),
        matched: None,
    };
    let Some(phone) = phone else { return Ok(d) };
    let (i, s) = (&r.integration, &r.settings);
    let check_blacklist = s.blacklist && r.has_blacklist;
    let vis = [Visibility::All; 2];
    let (blacklisted, matches) = match ctx.db.lite() {
        // SQLite: two indexed reads right here, cheaper than a hand-off to a pooled
        // connection's thread (see sb_store::lite).
        Some(lite) => lite.read(|c| {
            if check_blacklist && blacklist::find_lite(c, i.account_id, phone)?.is_some() {
                return Ok((true, Vec::new()));
            }
            Ok((
                false,
                cards::find_by_phone_lite(c, i.account_id, vis, phone)?,
            ))
        })?,
        None => {
            let mut c = ctx.db.conn().await?;
            if check_blacklist
                && blacklist::find(&mut c, i.account_id, phone)
                    .await?
                    .is_some()
            {
                (true, Vec::new())
            } else {
                (
                    false,
                    cards::find_by_phone(&mut c, i.account_id, vis, phone).await?,
                )
            }
        }
    };
    if blacklisted {
        d.control.blacklist = true;
        return Ok(d);
    }
    let Some(m) = matches.into_iter().next() else {
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
async fn record_event(ctx: &Ctx, r: &Route, ev: &CallEvent) -> Result<CallControl, ServiceError> {
    let (i, s) = (&r.integration, &r.settings);
    let user = ev
        .extension
        .as_deref()
        .and_then(|ext| r.user_for_extension(ext));
    let phone = ev
        .customer_number
        .as_deref()
        .filter(|n| !n.trim().is_empty() && n.trim() != "0")
        .map(|n| Phone::parse(n, &r.country));
    let decision = if ev.kind == CallEventKind::Start {
        Some(decide(ctx, r, phone.as_ref()).await?)
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
    let applied = ctx.committer.commit(write).await?;
    if let Some(a) = applied {
        publish(
            ctx,
            i,
            &a.session,
            &a.changes,
            decision.as_ref().and_then(|d| d.matched.as_ref()),
        );
    }
    Ok(decision.map(|d| d.control).unwrap_or_default())
}

fn publish(
    ctx: &Ctx,
    i: &Integration,
    s: &CallSession,
    ch: &CallChanges,
    matched: Option<&PhoneMatch>,
) {
    let kind = if ch.became(CallState::Ended) {
        "ended"
    } else if ch.became(CallState::Answered) {
        "answered"
    } else if ch.created && ch.state_to == CallState::Ringing {
        "ringing"
    } else {
        return;
    };
    let d = &s.data;
    let mut users: Vec<UserId> = Vec::new();
    if let Some(u) = d.user_id {
        users.push(u);
    }
    if let Some(u) = matched.and_then(|m| m.responsible_user_id) {
        if !users.contains(&u) {
            users.push(u);
        }
    }
    let (entity_type, entity_id) = match (d.contact_id, d.company_id) {
        (Some(c), _) => (Some("contact".to_string()), Some(c.0)),
        (None, Some(c)) => (Some("company".to_string()), Some(c.0)),
        _ => (None, None),
    };
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
            responsible_user_id: matched.and_then(|m| m.responsible_user_id).map(|u| u.0),
            our_number: d.our_number.clone(),
            extension: d.extension.clone(),
            message: d.disposition.clone(),
            at: ctx.now(),
            users,
        },
    );
}

/// The durable part of one event: its inbox row, the session merge and follow-up jobs.
pub struct Write {
    inbox: InboxEvent,
    provider_call_id: String,
    patch: CallPatch,
    kind: CallEventKind,
    autocreate_at_start: bool,
    now: i64,
}

impl Write {
    fn item(&self) -> calls::BatchItem<'_> {
        calls::BatchItem {
            inbox: &self.inbox,
            provider_call_id: &self.provider_call_id,
            patch: &self.patch,
            now: self.now,
        }
    }
}

/// One event on its own: the path a failed batch falls back to.
async fn write_one(tx: &mut Tx, w: &Write) -> Result<Option<Applied>, ServiceError> {
    if !calls::insert_inbox(tx, &w.inbox).await? {
        return Ok(None);
    }
    let a = calls::apply(
        tx,
        w.inbox.account_id,
        w.inbox.integration_id,
        &w.provider_call_id,
        &w.patch,
        w.now,
    )
    .await?;
    let mut jobs = Vec::new();
    follow_ups(w, &a, &mut jobs);
    sb_store::jobs::enqueue_many(tx, &jobs, w.now).await?;
    Ok(Some(a))
}

/// The jobs an applied event calls for: finalising an ended call, fetching a new
/// recording, auto-creating a card for an unknown caller when the call starts.
fn follow_ups(w: &Write, a: &Applied, jobs: &mut Vec<sb_store::jobs::NewJob>) {
    let (account, now, call) = (w.inbox.account_id, w.now, a.session.id.0);
    if a.changes.became(CallState::Ended) {
        jobs.push(work::job(account, work::FINALIZE, call, now));
    }
    if a.session.data.recording_id.is_some()
        && (a.changes.recording_added || w.kind == CallEventKind::Record)
    {
        jobs.push(work::job(
            account,
            work::RECORDING,
            call,
            now + work::RECORDING_DELAY_MS,
        ));
    }
    if a.changes.created
        && w.autocreate_at_start
        && a.session.data.contact_id.is_none()
        && a.session.data.company_id.is_none()
    {
        jobs.push(work::job(account, work::AUTOCREATE, call, now));
    }
}

type Reply = tokio::sync::oneshot::Sender<Result<Option<Applied>, String>>;

/// Group commit for webhook events (B5): one writer task takes every event waiting and
/// writes them in one transaction, answering each only after the commit. SQLite has a
/// single writer and PostgreSQL pays a flush per commit, so under load many events
/// share one commit instead of queueing for one each. A batch that fails is retried
/// event by event, so one bad event cannot hold back the others. On SQLite an event
/// that finds no one writing and nothing queued is committed by its own request
/// instead (see [`Committer::commit_here`]).
pub struct Committer {
    tx: tokio::sync::mpsc::Sender<(Write, Reply)>,
    /// SQLite: the writer connection, shared by the writer thread and the fast path.
    lite: Option<SharedWriter>,
}

type SharedWriter = Arc<std::sync::Mutex<sb_store::lite::LiteWriter>>;

const MAX_BATCH: usize = 256;

impl Committer {
    /// Starts the writer. On SQLite it is a thread of its own writing through the fast
    /// lane's connection (sb_store::lite): as a task it queued behind every request task
    /// at each await, and each statement was a hand-off to the connection's thread. A
    /// PostgreSQL connection is a socket driven by the runtime that opened it, so there
    /// the writer is a task of that runtime (on another runtime every reply waited for
    /// the busy one to relay it).
    pub fn start(db: sb_store::Db) -> Committer {
        let (tx, rx) = tokio::sync::mpsc::channel::<(Write, Reply)>(4096);
        let writer = match db.lite().map(|l| l.writer()) {
            None => {
                tokio::spawn(run_writer(db, rx));
                return Committer { tx, lite: None };
            }
            Some(Ok(w)) => Arc::new(std::sync::Mutex::new(w)),
            Some(Err(e)) => {
                // Every webhook then answers 500 and the PBX retries later.
                tracing::error!(error = %e, "the event writer could not open the database");
                return Committer { tx, lite: None };
            }
        };
        let thread_writer = writer.clone();
        let spawned = std::thread::Builder::new()
            .name("sb-committer".into())
            .spawn(move || run_lite_writer(&thread_writer, rx));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the event writer thread could not start");
        }
        Committer {
            tx,
            lite: Some(writer),
        }
    }

    /// Writes one event durably; returns the merge result (`None` for a redelivery).
    pub async fn commit(&self, w: Write) -> Result<Option<Applied>, ServiceError> {
        if let Some(done) = self.commit_here(&w) {
            return done;
        }
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send((w, reply))
            .await
            .map_err(|_| anyhow::anyhow!("the event writer has stopped"))?;
        match rx.await {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(e)) => Err(ServiceError::Internal(anyhow::anyhow!(e))),
            Err(_) => Err(ServiceError::Internal(anyhow::anyhow!(
                "the event writer dropped the event"
            ))),
        }
    }

    /// SQLite, when nothing is queued and no one is writing: the event is committed
    /// right here, on the request's own thread, as a batch of one; `None` when it must
    /// queue. Under a light load that is most events, and each then skips two thread
    /// hand-offs (to the writer thread and back): on a busy machine each waits for a
    /// free core, and those waits were most of NOTIFY_START's slow answers. Under load
    /// the queue is rarely empty and events go to the writer thread to be batched. The
    /// request's thread is held for the commit (a few hundred microseconds; longer when
    /// the commit starts the log over and syncs it), as it is for the caller-ID read.
    fn commit_here(&self, w: &Write) -> Option<Result<Option<Applied>, ServiceError>> {
        let writer = self.lite.as_ref()?;
        if self.tx.capacity() < self.tx.max_capacity() {
            return None;
        }
        let mut conn = writer.try_lock().ok()?;
        let r = conn.try_transaction(|c| write_lite_one(c, w))?;
        Some(r.map_err(|e| ServiceError::Internal(e.into())))
    }
}

async fn run_writer(db: sb_store::Db, mut rx: tokio::sync::mpsc::Receiver<(Write, Reply)>) {
    while let Some(first) = rx.recv().await {
        let batch = drain(first, &mut rx);
        let res = write_batch(&db, &batch).await;
        for (w, reply) in answer(batch, res) {
            let r = write_single(&db, &w).await;
            let _ = reply.send(r.map_err(|e| e.to_string()));
        }
    }
}

/// Answers every event of a committed batch; if the batch failed, logs it and gives the
/// events back to be written one by one.
fn answer<E: std::fmt::Display>(
    batch: Vec<(Write, Reply)>,
    res: Result<Vec<Option<Applied>>, E>,
) -> Vec<(Write, Reply)> {
    match res {
        Ok(results) => {
            for ((_, reply), r) in batch.into_iter().zip(results) {
                let _ = reply.send(Ok(r));
            }
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(error = %e, size = batch.len(), "batch commit failed; retrying one by one");
            batch
        }
    }
}

/// Takes every event waiting (up to [`MAX_BATCH`]).
fn drain(
    first: (Write, Reply),
    rx: &mut tokio::sync::mpsc::Receiver<(Write, Reply)>,
) -> Vec<(Write, Reply)> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
    batch
}

/// The SQLite writer: the same batches as [`run_writer`], written synchronously on the
/// committer's own thread.
fn run_lite_writer(writer: &SharedWriter, mut rx: tokio::sync::mpsc::Receiver<(Write, Reply)>) {
    while let Some(first) = rx.blocking_recv() {
        let batch = drain(first, &mut rx);
        let mut db = match writer.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let all: Vec<&Write> = batch.iter().map(|(w, _)| w).collect();
        let res = db.transaction(|c| write_lite(c, &all));
        for (w, reply) in answer(batch, res) {
            let r = db.transaction(|c| write_lite_one(c, &w));
            let _ = reply.send(r.map_err(|e| e.to_string()));
        }
    }
}

/// One event as a batch of one (`None` for a redelivery).
fn write_lite_one(
    c: &sb_store::lite::LiteConn<'_>,
    w: &Write,
) -> Result<Option<Applied>, sb_store::StoreError> {
    Ok(write_lite(c, &[w])?.into_iter().next().flatten())
}

fn write_lite(
    c: &sb_store::lite::LiteConn<'_>,
    batch: &[&Write],
) -> Result<Vec<Option<Applied>>, sb_store::StoreError> {
    let items: Vec<calls::BatchItem<'_>> = batch.iter().map(|w| w.item()).collect();
    let out = calls::apply_batch_lite(c, &items)?;
    let jobs = jobs_for(batch.iter().copied(), &out);
    let now = batch.iter().map(|w| w.now).max().unwrap_or_default();
    sb_store::jobs::enqueue_many_lite(c, &jobs, now)?;
    Ok(out)
}

/// The follow-up jobs of a batch's applied events.
fn jobs_for<'w>(
    batch: impl Iterator<Item = &'w Write>,
    out: &[Option<Applied>],
) -> Vec<sb_store::jobs::NewJob> {
    let mut jobs = Vec::new();
    for (w, a) in batch.zip(out) {
        if let Some(a) = a {
            follow_ups(w, a, &mut jobs);
        }
    }
    jobs
}

async fn write_batch(
    db: &sb_store::Db,
    batch: &[(Write, Reply)],
) -> Result<Vec<Option<Applied>>, ServiceError> {
    let mut tx = db.begin().await?;
    let items: Vec<calls::BatchItem<'_>> = batch.iter().map(|(w, _)| w.item()).collect();
    let out = calls::apply_batch(&mut tx, &items).await?;
    let jobs = jobs_for(batch.iter().map(|(w, _)| w), &out);
    let now = batch.iter().map(|(w, _)| w.now).max().unwrap_or_default();
    sb_store::jobs::enqueue_many(&mut tx, &jobs, now).await?;
    tx.commit().await?;
    Ok(out)
}

async fn write_single(db: &sb_store::Db, w: &Write) -> Result<Option<Applied>, ServiceError> {
    let mut tx = db.begin().await?;
    let a = write_one(&mut tx, w).await?;
    tx.commit().await?;
    Ok(a)
}
