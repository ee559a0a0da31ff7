//! Telephony records: the inbox of inbound provider events (stored before processing,
//! deduplicated by their natural key) and the call sessions those events build.
//!
//! Sessions converge whatever the arrival order: [`apply`] locks the session row (or
//! creates it) and folds the event in with [`CallSessionState::merge`], so concurrent
//! events of one call are serialised and each transition is reported to exactly one of
//! them.

use crate::cells::{decode, Cells};
use crate::db::DbConn;
use crate::lite::LiteConn;
use crate::sql::{bind_all, bulk_shape, in_list, row_of, statement_sizes, values_sql, Arg, Sql};
use crate::{flag, Result, StoreError, Tx};
use sb_domain::calls::{
    CallChanges, CallDirection, CallPatch, CallSession, CallSessionState, CallState,
    RecordingStatus,
};
use sb_domain::{AccountId, CallId, CompanyId, ContactId, IntegrationId, LeadId, NoteId, UserId};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

// ---------------------------------------------------------------------------------------
// Inbox

/// One inbound provider event as received. `payload` is JSON text (e.g. the decoded
/// form fields), kept for replay and diagnosis, never queried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEvent {
    pub id: i64,
    pub account_id: AccountId,
    pub integration_id: IntegrationId,
    /// The natural key: a redelivery of the same event has the same one.
    pub dedup_key: String,
    /// Provider event name (`NOTIFY_START`, `SMS`, ...).
    pub event: String,
    pub provider_call_id: Option<String>,
    pub payload: String,
    pub received_at: i64,
    pub processed_at: Option<i64>,
    pub error: Option<String>,
}

const INBOX_COLUMNS: &str = "id, account_id, integration_id, dedup_key, event, provider_call_id, payload, received_at, processed_at, error";

/// A row of [`INBOX_COLUMNS`].
fn inbox_from_row(r: &AnyRow) -> Result<InboxEvent> {
    decode(r, |c| {
        Ok(InboxEvent {
            id: c.next()?,
            account_id: AccountId(c.next()?),
            integration_id: IntegrationId(c.next()?),
            dedup_key: c.next()?,
            event: c.next()?,
            provider_call_id: c.next()?,
            payload: c.next()?,
            received_at: c.next()?,
            processed_at: c.next()?,
            error: c.next()?,
        })
    })
}

/// Stores an inbound event unless one with the same `(integration, dedup_key)` is already
/// there. Returns true when it was new (and so must be processed), false for a redelivery.
pub async fn insert_inbox(c: &mut impl DbConn, e: &InboxEvent) -> Result<bool> {
    let mut args = Vec::with_capacity(INBOX_BINDS);
    inbox_args(e, &mut args);
    let text = inbox_insert(1, bulk_shape(c).anonymous);
    let done = bind_all(sqlx::query(&text), &args).execute(c.raw()).await?;
    Ok(done.rows_affected() == 1)
}

const INBOX_BINDS: usize = 10;

/// The one statement that stores inbox rows, for `rows` events (every writer of events
/// uses it, so a redelivery is told apart the same way everywhere).
fn inbox_insert(rows: usize, anonymous: bool) -> String {
    values_sql(
        &format!("insert into webhook_inbox ({INBOX_COLUMNS}) values "),
        rows,
        &row_of(INBOX_BINDS),
        anonymous,
    ) + " on conflict (account_id, integration_id, dedup_key) do nothing"
}

