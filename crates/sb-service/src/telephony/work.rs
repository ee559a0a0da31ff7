//! Work that can wait, through the durable job queue: finalising a call into the CRM
//! (note, event, missed-call task, auto-created card), storing its recording, and
//! auto-creating a card when the call starts. Every handler is idempotent (a job may
//! run twice after a crash), and jobs survive restarts. The runner that claims and
//! retries them is [`crate::jobs`].

use super::settings::{AutoCreate, Settings};
use crate::events::{EventKind, Recorder, SYSTEM};
use crate::jobs::JobError;
use crate::{Ctx, ServiceError};
use sb_domain::calls::{CallDirection, CallSession, RecordingStatus, DISPOSITION_ANSWERED};
use sb_domain::entities::{Card, CardKind};
use sb_domain::feed::{Note, Task};
use sb_domain::fields::{FieldValue, ValueItem};
use sb_domain::integrations::Integration;
use sb_domain::leads::Lead;
use sb_domain::pipelines::StatusType;
use sb_domain::{
    AccountId, CallId, CompanyId, ContactId, EntityKind, LeadId, NoteId, Phone, TaskId, UserId,
    Visibility,
};
use sb_store::calls::{self, CallLinks};
use sb_store::jobs::{self, Job, NewJob};
use sb_store::{
    accounts, blacklist, cards, custom_fields, integrations, leads, notes, pipelines, tasks, Tx,
};
use serde_json::json;

pub const FINALIZE: &str = "call.finalize";
pub const RECORDING: &str = "call.recording";
pub const AUTOCREATE: &str = "call.autocreate";
/// The PBX needs some seconds after NOTIFY_RECORD before the file can be fetched.
pub const RECORDING_DELAY_MS: i64 = 15_000;
/// A repeated missed call from the same number within this window adds no new task.
pub const CALLBACK_WINDOW_MS: i64 = 3600 * 1000;
const MAX_ATTEMPTS: i64 = 8;
/// A recording is worth waiting for longer: its storage (S3) may be down for hours.
/// With the queue's backoff (doubling from 5 s, at most an hour) 16 attempts span
/// about six hours.
const RECORDING_ATTEMPTS: i64 = 16;

pub async fn enqueue(
    tx: &mut Tx,
    account: AccountId,
    kind: &str,
    call: i64,
    run_at: i64,
    now: i64,
) -> Result<(), ServiceError> {
    jobs::enqueue(tx, &job(account, kind, call, run_at), now).await?;
    Ok(())
}

/// The job of `kind` for one call (one per call and kind: the key deduplicates).
pub fn job(account: AccountId, kind: &str, call: i64, run_at: i64) -> NewJob {
    NewJob {
        account_id: account,
        kind: kind.into(),
        payload: json!({ "call_id": call }).to_string(),
        run_at,
        max_attempts: if kind == RECORDING {
            RECORDING_ATTEMPTS
        } else {
            MAX_ATTEMPTS
        },
        dedup_key: Some(format!("{kind}:{call}")),
    }
}

// The runner lives in crate::jobs.

/// Runs a claimed telephony job; `None` when its kind is not telephony's.
pub(crate) async fn run(ctx: &Ctx, job: &Job) -> Option<Result<(), JobError>> {
    if ![FINALIZE, AUTOCREATE, RECORDING].contains(&job.kind.as_str()) {
        return None;
    }
    let call = match call_of(job) {
        Ok(c) => CallId(c),
        Err(e) => return Some(Err(e)),
    };
    let done = match job.kind.as_str() {
        FINALIZE => finalize(ctx, job.account_id, call).await,
        AUTOCREATE => autocreate(ctx, job.account_id, call).await,
        _ => store_recording(ctx, job.account_id, call).await,
    };
    Some(done.map_err(JobError::from))
}

/// Whether a job of `kind` writes only to the database, so it can run inside a
/// transaction shared with other jobs ([`run_in`]). Storing a recording waits on the
/// PBX and the recordings store, which must not hold a write transaction open.
pub(crate) fn groupable(kind: &str) -> bool {
    kind == FINALIZE || kind == AUTOCREATE
}

