//! Integration alerts (V9): the admins' notification centre. Each problem an admin can
//! fix (refused webhooks, an unreachable PBX or refused key, recordings given up,
//! auto-create failures) is [`raise`]d where it happens; admins [`list`] and
//! [`dismiss`] them, and the header's bell shows [`count_open`].
//!
//! Raising must stay cheap whatever the rate (a flood of forged webhooks must not turn
//! into a flood of writes): occurrences are counted in memory, and each (integration,
//! code) is written at most once per [`WRITE_EVERY_MS`], carrying the count gathered
//! since. What is still in memory is written when an admin lists the alerts and by the
//! job worker's loop ([`flush_due`]), so nothing is lost for long. Raising never fails
//! its caller: a write that fails is logged and the request goes on as it would have.

use crate::{Actor, Ctx, ServiceError};
use sb_domain::integrations::Integration;
use sb_domain::report::Chain;
use sb_domain::{AccountId, IntegrationId};
use sb_store::alerts::{self as store, Bump, IntegrationAlert};
use sb_store::Tx;
use sb_telephony::PbxError;
use std::collections::HashMap;
use std::sync::Mutex;

/// At most one write per (integration, code) in this time.
pub const WRITE_EVERY_MS: i64 = 5_000;
/// A detail is a hint for the admin (an address, the PBX's answer), kept short.
const DETAIL_MAX: usize = 300;

/// What went wrong; the code is stable (API, translations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// A webhook without a valid signature was refused.
    WebhookBadSignature,
    /// A webhook from an address outside the allow list was refused.
    WebhookForbiddenSource,
    /// The PBX's API could not be reached (or did not answer in time).
    PbxUnreachable,
    /// The PBX refused the key and secret.
    PbxAuth,
    /// A recording could not be fetched after all retries.
    RecordingFailed,
    /// Creating a card for an unknown caller failed after all retries.
    AutocreateFailed,
}

impl Code {
    pub const ALL: [Code; 6] = [
        Code::WebhookBadSignature,
        Code::WebhookForbiddenSource,
        Code::PbxUnreachable,
        Code::PbxAuth,
        Code::RecordingFailed,
        Code::AutocreateFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::WebhookBadSignature => "webhook_bad_signature",
            Code::WebhookForbiddenSource => "webhook_forbidden_source",
            Code::PbxUnreachable => "pbx_unreachable",
            Code::PbxAuth => "pbx_auth",
            Code::RecordingFailed => "recording_failed",
            Code::AutocreateFailed => "autocreate_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// An open alert as admins see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub integration_id: IntegrationId,
    pub integration_name: String,
    pub code: Code,
    pub occurrences: i64,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub detail: String,
    /// The page whose setting fixes it.
    pub fix_path: String,
}

impl Alert {
    fn from_row(r: IntegrationAlert) -> Option<Alert> {
        let code = Code::parse(&r.code)?;
        let fix_path = match code {
            // The allow list is the telephony settings' own section.
            Code::WebhookForbiddenSource => "/settings/telephony".to_string(),
            _ => format!("/settings/telephony/{}", r.integration_id.0),
        };
        Some(Alert {
            integration_id: r.integration_id,
            integration_name: r.integration_name,
            code,
            occurrences: r.occurrences,
            first_seen_at: r.first_seen_at,
            last_seen_at: r.last_seen_at,
            detail: r.detail,
            fix_path,
        })
    }
}

type Key = (AccountId, IntegrationId, Code);

/// Occurrences not written yet, and when the key was last written.
struct Pending {
    written_at: i64,
    count: i64,
    first_at: i64,
    last_at: i64,
    detail: String,
}

/// The in-memory side of [`raise`]: one entry per (integration, code) seen by this
/// process, so bounded by the integrations there are (unknown webhook URLs raise
/// nothing).
#[derive(Default)]
pub struct Throttle {
    map: Mutex<HashMap<Key, Pending>>,
}

struct Due {
    key: Key,
    count: i64,
    first_at: i64,
    last_at: i64,
    detail: String,
}

impl Throttle {
    /// Counts one occurrence; what to write now, if the key's window has passed.
    fn note(&self, key: Key, detail: &str, now: i64) -> Option<Due> {
        let mut map = self.map.lock().ok()?;
        let p = map.entry(key).or_insert(Pending {
            written_at: i64::MIN,
            count: 0,
            first_at: now,
            last_at: now,
            detail: String::new(),
        });
        if p.count == 0 {
            p.first_at = now;
        }
        p.count += 1;
        p.last_at = now;
        if p.detail != detail {
            p.detail = detail.to_string();
        }
        if now.saturating_sub(p.written_at) < WRITE_EVERY_MS {
            return None;
        }
        Some(take(key, p, now))
    }

