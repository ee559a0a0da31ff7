//! Work that can wait, through the durable job queue: finalising a call into the CRM
//! (note, event, missed-call task, auto-created card), storing its recording, and
//! auto-creating a card when the call starts. Every handler is idempotent (a job may
//! run twice after a crash), and jobs survive restarts.

use super::settings::{AutoCreate, Settings};
use crate::{Ctx, ServiceError};
use sb_domain::calls::{CallDirection, CallSession, RecordingStatus, DISPOSITION_ANSWERED};
use sb_domain::entities::{Card, CardKind};
use sb_domain::feed::{Event, Note, Task};
use sb_domain::fields::{FieldValue, ValueItem};
use sb_domain::leads::Lead;
use sb_domain::pipelines::StatusType;
use sb_domain::{
    AccountId, CallId, CompanyId, ContactId, EntityKind, LeadId, NoteId, Phone, TaskId, UserId,
    Visibility,
};
use sb_store::calls::{self, CallLinks};
use sb_store::jobs::{self, FailOutcome, NewJob};
use sb_store::{
    accounts, blacklist, cards, custom_fields, events, integrations, leads, notes, pipelines,
    tasks, Tx,
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
const LEASE_MS: i64 = 120_000;

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

/// Claims and runs the jobs that are due; returns how many ran.
pub async fn run_due(ctx: &Ctx, worker: &str, limit: i64) -> Result<usize, ServiceError> {
    let now = ctx.now();
    let claimed = jobs::claim(&ctx.db, worker, now, LEASE_MS, limit).await?;
    let n = claimed.len();
    for job in claimed {
        let call = serde_json::from_str::<serde_json::Value>(&job.payload)
            .ok()
            .and_then(|v| v["call_id"].as_i64())
            .unwrap_or_default();
        let result = match job.kind.as_str() {
            FINALIZE => finalize(ctx, job.account_id, CallId(call), true).await,
            AUTOCREATE => finalize(ctx, job.account_id, CallId(call), false).await,
            RECORDING => store_recording(ctx, job.account_id, CallId(call)).await,
            other => Err(ServiceError::Internal(anyhow::anyhow!(
                "unknown job kind {other}"
            ))),
        };
        let mut tx = ctx.db.begin().await?;
        match result {
            Ok(()) => {
                jobs::complete(&mut tx, job.account_id, job.id, ctx.now()).await?;
            }
            Err(e) => {
                let backoff = (5_000_i64 << (job.attempts.clamp(1, 10) - 1)).min(3_600_000);
                let outcome = jobs::fail(
                    &mut tx,
                    job.account_id,
                    job.id,
                    &e.to_string(),
                    ctx.now() + backoff,
                    ctx.now(),
                )
                .await?;
                tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, error = %e, dead = matches!(outcome, FailOutcome::Dead), "job failed");
                if matches!(outcome, FailOutcome::Dead) && job.kind == RECORDING {
                    calls::set_recording(
                        &mut tx,
                        job.account_id,
                        CallId(call),
                        RecordingStatus::Failed,
                        None,
                        ctx.now(),
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
    }
    Ok(n)
}

/// Runs every due job until none is left (tests and the demo); bounded.
pub async fn drain(ctx: &Ctx) -> Result<usize, ServiceError> {
    let mut total = 0;
    for _ in 0..1000 {
        let n = run_due(ctx, "drain", 50).await?;
        if n == 0 {
            break;
        }
        total += n;
    }
    Ok(total)
}

/// The background worker: polls for due jobs until `stop` says so.
pub async fn worker(ctx: Ctx, mut stop: tokio::sync::watch::Receiver<bool>) {
    let name = format!("worker-{}", std::process::id());
    loop {
        let ran = match run_due(&ctx, &name, 20).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "job worker");
                0
            }
        };
        if ran == 0 {
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
                _ = stop.changed() => {}
            }
        }
        if *stop.borrow() {
            break;
        }
    }
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

/// Attaches an ended call to the CRM (or, with `full = false`, only makes sure its
/// caller has a card: the "create at start" setting).
async fn finalize(
    ctx: &Ctx,
    account: AccountId,
    call: CallId,
    full: bool,
) -> Result<(), ServiceError> {
    let now = ctx.now();
    let mut tx = ctx.db.begin().await?;
    let Some(session) = calls::get(&mut tx, account, call).await? else {
        return Ok(());
    };
    if full && session.data.note_id.is_some() {
        return Ok(());
    }
    let Some(integration) = integrations::get(&mut tx, account, session.integration_id).await?
    else {
        return Ok(());
    };
    let s = Settings::from_json(&integration.settings);
    let acc = accounts::get(&mut tx, account)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let d = &session.data;
    let phone = d
        .customer_phone
        .as_deref()
        .map(|p| Phone::parse(p, &acc.country));
    let blacklisted = match &phone {
        Some(p) if s.blacklist => blacklist::find(&mut tx, account, p).await?.is_some(),
        _ => false,
    };
    let responsible_hint = d.user_id.or(integration.default_user_id);
    let mut place = resolve(&mut tx, account, &session, phone.as_ref()).await?;
    let may_create = !blacklisted
        && (d.direction == CallDirection::Inbound || s.auto_create_outgoing)
        && s.auto_create != AutoCreate::None;
    if place.is_none() && may_create {
        if let Some(p) = &phone {
            place = Some(
                create_for_unknown(
                    ctx,
                    &mut tx,
                    account,
                    &acc.country,
                    s.auto_create,
                    p,
                    responsible_hint,
                    &session,
                )
                .await?,
            );
        }
    }
    if !full {
        if let Some(pl) = &place {
            let links = links_for(pl, None);
            calls::set_links(&mut tx, account, call, &links, now).await?;
        }
        tx.commit().await?;
        return Ok(());
    }
    let mut note_id = None;
    if let Some(pl) = &place {
        let answered = d.disposition.as_deref() == Some(DISPOSITION_ANSWERED);
        let note_type = if d.direction == CallDirection::Inbound {
            "call_in"
        } else {
            "call_out"
        };
        let params = json!({
            "uniq": session.provider_call_id,
            "duration": d.duration_s.unwrap_or(0),
            "source": integration.provider,
            "link": d.recording_id.as_ref().map(|_| format!("/api/v4/calls/{}/recording", call.0)),
            "phone": d.customer_e164.clone().or_else(|| d.customer_phone.clone()),
            "call_status": call_status(d.disposition.as_deref()),
            "call_result": d.disposition.clone().unwrap_or_else(|| "unknown".into()),
            "call_responsible": d.user_id.map(|u| u.0),
            "extension": d.extension,
            "virtual_number": d.our_number,
            "blacklisted": blacklisted,
        });
        let mut targets = vec![(pl.kind.entity_kind(), pl.id)];
        if let Some(l) = pl.lead {
            targets.push((EntityKind::Leads, l.0));
        }
        let mut new_notes = Vec::new();
        let mut new_events = Vec::new();
        for (et, eid) in targets {
            let id = NoteId(ctx.next_id());
            note_id.get_or_insert(id);
            new_notes.push(Note {
                id,
                account_id: account,
                entity_type: et,
                entity_id: eid,
                note_type: note_type.into(),
                params: params.clone(),
                created_by: d.user_id.unwrap_or(UserId(0)),
                updated_by: d.user_id.unwrap_or(UserId(0)),
                responsible_user_id: d.user_id.or(pl.responsible),
                created_at: now,
                updated_at: now,
                is_pinned: false,
            });
            new_events.push(Event {
                id: ctx.next_id(),
                account_id: account,
                event_type: if d.direction == CallDirection::Inbound {
                    "incoming_call"
                } else {
                    "outgoing_call"
                }
                .into(),
                entity_type: et,
                entity_id: eid,
                created_by: d.user_id.unwrap_or(UserId(0)),
                created_at: now,
                value_before: json!([]),
                value_after: json!([{ "note": { "id": id.0 } }]),
            });
        }
        notes::insert_many(&mut tx, &new_notes).await?;
        events::append_many(&mut tx, &new_events).await?;
        // P9: a call-back task for a missed incoming call, once per number per hour.
        if !answered && !blacklisted && d.direction == CallDirection::Inbound && s.missed_call_tasks
        {
            if let Some(owner) = pl.responsible.or(integration.default_user_id) {
                let since = now - CALLBACK_WINDOW_MS;
                let e164 = d
                    .customer_e164
                    .clone()
                    .or_else(|| phone.as_ref().map(|p| p.digits.clone()));
                let existing = tasks::find_open_callback(
                    &mut tx,
                    account,
                    e164.as_deref(),
                    Some((pl.kind.entity_kind(), pl.id)),
                    since,
                )
                .await?;
                if existing.is_none() {
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
                        created_by: UserId(0),
                        updated_by: UserId(0),
                        created_at: now,
                        updated_at: now,
                    };
                    tasks::insert(&mut tx, &t).await?;
                    events::append(
                        &mut tx,
                        &Event {
                            id: ctx.next_id(),
                            account_id: account,
                            event_type: "task_added".into(),
                            entity_type: EntityKind::Tasks,
                            entity_id: t.id.0,
                            created_by: UserId(0),
                            created_at: now,
                            value_before: json!([]),
                            value_after: json!([{ "task": { "id": t.id.0 } }]),
                        },
                    )
                    .await?;
                }
            }
        }
    }
    let links = match &place {
        Some(pl) => links_for(pl, note_id),
        None => CallLinks {
            note_id,
            ..Default::default()
        },
    };
    calls::set_links(&mut tx, account, call, &links, now).await?;
    tx.commit().await?;
    Ok(())
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
        created_by: UserId(0),
        updated_by: UserId(0),
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
    let mut evs = vec![Event {
        id: ctx.next_id(),
        account_id: account,
        event_type: "contact_added".into(),
        entity_type: EntityKind::Contacts,
        entity_id: contact_id,
        created_by: UserId(0),
        created_at: now,
        value_before: json!([]),
        value_after: json!([{ "source": "telephony", "call_id": s.id.0 }]),
    }];
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
                    created_by: UserId(0),
                    updated_by: UserId(0),
                    created_at: now,
                    updated_at: now,
                    closed_at: None,
                    closest_task_at: None,
                    is_deleted: false,
                    custom_fields: vec![],
                };
                leads::insert_many(tx, std::slice::from_ref(&lead)).await?;
                leads::add_contact(tx, account, lead.id, ContactId(contact_id), true).await?;
                evs.push(Event {
                    id: ctx.next_id(),
                    account_id: account,
                    event_type: "lead_added".into(),
                    entity_type: EntityKind::Leads,
                    entity_id: lead.id.0,
                    created_by: UserId(0),
                    created_at: now,
                    value_before: json!([]),
                    value_after: json!([{ "source": "telephony", "call_id": s.id.0 }]),
                });
                lead_id = Some(lead.id);
            }
        } else {
            tracing::warn!(
                account = account.0,
                "no pipeline: the lead for an unknown caller was not created"
            );
        }
    }
    events::append_many(tx, &evs).await?;
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
    drop(c);
    let p = ctx.providers.get(&integration)?;
    let links = p
        .recording_links(
            &session.provider_call_id,
            session.data.recording_id.as_deref(),
        )
        .await
        .map_err(|e| ServiceError::Upstream(super::pbx_message(&e, &integration.provider)))?;
    let Some(link) = links.first() else {
        return Err(ServiceError::Upstream(
            "the PBX returned no recording link yet".into(),
        ));
    };
    let audio = p
        .download(link)
        .await
        .map_err(|e| ServiceError::Upstream(super::pbx_message(&e, &integration.provider)))?;
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