/// Runs a [`groupable`] job's writes in `tx` (the runner commits them with the job's
/// completion, and undoes them alone if the job fails); `None` for any other kind.
pub(crate) async fn run_in(ctx: &Ctx, tx: &mut Tx, job: &Job) -> Option<Result<(), JobError>> {
    if !groupable(&job.kind) {
        return None;
    }
    let call = match call_of(job) {
        Ok(c) => CallId(c),
        Err(e) => return Some(Err(e)),
    };
    let done = if job.kind == FINALIZE {
        finalize_in(ctx, tx, job.account_id, call).await
    } else {
        autocreate_in(ctx, tx, job.account_id, call).await
    };
    Some(done.map_err(JobError::from))
}

/// What a dead-lettered telephony job leaves behind, in the transaction that buries it:
/// a recording that could not be stored is marked failed (the player stops waiting).
/// A recording or an auto-create given up also raises the admins' alert (V9), with
/// `error`, the last attempt's.
pub(crate) async fn gave_up(
    ctx: &Ctx,
    tx: &mut Tx,
    job: &Job,
    error: &str,
) -> Result<(), ServiceError> {
    // A payload that cannot be read names no call: nothing to mark.
    let Ok(call) = call_of(job) else {
        return Ok(());
    };
    let code = match job.kind.as_str() {
        RECORDING => super::alerts::Code::RecordingFailed,
        AUTOCREATE => super::alerts::Code::AutocreateFailed,
        _ => return Ok(()),
    };
    if job.kind == RECORDING {
        calls::set_recording(
            tx,
            job.account_id,
            CallId(call),
            RecordingStatus::Failed,
            None,
            ctx.now(),
        )
        .await?;
    }
    if let Some(s) = calls::get(tx, job.account_id, CallId(call)).await? {
        let detail = format!("call {}: {error}", s.provider_call_id);
        super::alerts::raise_in(ctx, tx, job.account_id, s.integration_id, code, &detail).await?;
    }
    Ok(())
}

/// The call a job is for (see [`job`]). A payload without one is hopeless: running the
/// job for some other call (0) would be wrong, and retrying it cannot help.
fn call_of(job: &Job) -> Result<i64, JobError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        call_id: i64,
    }
    serde_json::from_str::<Payload>(&job.payload)
        .map(|p| p.call_id)
        .map_err(|e| JobError::Hopeless(format!("the job's payload cannot be read: {e}")))
}

/// Where a call is attached: a card and, when it has exactly one open lead, that lead.
pub(crate) struct Placement {
    pub kind: CardKind,
    pub id: i64,
    pub responsible: Option<UserId>,
    pub lead: Option<LeadId>,
}

/// The card with this phone visible in `vis` (contacts first, oldest first) and its open lead.
pub(crate) async fn place_phone(
    tx: &mut Tx,
    account: AccountId,
    phone: &Phone,
    vis: [Visibility; 2],
) -> Result<Option<Placement>, ServiceError> {
    let Some(m) = cards::find_by_phone(tx, account, vis, phone)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let lead = open_lead(tx, account, m.kind, m.id).await?;
    Ok(Some(Placement {
        kind: m.kind,
        id: m.id,
        responsible: m.responsible_user_id,
        lead,
    }))
}

/// What finalising a call needs to know besides the session.
struct CallFacts {
    session: CallSession,
    integration: Integration,
    settings: Settings,
    country: String,
    /// The customer's number, parsed with the account's country.
    phone: Option<Phone>,
    /// The number is blacklisted (and the integration honours the blacklist).
    blacklisted: bool,
}

/// The FINALIZE job: attaches an ended call to the CRM (idempotent: a call that has its
/// note is done).
pub(crate) async fn finalize(
    ctx: &Ctx,
    account: AccountId,
    call: CallId,
) -> Result<(), ServiceError> {
    let mut tx = ctx.db.begin().await?;
    finalize_in(ctx, &mut tx, account, call).await?;
    tx.commit().await?;
    Ok(())
}