    /// Everything pending that `pick` selects, taken out to be written.
    fn take_where(&self, now: i64, pick: impl Fn(&Key, &Pending) -> bool) -> Vec<Due> {
        let Ok(mut map) = self.map.lock() else {
            return Vec::new();
        };
        map.iter_mut()
            .filter(|(k, p)| p.count > 0 && pick(k, p))
            .map(|(k, p)| take(*k, p, now))
            .collect()
    }

    fn forget(&self, key: &Key) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(key);
        }
    }
}

fn take(key: Key, p: &mut Pending, now: i64) -> Due {
    let due = Due {
        key,
        count: p.count,
        first_at: p.first_at,
        last_at: p.last_at,
        detail: std::mem::take(&mut p.detail),
    };
    p.count = 0;
    p.written_at = now;
    due
}

fn short(detail: &str) -> String {
    detail.chars().take(DETAIL_MAX).collect()
}

async fn write(ctx: &Ctx, d: &Due) {
    let (account_id, integration_id, code) = d.key;
    let b = Bump {
        account_id,
        integration_id,
        code: code.as_str(),
        count: d.count,
        first_at: d.first_at,
        last_at: d.last_at,
        detail: &d.detail,
    };
    let done = async {
        let mut tx = ctx.db.begin().await?;
        store::bump(&mut tx, &b).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = done {
        tracing::warn!(integration = integration_id.0, code = code.as_str(), error = %Chain(&e), "an integration alert was not recorded");
    }
}

/// Records one occurrence of a problem with `integration`. Cheap and infallible for
/// the caller (see the module's doc).
pub async fn raise(
    ctx: &Ctx,
    account: AccountId,
    integration: IntegrationId,
    code: Code,
    detail: &str,
) {
    let detail = short(detail);
    if let Some(due) = ctx
        .alerts
        .note((account, integration, code), &detail, ctx.now())
    {
        write(ctx, &due).await;
    }
}

/// [`raise`] inside a transaction that is writing anyway (a job being given up): no
/// throttle, the row is bumped with the transaction.
pub(crate) async fn raise_in(
    ctx: &Ctx,
    tx: &mut Tx,
    account: AccountId,
    integration: IntegrationId,
    code: Code,
    detail: &str,
) -> Result<(), ServiceError> {
    let now = ctx.now();
    let detail = short(detail);
    store::bump(
        tx,
        &Bump {
            account_id: account,
            integration_id: integration,
            code: code.as_str(),
            count: 1,
            first_at: now,
            last_at: now,
            detail: &detail,
        },
    )
    .await?;
    Ok(())
}

/// A PBX call's result: an unreachable PBX or a refused key raises its alert; any error
/// comes back as the message a user can act on.
pub async fn pbx<T>(ctx: &Ctx, i: &Integration, r: Result<T, PbxError>) -> Result<T, ServiceError> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => {
            if let Some(code) = pbx_code(&e) {
                raise(ctx, i.account_id, i.id, code, &e.to_string()).await;
            }
            Err(ServiceError::Upstream(super::pbx_message(&e, &i.provider)))
        }
    }
}

/// The alert a refused webhook is for (a malformed one is the PBX's problem, not a
/// setting to fix).
pub fn webhook_code(e: &sb_telephony::WebhookError) -> Option<Code> {
    use sb_telephony::WebhookError as W;
    match e {
        W::MissingSignature | W::BadSignature => Some(Code::WebhookBadSignature),
        W::ForbiddenSource(_) => Some(Code::WebhookForbiddenSource),
        W::Malformed(_) => None,
    }
}