pub async fn get_inbox(
    c: &mut impl DbConn,
    account: AccountId,
    id: i64,
) -> Result<Option<InboxEvent>> {
    let row = sqlx::query(&format!(
        "select {INBOX_COLUMNS} from webhook_inbox where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(inbox_from_row).transpose()
}

/// Records the outcome of processing: `error` is `None` on success. A failed event keeps
/// `processed_at` null so a sweep can find it.
pub async fn mark_inbox(
    c: &mut impl DbConn,
    account: AccountId,
    id: i64,
    now: i64,
    error: Option<&str>,
) -> Result<()> {
    let processed = if error.is_none() { Some(now) } else { None };
    let done = sqlx::query(
        "update webhook_inbox set processed_at = $1, error = $2 where account_id = $3 and id = $4",
    )
    .bind(processed)
    .bind(error.map(str::to_string))
    .bind(account.0)
    .bind(id)
    .execute(c.raw())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Every stored event of one call, in arrival order (diagnosis, replay).
pub async fn list_inbox_for_call(
    c: &mut impl DbConn,
    account: AccountId,
    integration: IntegrationId,
    provider_call_id: &str,
) -> Result<Vec<InboxEvent>> {
    let rows = sqlx::query(&format!(
        "select {INBOX_COLUMNS} from webhook_inbox where account_id = $1 and integration_id = $2 and provider_call_id = $3 order by received_at, id"
    ))
    .bind(account.0)
    .bind(integration.0)
    .bind(provider_call_id)
    .fetch_all(c.raw())
    .await?;
    rows.iter().map(inbox_from_row).collect()
}

/// Events of every account not processed yet and received before `before` (a recovery
/// sweep for events whose processing job was lost), oldest first.
pub async fn list_unprocessed_inbox(
    c: &mut impl DbConn,
    before: i64,
    limit: i64,
) -> Result<Vec<InboxEvent>> {
    let rows = sqlx::query(&format!("select {INBOX_COLUMNS} from webhook_inbox where processed_at is null and received_at < $1 order by received_at, id limit $2"))
        .bind(before)
        .bind(limit)
        .fetch_all(c.raw())
        .await?;
    rows.iter().map(inbox_from_row).collect()
}

// ---------------------------------------------------------------------------------------
// Sessions

const SESSION_COLUMNS: &str = "id, account_id, integration_id, provider_call_id, direction, state, customer_phone, customer_e164, our_number, extension, \
     extension_final, user_id, disposition, duration_s, started_at, answered_at, ended_at, recording_id, recording_path, recording_status, \
     contact_id, company_id, lead_id, note_id, caller_name, created_at, updated_at";

/// A row of [`SESSION_COLUMNS`], from either driver (the fast lane reads sessions too).
fn session_from_row<R: Cells>(r: &R) -> Result<CallSession> {
    decode(r, |c| {
        Ok(CallSession {
            id: CallId(c.next()?),
            account_id: AccountId(c.next()?),
            integration_id: IntegrationId(c.next()?),
            provider_call_id: c.next()?,
            data: CallSessionState {
                direction: c.parse("call_sessions.direction", CallDirection::parse)?,
                state: c.parse("call_sessions.state", CallState::parse)?,
                customer_phone: c.next()?,
                customer_e164: c.next()?,
                our_number: c.next()?,
                extension: c.next()?,
                extension_final: c.flag()?,
                user_id: c.next::<Option<i64>>()?.map(UserId),
                disposition: c.next()?,
                duration_s: c.next()?,
                started_at: c.next()?,
                answered_at: c.next()?,
                ended_at: c.next()?,
                recording_id: c.next()?,
                recording_path: c.next()?,
                recording_status: c
                    .parse_opt("call_sessions.recording_status", RecordingStatus::parse)?,
                contact_id: c.next::<Option<i64>>()?.map(ContactId),
                company_id: c.next::<Option<i64>>()?.map(CompanyId),
                lead_id: c.next::<Option<i64>>()?.map(LeadId),
                note_id: c.next::<Option<i64>>()?.map(NoteId),
                caller_name: c.next()?,
            },
            created_at: c.next()?,
            updated_at: c.next()?,
        })
    })
}

const SESSION_BINDS: usize = 27;

/// The one statement that writes sessions, for `rows` of them; an `on conflict` clause
/// ([`SESSION_MERGE`] or [`SESSION_LOCK`]) completes it.
fn session_insert(rows: usize, anonymous: bool) -> String {
    values_sql(
        &format!("insert into call_sessions ({SESSION_COLUMNS}) values "),
        rows,
        &row_of(SESSION_BINDS),
        anonymous,
    )
}

/// The session of one call (`$1` account, `$2` integration, `$3` provider call id).
fn session_by_call() -> String {
    format!("select {SESSION_COLUMNS} from call_sessions where account_id = $1 and integration_id = $2 and provider_call_id = $3")
}

/// Inserts a new session, or on conflict takes the existing row's lock with a no-op
/// update (portable across both backends, unlike `for update`); `returning id` tells
/// which happened (see [`apply`]).
const SESSION_LOCK: &str = " on conflict (account_id, integration_id, provider_call_id) do update set updated_at = call_sessions.updated_at returning id";

/// Writes a whole session: inserts it, or overwrites the mergeable columns of the
/// session of the same id; a new session whose call already has another (a different
/// id) is not written, so the count of rows written tells (see [`apply_batch`]). (On
/// PostgreSQL that other session's row is locked all the same, so such a batch may wait
/// for its writer before it fails and its events are applied one by one.)
const SESSION_MERGE: &str = " on conflict (account_id, integration_id, provider_call_id) do update set \
     direction = excluded.direction, state = excluded.state, customer_phone = excluded.customer_phone, \
     customer_e164 = excluded.customer_e164, our_number = excluded.our_number, extension = excluded.extension, \
     extension_final = excluded.extension_final, user_id = excluded.user_id, disposition = excluded.disposition, \
     duration_s = excluded.duration_s, started_at = excluded.started_at, answered_at = excluded.answered_at, \
     ended_at = excluded.ended_at, recording_id = excluded.recording_id, recording_path = excluded.recording_path, \
     recording_status = excluded.recording_status, contact_id = excluded.contact_id, company_id = excluded.company_id, \
     lead_id = excluded.lead_id, note_id = excluded.note_id, caller_name = excluded.caller_name, \
     updated_at = excluded.updated_at where call_sessions.id = excluded.id";

/// A whole session's values in `SESSION_COLUMNS` order (missing values as NULLs, so
/// one statement text serves every row).
fn session_args(s: &CallSession, out: &mut Vec<Arg>) {
    let d = &s.data;
    out.extend([
        Arg::from(s.id.0),
        s.account_id.0.into(),
        s.integration_id.0.into(),
        s.provider_call_id.as_str().into(),
        d.direction.as_str().into(),
        d.state.as_str().into(),
        d.customer_phone.clone().into(),
        d.customer_e164.clone().into(),
        d.our_number.clone().into(),
        d.extension.clone().into(),
        flag(d.extension_final).into(),
        d.user_id.map(|u| u.0).into(),
        d.disposition.clone().into(),
        d.duration_s.into(),
        d.started_at.into(),
        d.answered_at.into(),
        d.ended_at.into(),
        d.recording_id.clone().into(),
        d.recording_path.clone().into(),
        d.recording_status.map(|r| r.as_str().to_string()).into(),
        d.contact_id.map(|v| v.0).into(),
        d.company_id.map(|v| v.0).into(),
        d.lead_id.map(|v| v.0).into(),
        d.note_id.map(|v| v.0).into(),
        d.caller_name.clone().into(),
        s.created_at.into(),
        s.updated_at.into(),
    ]);
}

/// An inbox row's values in `INBOX_COLUMNS` order.
fn inbox_args(e: &InboxEvent, out: &mut Vec<Arg>) {
    out.extend([
        Arg::from(e.id),
        e.account_id.0.into(),
        e.integration_id.0.into(),
        e.dedup_key.as_str().into(),
        e.event.as_str().into(),
        e.provider_call_id.clone().into(),
        e.payload.as_str().into(),
        e.received_at.into(),
        e.processed_at.into(),
        e.error.clone().into(),
    ]);
}

/// The result of [`apply`]: the session after the event and what the event changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub session: CallSession,
    pub changes: CallChanges,
}

/// Folds one event into the session of `(integration, provider_call_id)`, creating it
/// if needed. Takes a transaction on purpose: the row stays locked until it commits, so
/// concurrent events of the same call cannot both see (and act on) one transition.
pub async fn apply(
    tx: &mut Tx,
    account: AccountId,
    integration: IntegrationId,
    provider_call_id: &str,
    patch: &CallPatch,
    now: i64,
) -> Result<Applied> {
    let mut data = CallSessionState::new(patch.direction);
    let mut changes = data.merge(patch);
    let fresh = CallSession {
        id: CallId(sb_domain::next_id(now)),
        account_id: account,
        integration_id: integration,
        provider_call_id: provider_call_id.to_string(),
        data,
        created_at: now,
        updated_at: now,
    };
    let shape = bulk_shape(tx);
    let mut args = Vec::with_capacity(SESSION_BINDS);
    session_args(&fresh, &mut args);
    let text = session_insert(1, shape.anonymous) + SESSION_LOCK;
    let id: i64 = bind_all(sqlx::query(&text), &args)
        .fetch_one(tx.raw())
        .await?
        .try_get(0)?;
    if id == fresh.id.0 {
        changes.created = true;
        changes.changed = true;
        changes.state_from = None;
        return Ok(Applied {
            session: fresh,
            changes,
        });
    }
    let mut session = get(tx, account, CallId(id))
        .await?
        .ok_or(StoreError::NotFound)?;
    let changes = session.data.merge(patch);
    if changes.changed {
        session.updated_at = now;
        // The row is this session's and locked: the batches' upsert overwrites it.
        if write_sessions(tx, shape, &[&session], SESSION_MERGE).await? != 1 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(Applied { session, changes })
}

/// One event for [`apply_batch`]: its inbox row and what it says about its call.
pub struct BatchItem<'a> {
    pub inbox: &'a InboxEvent,
    pub provider_call_id: &'a str,
    pub patch: &'a CallPatch,
    pub now: i64,
}

/// Group commit of many events in one transaction with a handful of statements instead
/// of several per event: one multi-row inbox insert tells the new events from
/// redeliveries; one read fetches (and on PostgreSQL locks) the sessions they touch; the
/// events are folded in arrival order in memory, exactly as [`apply`] would one by one;
/// then new sessions go in with one insert and changed ones with one upsert.
///
/// Gives the same answer per item as calling [`insert_inbox`] and [`apply`] in turn
/// (`None` for a redelivery). A session created meanwhile by another writer (another
/// node on PostgreSQL) makes it fail with [`StoreError::Conflict`]: roll back and apply
/// the events one by one.
pub async fn apply_batch(tx: &mut Tx, items: &[BatchItem<'_>]) -> Result<Vec<Option<Applied>>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    // 1. Inbox rows; the ids that went in are the events to process.
    let shape = bulk_shape(tx);
    let mut fresh: HashSet<i64> = HashSet::with_capacity(items.len());
    let mut rest = items;
    let mut args = Vec::new();
    for size in statement_sizes(items.len(), shape.max_binds / INBOX_BINDS) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let text = inbox_insert(size, shape.anonymous) + " returning id";
        args.clear();
        for it in chunk {
            inbox_args(it.inbox, &mut args);
        }
        for row in bind_all(sqlx::query(&text), &args)
            .fetch_all(tx.raw())
            .await?
        {
            fresh.insert(row.try_get::<i64, _>(0)?);
        }
    }

    // 2. The sessions those events touch, grouped by (account, integration).
    let mut groups: HashMap<(i64, i64), Vec<String>> = HashMap::new();
    let mut seen: HashSet<(i64, i64, &str)> = HashSet::new();
    for it in items.iter().filter(|it| fresh.contains(&it.inbox.id)) {
        let (a, i) = (it.inbox.account_id.0, it.inbox.integration_id.0);
        if seen.insert((a, i, it.provider_call_id)) {
            groups
                .entry((a, i))
                .or_default()
                .push(it.provider_call_id.to_string());
        }
    }
    let mut sessions = Sessions::new();
    let postgres = tx.is_postgres();
    for ((account, integration), ids) in &groups {
        let mut rest = ids.as_slice();
        for size in statement_sizes(ids.len(), shape.max_binds - 2) {
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            let text = if postgres {
                // One index probe per call id, each row locked until commit. (With
                // `provider_call_id in (...)`, statistics taken while the table was
                // small made PostgreSQL probe only (account, integration) and filter
                // every session of the integration: a scan per batch.)
                let ids = (0..chunk.len())
                    .map(|i| format!("(${})", i + 3))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "select s.* from (values {ids}) v(p), lateral (select {SESSION_COLUMNS} from call_sessions \
                     where account_id = $1 and integration_id = $2 and provider_call_id = v.p for update) s"
                )
            } else {
                format!(
                    "select {SESSION_COLUMNS} from call_sessions where account_id = {} and integration_id = {} and provider_call_id in {}",
                    if shape.anonymous { "?" } else { "$1" },
                    if shape.anonymous { "?" } else { "$2" },
                    in_list(chunk.len(), 3, shape.anonymous)
                )
            };
            let mut q = sqlx::query(&text).bind(*account).bind(*integration);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for row in q.fetch_all(tx.raw()).await? {
                let s = session_from_row(&row)?;
                let key = (*account, *integration, s.provider_call_id.clone());
                sessions.insert(key, (s, false, false));
            }
        }
    }

    // 3. Fold the events in arrival order.
    let (out, new_rows, changed) = fold(items, &fresh, &mut sessions);

    // 4. Write the sessions back, new and changed in one multi-row upsert: a changed
    // row overwrites its own (it exists and, on PostgreSQL, is locked by the read
    // above); a new row that meets a session created meanwhile by another writer (its
    // id differs) writes nothing, and the count tells.
    let rows: Vec<&CallSession> = new_rows.into_iter().chain(changed).collect();
    let written = write_sessions(tx, shape, &rows, SESSION_MERGE).await?;
    if written != rows.len() as u64 {
        return Err(StoreError::Conflict {
            field: "provider_call_id".into(),
        });
    }
    // Sessions written above carry their final state; each item reports its own moment.
    Ok(out)
}

// The fast lane's one-row statements, written once: under light load every event is a
// batch of its own, and building the texts was work done per event.
static LITE_INBOX_INSERT: LazyLock<String> = LazyLock::new(|| inbox_insert(1, true));
static LITE_SESSION_BY_CALL: LazyLock<String> = LazyLock::new(session_by_call);
static LITE_SESSION_WRITE: LazyLock<String> =
    LazyLock::new(|| session_insert(1, true) + SESSION_MERGE);

/// [`apply_batch`] on the SQLite fast lane: the same steps and the same answers, with a
/// cached one-row statement per step instead of multi-row ones (here a statement is a
/// function call, not a round trip).
pub fn apply_batch_lite(c: &LiteConn<'_>, items: &[BatchItem<'_>]) -> Result<Vec<Option<Applied>>> {
    let c = c.0;
    let mut args = Vec::with_capacity(SESSION_BINDS);
    let mut fresh: HashSet<i64> = HashSet::with_capacity(items.len());
    let mut insert = c.prepare_cached(&LITE_INBOX_INSERT)?;
    for it in items {
        args.clear();
        inbox_args(it.inbox, &mut args);
        if insert.execute(rusqlite::params_from_iter(&args))? == 1 {
            fresh.insert(it.inbox.id);
        }
    }
    let mut sessions = Sessions::new();
    let mut select = c.prepare_cached(&LITE_SESSION_BY_CALL)?;
    for it in items.iter().filter(|it| fresh.contains(&it.inbox.id)) {
        let key = (
            it.inbox.account_id.0,
            it.inbox.integration_id.0,
            it.provider_call_id.to_string(),
        );
        if sessions.contains_key(&key) {
            continue;
        }
        let mut rows = select.query(rusqlite::params![key.0, key.1, it.provider_call_id])?;
        if let Some(row) = rows.next()? {
            let s = session_from_row(row)?;
            sessions.insert(key, (s, false, false));
        }
    }
    let (out, new_rows, changed) = fold(items, &fresh, &mut sessions);
    let mut write = c.prepare_cached(&LITE_SESSION_WRITE)?;
    for s in new_rows.into_iter().chain(changed) {
        args.clear();
        session_args(s, &mut args);
        if write.execute(rusqlite::params_from_iter(&args))? != 1 {
            return Err(StoreError::Conflict {
                field: "provider_call_id".into(),
            });
        }
    }
    Ok(out)
}