/// [`finalize`] in the caller's transaction (a batch of jobs shares one commit). Still
/// idempotent there: a later job for the same call in the same transaction sees the
/// note this one wrote.
async fn finalize_in(
    ctx: &Ctx,
    tx: &mut Tx,
    account: AccountId,
    call: CallId,
) -> Result<(), ServiceError> {
    let now = ctx.now();
    let Some(session) = calls::get(tx, account, call).await? else {
        return Ok(());
    };
    if session.data.note_id.is_some() {
        return Ok(());
    }
    let Some(f) = facts(&ctx.vault, tx, account, session).await? else {
        return Ok(());
    };
    let place = place_call(ctx, tx, account, &f).await?;
    let note_id = match &place {
        Some(pl) => {
            let note = log_call(ctx, tx, account, &f, pl).await?;
            missed_call_task(ctx, tx, account, &f, pl).await?;
            note
        }
        None => None,
    };
    let links = match &place {
        Some(pl) => links_for(pl, note_id),
        None => CallLinks {
            note_id,
            ..Default::default()
        },
    };
    calls::set_links(tx, account, call, &links, now).await?;
    Ok(())
}

/// The AUTOCREATE job (the "create at start" setting): makes sure a ringing call's
/// caller has a card, and attaches the call to it.
async fn autocreate(ctx: &Ctx, account: AccountId, call: CallId) -> Result<(), ServiceError> {
    let mut tx = ctx.db.begin().await?;
    autocreate_in(ctx, &mut tx, account, call).await?;
    tx.commit().await?;
    Ok(())
}

/// [`autocreate`] in the caller's transaction.
async fn autocreate_in(
    ctx: &Ctx,
    tx: &mut Tx,
    account: AccountId,
    call: CallId,
) -> Result<(), ServiceError> {
    let now = ctx.now();
    let Some(session) = calls::get(tx, account, call).await? else {
        return Ok(());
    };
    let Some(f) = facts(&ctx.vault, tx, account, session).await? else {
        return Ok(());
    };
    if let Some(pl) = place_call(ctx, tx, account, &f).await? {
        calls::set_links(tx, account, call, &links_for(&pl, None), now).await?;
    }
    Ok(())
}

/// The integration, its settings and the caller's number; `None` when the integration
/// is gone.
async fn facts(
    vault: &crate::crypto::Vault,
    tx: &mut Tx,
    account: AccountId,
    session: CallSession,
) -> Result<Option<CallFacts>, ServiceError> {
    let Some(integration) = integrations::get(tx, account, session.integration_id).await? else {
        return Ok(None);
    };
    let integration = super::at_rest::open(vault, integration);
    // Unreadable settings fail the job (retried: an admin may fix them meanwhile).
    let settings = super::usable_settings(&integration)?;
    let acc = accounts::get(tx, account)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let phone = session
        .data
        .customer_phone
        .as_deref()
        .map(|p| Phone::parse(p, &acc.country));
    let blacklisted = match &phone {
        Some(p) if settings.blacklist => blacklist::find(tx, account, p).await?.is_some(),
        _ => false,
    };
    Ok(Some(CallFacts {
        session,
        integration,
        settings,
        country: acc.country,
        phone,
        blacklisted,
    }))
}

/// The card the call belongs to ([`resolve`]) or, for an unknown caller the settings
/// allow, a new one ([`create_for_unknown`]).
async fn place_call(
    ctx: &Ctx,
    tx: &mut Tx,
    account: AccountId,
    f: &CallFacts,
) -> Result<Option<Placement>, ServiceError> {
    let (d, s) = (&f.session.data, &f.settings);
    let place = resolve(tx, account, &f.session, f.phone.as_ref()).await?;
    let may_create = !f.blacklisted
        && (d.direction == CallDirection::Inbound || s.auto_create_outgoing)
        && s.auto_create != AutoCreate::None;
    match (&place, &f.phone) {
        (None, Some(p)) if may_create => {
            let responsible = d.user_id.or(f.integration.default_user_id);
            let created = create_for_unknown(
                ctx,
                tx,
                account,
                &f.country,
                s.auto_create,
                p,
                responsible,
                &f.session,
            )
            .await?;
            Ok(Some(created))
        }
        _ => Ok(place),
    }
}