/// The alert a PBX error is for: only the ones an admin fixes in the settings.
fn pbx_code(e: &PbxError) -> Option<Code> {
    match e {
        PbxError::Unreachable(_) | PbxError::Timeout => Some(Code::PbxUnreachable),
        PbxError::Auth(_) => Some(Code::PbxAuth),
        _ => None,
    }
}

/// Writes what this process still holds for `account` (before showing the list).
async fn flush_account(ctx: &Ctx, account: AccountId) {
    let due = ctx
        .alerts
        .take_where(ctx.now(), |(a, _, _), _| *a == account);
    for d in &due {
        write(ctx, d).await;
    }
}

/// Writes the occurrences held in memory whose window has passed (the job worker calls
/// this on every round; nothing to do is a lock and a look at a small map).
pub async fn flush_due(ctx: &Ctx) {
    let now = ctx.now();
    let due = ctx.alerts.take_where(now, |_, p| {
        now.saturating_sub(p.written_at) >= WRITE_EVERY_MS
    });
    for d in &due {
        write(ctx, d).await;
    }
}

/// The account's open alerts, the latest first (admins only).
pub async fn list(ctx: &Ctx, actor: &Actor) -> Result<Vec<Alert>, ServiceError> {
    actor.require_admin()?;
    flush_account(ctx, actor.account.id).await;
    let mut c = ctx.db.conn().await?;
    let rows = store::list_open(&mut c, actor.account.id).await?;
    // A code this version does not know (written by a newer node) is left out.
    Ok(rows.into_iter().filter_map(Alert::from_row).collect())
}

/// How many alerts are open, for the bell: 0 for anyone but an admin (who does not see
/// the bell), without a query.
pub async fn count_open(ctx: &Ctx, actor: &Actor) -> Result<i64, ServiceError> {
    if !actor.is_admin() {
        return Ok(0);
    }
    let mut c = ctx.db.conn().await?;
    Ok(store::count_open(&mut c, actor.account.id).await?)
}

/// Dismisses an open alert (admins only); it comes back when the problem happens again.
/// `NotFound` when no such alert is open.
pub async fn dismiss(
    ctx: &Ctx,
    actor: &Actor,
    integration: IntegrationId,
    code: &str,
) -> Result<(), ServiceError> {
    actor.require_admin()?;
    let code = Code::parse(code).ok_or(ServiceError::NotFound)?;
    let key = (actor.account.id, integration, code);
    // Occurrences before the dismissal are dismissed with it; the next one is written
    // at once, so the alert comes back without waiting for the window.
    ctx.alerts.forget(&key);
    let mut tx = ctx.db.begin().await?;
    store::dismiss(
        &mut tx,
        actor.account.id,
        integration,
        code.as_str(),
        ctx.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        (AccountId(1), IntegrationId(2), Code::WebhookBadSignature)
    }

    #[test]
    fn a_flood_is_written_once_per_window_with_its_count() {
        let t = Throttle::default();
        let first = t.note(key(), "a", 1_000).map(|d| d.count);
        assert_eq!(first, Some(1));
        for i in 0..999 {
            assert!(t.note(key(), "b", 1_001 + i).is_none());
        }
        let next = t
            .note(key(), "c", 1_000 + WRITE_EVERY_MS)
            .map(|d| (d.count, d.first_at, d.detail));
        assert_eq!(next, Some((1000, 1_001, "c".to_string())));
    }

    #[test]
    fn pending_occurrences_are_taken_once() {
        let t = Throttle::default();
        t.note(key(), "a", 0);
        t.note(key(), "a", 1);
        t.note(key(), "a", 2);
        let taken: Vec<i64> = t
            .take_where(3, |_, _| true)
            .iter()
            .map(|d| d.count)
            .collect();
        assert_eq!(taken, vec![2]);
        assert!(t.take_where(4, |_, _| true).is_empty());
    }

    #[test]
    fn codes_round_trip() {
        for c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(c));
        }
        assert_eq!(Code::parse("nope"), None);
    }
}