type Key = (i64, i64, String);
/// Sessions by (account, integration, provider call id): (session, is new, changed).
type Sessions = HashMap<Key, (CallSession, bool, bool)>;

/// Folds the new events (`fresh`) into their sessions in arrival order; returns each
/// item's result, the sessions to insert and the existing ones that changed.
fn fold<'s>(
    items: &[BatchItem<'_>],
    fresh: &HashSet<i64>,
    sessions: &'s mut Sessions,
) -> (
    Vec<Option<Applied>>,
    Vec<&'s CallSession>,
    Vec<&'s CallSession>,
) {
    let mut out = Vec::with_capacity(items.len());
    let mut created: Vec<Key> = Vec::new();
    for it in items {
        if !fresh.contains(&it.inbox.id) {
            out.push(None);
            continue;
        }
        let key = (
            it.inbox.account_id.0,
            it.inbox.integration_id.0,
            it.provider_call_id.to_string(),
        );
        let applied = match sessions.get_mut(&key) {
            Some((session, _, dirty)) => {
                let changes = session.data.merge(it.patch);
                if changes.changed {
                    session.updated_at = it.now;
                    *dirty = true;
                }
                Applied {
                    session: session.clone(),
                    changes,
                }
            }
            None => {
                let mut data = CallSessionState::new(it.patch.direction);
                let mut changes = data.merge(it.patch);
                changes.created = true;
                changes.changed = true;
                changes.state_from = None;
                let session = CallSession {
                    id: CallId(sb_domain::next_id(it.now)),
                    account_id: it.inbox.account_id,
                    integration_id: it.inbox.integration_id,
                    provider_call_id: it.provider_call_id.to_string(),
                    data,
                    created_at: it.now,
                    updated_at: it.now,
                };
                sessions.insert(key.clone(), (session.clone(), true, false));
                created.push(key);
                Applied { session, changes }
            }
        };
        out.push(Some(applied));
    }
    let sessions = &*sessions;
    let new_rows = created
        .iter()
        .filter_map(|k| sessions.get(k).map(|(s, _, _)| s))
        .collect();
    let changed = sessions
        .values()
        .filter(|(_, is_new, dirty)| *dirty && !*is_new)
        .map(|(s, _, _)| s)
        .collect();
    (out, new_rows, changed)
}