/// The call's note (and its `incoming_call`/`outgoing_call` event) on the card and on
/// its open lead; returns the first note's id.
async fn log_call(
    ctx: &Ctx,
    tx: &mut Tx,
    account: AccountId,
    f: &CallFacts,
    pl: &Placement,
) -> Result<Option<NoteId>, ServiceError> {
    let now = ctx.now();
    let (session, d) = (&f.session, &f.session.data);
    let inbound = d.direction == CallDirection::Inbound;
    let params = json!({
        "uniq": session.provider_call_id,
        "duration": d.duration_s.unwrap_or(0),
        "source": f.integration.provider,
        "link": d.recording_id.as_ref().map(|_| format!("/api/v4/calls/{}/recording", session.id.0)),
        "phone": d.customer_e164.clone().or_else(|| d.customer_phone.clone()),
        "call_status": call_status(d.disposition.as_deref()),
        "call_result": d.disposition.clone().unwrap_or_else(|| "unknown".into()),
        "call_responsible": d.user_id.map(|u| u.0),
        "extension": d.extension,
        "virtual_number": d.our_number,
        "blacklisted": f.blacklisted,
    });
    let mut targets = vec![(pl.kind.entity_kind(), pl.id)];
    if let Some(l) = pl.lead {
        targets.push((EntityKind::Leads, l.0));
    }
    // The manager on the call is the author when the PBX named one.
    let mut rec = Recorder::on_behalf(ctx, account, d.user_id);
    let mut note_id = None;
    let mut new_notes = Vec::new();
    for (et, eid) in targets {
        let id = NoteId(ctx.next_id());
        note_id.get_or_insert(id);
        new_notes.push(Note {
            id,
            account_id: account,
            entity_type: et,
            entity_id: eid,
            note_type: if inbound { "call_in" } else { "call_out" }.into(),
            params: params.clone(),
            created_by: d.user_id.unwrap_or(SYSTEM),
            updated_by: d.user_id.unwrap_or(SYSTEM),
            responsible_user_id: d.user_id.or(pl.responsible),
            created_at: now,
            updated_at: now,
            is_pinned: false,
        });
        let kind = if inbound {
            EventKind::IncomingCall
        } else {
            EventKind::OutgoingCall
        };
        rec.record(
            kind,
            et,
            eid,
            json!([]),
            json!([{ "note": { "id": id.0 } }]),
        );
    }
    notes::insert_many(tx, &new_notes).await?;
    rec.write(tx).await?;
    Ok(note_id)
}

/// P9: a call-back task for a missed incoming call, once per number per hour.
async fn missed_call_task(
    ctx: &Ctx,
    tx: &mut Tx,
    account: AccountId,
    f: &CallFacts,
    pl: &Placement,
) -> Result<(), ServiceError> {
    let d = &f.session.data;
    let answered = d.disposition.as_deref() == Some(DISPOSITION_ANSWERED);
    if answered
        || f.blacklisted
        || d.direction != CallDirection::Inbound
        || !f.settings.missed_call_tasks
    {
        return Ok(());
    }
    let Some(owner) = pl.responsible.or(f.integration.default_user_id) else {
        return Ok(());
    };
    let now = ctx.now();
    let e164 = d
        .customer_e164
        .clone()
        .or_else(|| f.phone.as_ref().map(|p| p.digits.clone()));
    let existing = tasks::find_open_callback(
        tx,
        account,
        e164.as_deref(),
        Some((pl.kind.entity_kind(), pl.id)),
        now - CALLBACK_WINDOW_MS,
    )
    .await?;
    if existing.is_some() {
        return Ok(());
    }
    let t = Task {
        id: TaskId(ctx.next_id()),
        account_id: account,
        responsible_user_id: owner,
        entity_type: Some(pl.kind.entity_kind()),
        entity_id: Some(pl.id),
        task_type_id: sb_domain::feed::task_types::FOLLOW_UP,
        text: format!(
            "Call back {} (missed call)",
            d.customer_e164
                .clone()
                .or_else(|| d.customer_phone.clone())
                .unwrap_or_default()
        ),
        complete_till: now + 3600 * 1000,
        is_completed: false,
        result_text: None,
        duration: 0,
        phone_e164: e164,
        created_by: SYSTEM,
        updated_by: SYSTEM,
        created_at: now,
        updated_at: now,
    };
    tasks::insert(tx, &t).await?;
    let mut rec = Recorder::system(ctx, account);
    rec.added(
        EntityKind::Tasks,
        t.id.0,
        json!([{ "task": { "id": t.id.0 } }]),
    );
    rec.write(tx).await
}

fn links_for(pl: &Placement, note: Option<NoteId>) -> CallLinks {
    CallLinks {
        contact_id: (pl.kind == CardKind::Contact).then_some(ContactId(pl.id)),
        company_id: (pl.kind == CardKind::Company).then_some(CompanyId(pl.id)),
        lead_id: pl.lead,
        note_id: note,
    }
}

/// Kommo's call_status: 4 conversation held, 7 busy, 6 could not get through.
fn call_status(disposition: Option<&str>) -> i64 {
    match disposition {
        Some("answered") => 4,
        Some("busy") => 7,
        _ => 6,
    }
}

/// The card a call belongs to: the one identified when it rang, else a phone lookup.
async fn resolve(
    tx: &mut Tx,
    account: AccountId,
    s: &CallSession,
    phone: Option<&Phone>,
) -> Result<Option<Placement>, ServiceError> {
    let d = &s.data;
    let found = if let Some(c) = d.contact_id {
        cards::get(tx, account, CardKind::Contact, c.0, Visibility::All).await?
    } else if let Some(c) = d.company_id {
        cards::get(tx, account, CardKind::Company, c.0, Visibility::All).await?
    } else {
        None
    };
    let card = match found {
        Some(c) => Some((c.kind, c.id, c.responsible_user_id)),
        None => match phone {
            Some(p) => cards::find_by_phone(tx, account, [Visibility::All; 2], p)
                .await?
                .into_iter()
                .next()
                .map(|m| (m.kind, m.id, m.responsible_user_id)),
            None => None,
        },
    };
    let Some((kind, id, responsible)) = card else {
        return Ok(None);
    };
    let lead = match d.lead_id {
        Some(l) => Some(l),
        None => open_lead(tx, account, kind, id).await?,
    };
    Ok(Some(Placement {
        kind,
        id,
        responsible,
        lead,
    }))
}

/// The card's only open lead, if it has exactly one (Kommo's placement rule).
async fn open_lead(
    tx: &mut Tx,
    account: AccountId,
    kind: CardKind,
    id: i64,
) -> Result<Option<LeadId>, ServiceError> {
    let ids: Vec<LeadId> = match kind {
        CardKind::Contact => {
            leads::leads_of_contacts(tx, account, &[ContactId(id)], Visibility::All)
                .await?
                .into_iter()
                .map(|lc| lc.lead_id)
                .collect()
        }
        CardKind::Company => {
            leads::leads_of_companies(tx, account, &[CompanyId(id)], Visibility::All)
                .await?
                .into_iter()
                .map(|(_, l)| l)
                .collect()
        }
    };
    if ids.is_empty() {
        return Ok(None);
    }
    let open: Vec<Lead> = leads::get_many(tx, account, &ids, Visibility::All)
        .await?
        .into_iter()
        .filter(|l| !l.is_closed())
        .collect();
    Ok(if open.len() == 1 {
        Some(open[0].id)
    } else {
        None
    })
}