/// Writes whole sessions with multi-row statements ending in `on_conflict`; returns the
/// rows affected.
async fn write_sessions(
    tx: &mut Tx,
    shape: crate::sql::BulkShape,
    rows: &[&CallSession],
    on_conflict: &str,
) -> Result<u64> {
    let mut done = 0;
    let mut rest = rows;
    let mut args = Vec::new();
    for size in statement_sizes(rows.len(), shape.max_binds / SESSION_BINDS) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let text = session_insert(size, shape.anonymous) + on_conflict;
        args.clear();
        for s in chunk {
            session_args(s, &mut args);
        }
        done += bind_all(sqlx::query(&text), &args)
            .execute(tx.raw())
            .await?
            .rows_affected();
    }
    Ok(done)
}

pub async fn get(
    c: &mut impl DbConn,
    account: AccountId,
    id: CallId,
) -> Result<Option<CallSession>> {
    let row = sqlx::query(&format!(
        "select {SESSION_COLUMNS} from call_sessions where account_id = $1 and id = $2"
    ))
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(c.raw())
    .await?;
    row.as_ref().map(session_from_row).transpose()
}

/// Several sessions by id, in no particular order (ids of another account or unknown
/// ones are left out): the card feed looks up the calls of a page of notes at once.
pub async fn get_many(
    c: &mut impl DbConn,
    account: AccountId,
    ids: &[CallId],
) -> Result<Vec<CallSession>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let raw: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let mut sql = Sql::new(&format!(
        "select {SESSION_COLUMNS} from call_sessions where account_id = "
    ));
    sql.bind(account.0).push(" and id in ").bind_list(&raw);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(session_from_row).collect()
}