/// P6/V6/V7: a card (and lead) for a caller nobody knows.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_for_unknown(
    ctx: &Ctx,
    tx: &mut Tx,
    account: AccountId,
    country: &str,
    mode: AutoCreate,
    phone: &Phone,
    responsible: Option<UserId>,
    s: &CallSession,
) -> Result<Placement, ServiceError> {
    let now = ctx.now();
    let defs = custom_fields::list(tx, account, "contacts").await?;
    let display = phone.e164.clone().unwrap_or_else(|| phone.raw.clone());
    let mut custom = Vec::new();
    if let Some(def) = defs.iter().find(|d| d.is_phone()) {
        let work = def.enums.iter().find(|e| e.value == "WORK");
        custom.push(FieldValue {
            field_id: def.id,
            values: vec![ValueItem {
                value: json!(display),
                enum_id: work.map(|e| e.id),
                enum_code: work.map(|e| e.value.clone()),
            }],
        });
    }
    let card_owner = if mode == AutoCreate::IncomingLead {
        None
    } else {
        responsible
    };
    let card = Card {
        id: ctx.next_id(),
        kind: CardKind::Contact,
        account_id: account,
        name: display.clone(),
        first_name: String::new(),
        last_name: String::new(),
        responsible_user_id: card_owner.or(responsible),
        company_id: None,
        created_by: SYSTEM,
        updated_by: SYSTEM,
        created_at: now,
        updated_at: now,
        is_deleted: false,
        custom_fields: custom,
    };
    let phones = crate::cards::phones_of(&defs, &card.custom_fields, country);
    let contact_id = card.id;
    let values = card.custom_fields.clone();
    cards::insert_many(tx, CardKind::Contact, &[cards::CardWrite { card, phones }]).await?;
    // Indexed like any contact's fields, so field filters and search find it.
    sb_store::field_values::insert_many(
        tx,
        account,
        sb_store::field_values::ValueOwner::Contact,
        &[(contact_id, values.as_slice())],
    )
    .await?;
    let mut rec = Recorder::system(ctx, account);
    let source = json!([{ "source": "telephony", "call_id": s.id.0 }]);
    rec.added(EntityKind::Contacts, contact_id, source.clone());
    let mut lead_id = None;
    if matches!(mode, AutoCreate::ContactAndLead | AutoCreate::IncomingLead) {
        if let Some(pipeline) = pipelines::main(tx, account).await? {
            let statuses = pipelines::list_statuses(tx, account, pipeline.id).await?;
            let want_incoming = mode == AutoCreate::IncomingLead;
            let status = statuses
                .iter()
                .filter(|st| {
                    if want_incoming {
                        st.status_type == StatusType::Incoming
                    } else {
                        st.status_type == StatusType::Regular && !st.is_system()
                    }
                })
                .min_by_key(|st| st.sort);
            if let Some(st) = status {
                let lead = Lead {
                    id: LeadId(ctx.next_id()),
                    account_id: account,
                    name: format!("Call from {display}"),
                    price: 0,
                    pipeline_id: pipeline.id,
                    status_id: st.id,
                    responsible_user_id: if want_incoming { None } else { responsible },
                    company_id: None,
                    loss_reason_id: None,
                    created_by: SYSTEM,
                    updated_by: SYSTEM,
                    created_at: now,
                    updated_at: now,
                    closed_at: None,
                    closest_task_at: None,
                    is_deleted: false,
                    custom_fields: vec![],
                };
                leads::insert_many(tx, std::slice::from_ref(&lead)).await?;
                leads::add_contact(tx, account, lead.id, ContactId(contact_id), true).await?;
                rec.added(EntityKind::Leads, lead.id.0, source);
                lead_id = Some(lead.id);
            }
        } else {
            tracing::warn!(
                account = account.0,
                "no pipeline: the lead for an unknown caller was not created"
            );
        }
    }
    rec.write(tx).await?;
    Ok(Placement {
        kind: CardKind::Contact,
        id: contact_id,
        responsible: card_owner.or(responsible),
        lead: lead_id,
    })
}