pub async fn get_by_provider_id(
    c: &mut impl DbConn,
    account: AccountId,
    integration: IntegrationId,
    provider_call_id: &str,
) -> Result<Option<CallSession>> {
    let row = sqlx::query(&session_by_call())
        .bind(account.0)
        .bind(integration.0)
        .bind(provider_call_id)
        .fetch_optional(c.raw())
        .await?;
    row.as_ref().map(session_from_row).transpose()
}

/// Records what became of the recording file (the download job's result).
pub async fn set_recording(
    c: &mut impl DbConn,
    account: AccountId,
    id: CallId,
    status: RecordingStatus,
    path: Option<&str>,
    now: i64,
) -> Result<()> {
    let done = sqlx::query("update call_sessions set recording_status = $1, recording_path = $2, updated_at = $3 where account_id = $4 and id = $5")
        .bind(status.as_str())
        .bind(path.map(str::to_string))
        .bind(now)
        .bind(account.0)
        .bind(id.0)
        .execute(c.raw())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The CRM records a call is attached to. Unlike a merge, `Some` overwrites (a manager
/// may re-link a call); `None` leaves the column as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallLinks {
    pub contact_id: Option<ContactId>,
    pub company_id: Option<CompanyId>,
    pub lead_id: Option<LeadId>,
    pub note_id: Option<NoteId>,
}

pub async fn set_links(
    c: &mut impl DbConn,
    account: AccountId,
    id: CallId,
    links: &CallLinks,
    now: i64,
) -> Result<()> {
    let done = sqlx::query(
        "update call_sessions set contact_id = coalesce($1, contact_id), company_id = coalesce($2, company_id), lead_id = coalesce($3, lead_id), \
         note_id = coalesce($4, note_id), updated_at = $5 where account_id = $6 and id = $7",
    )
    .bind(links.contact_id.map(|v| v.0))
    .bind(links.company_id.map(|v| v.0))
    .bind(links.lead_id.map(|v| v.0))
    .bind(links.note_id.map(|v| v.0))
    .bind(now)
    .bind(account.0)
    .bind(id.0)
    .execute(c.raw())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The calls attached to some leads (index `call_sessions_lead`), per lead newest first.
pub async fn for_leads(
    c: &mut impl DbConn,
    account: AccountId,
    leads: &[LeadId],
) -> Result<Vec<CallSession>> {
    if leads.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = leads.iter().map(|l| l.0).collect();
    let mut sql = Sql::new(&format!(
        "select {SESSION_COLUMNS} from call_sessions where account_id = "
    ));
    sql.bind(account.0)
        .push(" and lead_id in ")
        .bind_list(&ids)
        .push(" order by lead_id, created_at desc, id desc");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(session_from_row).collect()
}

#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub integration_id: Option<IntegrationId>,
    pub user_ids: Vec<i64>,
    pub states: Vec<CallState>,
    pub direction: Option<CallDirection>,
    pub customer_e164: Option<String>,
    pub contact_id: Option<ContactId>,
    /// Only missed calls: inbound, ended, not answered (as `CallSessionState::is_missed`).
    pub missed: bool,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// Sessions of the account, newest first.
pub async fn list(
    c: &mut impl DbConn,
    account: AccountId,
    f: &CallFilter,
) -> Result<Vec<CallSession>> {
    let mut sql = Sql::new(&format!(
        "select {SESSION_COLUMNS} from call_sessions where account_id = "
    ));
    sql.bind(account.0);
    if let Some(i) = f.integration_id {
        sql.push(" and integration_id = ").bind(i.0);
    }
    if !f.user_ids.is_empty() {
        sql.push(" and user_id in ").bind_list(&f.user_ids);
    }
    if !f.states.is_empty() {
        let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
        sql.push(" and state in ").bind_list(&states);
    }
    if let Some(d) = f.direction {
        sql.push(" and direction = ").bind(d.as_str());
    }
    if let Some(p) = &f.customer_e164 {
        sql.push(" and customer_e164 = ").bind(p.as_str());
    }
    if let Some(cid) = f.contact_id {
        sql.push(" and contact_id = ").bind(cid.0);
    }
    if f.missed {
        sql.push(" and direction = ")
            .bind(CallDirection::Inbound.as_str())
            .push(" and state = ")
            .bind(CallState::Ended.as_str())
            .push(" and (disposition is null or disposition <> ")
            .bind(sb_domain::calls::DISPOSITION_ANSWERED)
            .push(")");
    }
    if let Some(v) = f.created_from {
        sql.push(" and created_at >= ").bind(v);
    }
    if let Some(v) = f.created_to {
        sql.push(" and created_at <= ").bind(v);
    }
    sql.push(" order by created_at desc, id desc limit ")
        .bind(f.limit)
        .push(" offset ")
        .bind(f.offset);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(session_from_row).collect()
}

/// Missed calls since `from` per user (user id, count): inbound, ended, not answered
/// (as [`CallFilter::missed`]); calls nobody was rung for are left out.
pub async fn missed_by_user(
    c: &mut impl DbConn,
    account: AccountId,
    from: i64,
) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "select user_id, count(*) as n from call_sessions where account_id = $1 and state = $2 and created_at >= $3 \
         and direction = $4 and (disposition is null or disposition <> $5) and user_id is not null group by user_id",
    )
    .bind(account.0)
    .bind(CallState::Ended.as_str())
    .bind(from)
    .bind(CallDirection::Inbound.as_str())
    .bind(sb_domain::calls::DISPOSITION_ANSWERED)
    .fetch_all(c.raw())
    .await?;
    rows.iter()
        .map(|r| decode(r, |c| Ok((c.next()?, c.next()?))))
        .collect()
}