/// Downloads the recording through the PBX's signed API and keeps it in the recordings
/// store (a local directory or S3), so the feed can play it after the PBX's link
/// expires (P5).
async fn store_recording(ctx: &Ctx, account: AccountId, call: CallId) -> Result<(), ServiceError> {
    let mut c = ctx.db.conn().await?;
    let Some(session) = calls::get(&mut c, account, call).await? else {
        return Ok(());
    };
    if session.data.recording_status == Some(RecordingStatus::Stored) {
        return Ok(());
    }
    let store = recordings_store(ctx)?;
    let Some(integration) = integrations::get(&mut c, account, session.integration_id).await?
    else {
        return Ok(());
    };
    let integration = super::at_rest::open(&ctx.vault, integration);
    drop(c);
    let p = ctx
        .providers
        .get(&integration, &super::usable_settings(&integration)?)?;
    let asked = p
        .recording_links(
            &session.provider_call_id,
            session.data.recording_id.as_deref(),
        )
        .await;
    let links = super::alerts::pbx(ctx, &integration, asked).await?;
    let Some(link) = links.first() else {
        return Err(ServiceError::Upstream(
            "the PBX returned no recording link yet".into(),
        ));
    };
    let audio = super::alerts::pbx(ctx, &integration, p.download(link).await).await?;
    let ext = link
        .split('?')
        .next()
        .and_then(|l| l.rsplit('.').next())
        .filter(|e| matches!(*e, "mp3" | "wav" | "ogg"))
        .unwrap_or("mp3");
    let key = format!("{}/{}.{ext}", account.0, call.0);
    store.put(&key, audio).await?;
    let mut tx = ctx.db.begin().await?;
    calls::set_recording(
        &mut tx,
        account,
        call,
        RecordingStatus::Stored,
        Some(&key),
        ctx.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn recordings_store(ctx: &Ctx) -> Result<&crate::recordings::Recordings, ServiceError> {
    ctx.recordings.as_ref().ok_or_else(|| {
        ServiceError::Internal(anyhow::anyhow!(
            "no place to keep call recordings is configured"
        ))
    })
}

/// A stored recording's bytes and content type, for the player.
pub async fn recording(
    ctx: &Ctx,
    account: AccountId,
    call: CallId,
) -> Result<(Vec<u8>, &'static str), ServiceError> {
    let mut c = ctx.db.conn().await?;
    let session = calls::get(&mut c, account, call)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let path = match (session.data.recording_status, session.data.recording_path) {
        (Some(RecordingStatus::Stored), Some(p)) => p,
        (Some(RecordingStatus::Pending), _) => {
            return Err(ServiceError::Conflict(
                "the recording is not downloaded yet; try again in a minute".into(),
            ))
        }
        _ => return Err(ServiceError::NotFound),
    };
    let store = recordings_store(ctx)?;
    let key = crate::recordings::key_of(&path);
    let Some(bytes) = store.get(&key).await? else {
        // Say, after a move to another store without copying the files.
        tracing::warn!(call = call.0, key = %key, "a stored recording is missing from the {}", store.place);
        return Err(ServiceError::NotFound);
    };
    let ct = if path.ends_with(".wav") {
        "audio/wav"
    } else if path.ends_with(".ogg") {
        "audio/ogg"
    } else {
        "audio/mpeg"
    };
    Ok((bytes, ct))
}

/// [`recording`] for a user (the card's player, the API): an admin hears every call of
/// the account; anyone else only when they may see a card the call is attached to (its
/// contact, company or lead); otherwise `NotFound`, as for a call that does not exist,
/// so the URL tells nothing about other cards.
pub async fn recording_for(
    ctx: &Ctx,
    actor: &crate::Actor,
    call: CallId,
) -> Result<(Vec<u8>, &'static str), ServiceError> {
    let account = actor.account.id;
    let mut c = ctx.db.conn().await?;
    let session = calls::get(&mut c, account, call)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let d = &session.data;
    let cards = [
        d.contact_id.map(|i| (EntityKind::Contacts, i.0)),
        d.company_id.map(|i| (EntityKind::Companies, i.0)),
        d.lead_id.map(|i| (EntityKind::Leads, i.0)),
    ];
    let mut seen = false;
    for (kind, id) in cards.into_iter().flatten() {
        if crate::events::entity_visible(&mut c, actor, kind, id).await? {
            seen = true;
            break;
        }
    }
    drop(c);
    if !seen && !actor.is_admin() {
        return Err(ServiceError::NotFound);
    }
    recording(ctx, account, call).await
}
