//! The telephony engine (P1–P11, V1, V3–V9, B3, B5): integrations and their settings,
//! verified and durable webhook ingest, caller ID and routing answers, the call
//! lifecycle into the CRM (notes, tasks, auto-created cards, recordings) through the
//! job queue, click-to-call, the blacklist and real-time call events.

pub mod alerts;
pub mod at_rest;
pub mod hub;
pub mod ingest;
pub mod live;
pub mod log;
pub mod routes;
pub mod settings;
pub mod stats;
pub mod work;

use crate::{Actor, Ctx, ServiceError};
use sb_domain::integrations::{BlacklistEntry, ExtensionBinding, Integration};
use sb_domain::report::Chain;
use sb_domain::{AccountId, IntegrationId, Phone, UserId};
use sb_store::{blacklist, integrations, users};
use sb_telephony::zadarma::{Zadarma, ZadarmaConfig};
use sb_telephony::{PbxError, PbxProvider};
pub use settings::Settings;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Built provider clients, one per integration (a reqwest client each), rebuilt when the
/// integration's settings change.
#[derive(Default)]
pub struct Providers {
    cache: Mutex<HashMap<IntegrationId, Built>>,
}

/// A provider client and the integration version (`updated_at`) it was built from.
type Built = (i64, Arc<dyn PbxProvider>);

impl Providers {
    /// The client for `i`, built from `settings`: the caller has read them (so settings
    /// that became unreadable behind our back, with the same `updated_at`, are refused
    /// before a cached client is handed out).
    pub fn get(
        &self,
        i: &Integration,
        settings: &Settings,
    ) -> Result<Arc<dyn PbxProvider>, ServiceError> {
        if let Ok(map) = self.cache.lock() {
            if let Some((stamp, p)) = map.get(&i.id) {
                if *stamp == i.updated_at {
                    return Ok(p.clone());
                }
            }
        }
        let p = build_provider(&i.provider, settings)
            .map_err(|e| ServiceError::Upstream(pbx_message(&e, &i.provider)))?;
        if let Ok(mut map) = self.cache.lock() {
            map.insert(i.id, (i.updated_at, p.clone()));
        }
        Ok(p)
    }
}

/// The settings of `i`, or the refusal a user is shown when they cannot be read.
fn usable_settings(i: &Integration) -> Result<Settings, ServiceError> {
    Settings::from_json(&i.settings).map_err(|e| refusal(i, &e))
}

fn refusal(i: &Integration, e: &settings::Unreadable) -> ServiceError {
    ServiceError::BadRequest(format!(
        "The telephony integration {:?} cannot be used: {e}. An admin saves its settings again (with the key and secret) in the telephony settings.",
        i.name
    ))
}

fn build_provider(kind: &str, s: &Settings) -> Result<Arc<dyn PbxProvider>, PbxError> {
    match kind {
        "zadarma" => {
            let mut cfg = ZadarmaConfig::new(s.key.clone(), s.secret.clone());
            cfg.base_url = s.base_url.clone();
            if !s.ip_allowlist.is_empty() {
                let nets = s
                    .ip_allowlist
                    .iter()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                cfg.ip_allowlist = Some(nets);
            }
            Ok(Arc::new(Zadarma::new(cfg)?))
        }
        other => Err(PbxError::Protocol(format!("unknown provider {other}"))),
    }
}

/// A PBX error as a message a user can act on.
pub fn pbx_message(e: &PbxError, provider: &str) -> String {
    match e {
        PbxError::Auth(m) => format!("The {provider} PBX refused the key and secret ({m}). Check them in the PBX's API settings."),
        PbxError::Rejected(m) => format!("The {provider} PBX refused the request: {m}"),
        PbxError::RateLimited => format!("The {provider} PBX is rate-limiting us; try again in a minute."),
        PbxError::Unreachable(m) => format!("The {provider} PBX cannot be reached ({m}). Check the API URL and the network."),
        PbxError::Timeout => format!("The {provider} PBX did not answer in time; try again."),
        PbxError::Protocol(m) => format!("The {provider} PBX gave an answer we could not read ({m})."),
    }
}

/// What the settings page shows (P2).
#[derive(Debug, Clone)]
pub struct IntegrationView {
    pub integration: Integration,
    /// `None` when the stored settings cannot be read; `alert` then says so.
    pub settings: Option<Settings>,
    /// A problem admins must see and fix.
    pub alert: Option<Alert>,
    /// Path of the webhook URL to paste into the PBX (prefix it with the public URL).
    pub webhook_path: String,
    pub bindings: Vec<ExtensionBinding>,
}

/// A problem with an integration, shown to admins with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Stable, for programs: `settings_unreadable`.
    pub code: &'static str,
    pub message: String,
}

pub fn webhook_path(i: &Integration) -> String {
    format!("/hooks/{}/{}", i.provider, i.webhook_token)
}

async fn view(ctx: &Ctx, i: Integration) -> Result<IntegrationView, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let bindings = integrations::list_extensions(&mut c, i.account_id, i.id).await?;
    let (settings, alert) = match Settings::from_json(&i.settings) {
        Ok(s) => (Some(s), None),
        Err(e) => (
            None,
            Some(Alert {
                code: settings::Unreadable::CODE,
                message: e.message(),
            }),
        ),
    };
    Ok(IntegrationView {
        settings,
        alert,
        webhook_path: webhook_path(&i),
        bindings,
        integration: i,
    })
}

/// P11: installs a PBX integration after checking the key and secret with a signed call
/// (the balance); a PBX error or an unreachable PBX refuses the install with a clear message.
pub async fn install(
    ctx: &Ctx,
    actor: &Actor,
    provider: &str,
    name: &str,
    mut settings: Settings,
) -> Result<IntegrationView, ServiceError> {
    actor.require_admin()?;
    let missing: Vec<_> = [("key", &settings.key), ("secret", &settings.secret)]
        .into_iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(name, _)| {
            sb_domain::fields::FieldError::new(
                "RequiredFilled",
                name,
                format!("The {name} is required: create it in the PBX's API settings."),
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(ServiceError::Validation(vec![crate::error::ItemErrors {
            request_id: "0".into(),
            errors: missing,
        }]));
    }
    settings.key = settings.key.trim().to_string();
    settings.secret = settings.secret.trim().to_string();
    let p = build_provider(provider, &settings)
        .map_err(|e| ServiceError::BadRequest(pbx_message(&e, provider)))?;
    p.balance()
        .await
        .map_err(|e| ServiceError::Upstream(pbx_message(&e, provider)))?;
    let now = ctx.now();
    let i = Integration {
        id: IntegrationId(ctx.next_id()),
        account_id: actor.account.id,
        provider: provider.to_string(),
        name: if name.trim().is_empty() {
            provider.to_string()
        } else {
            name.trim().to_string()
        },
        settings: serde_json::to_value(&settings).map_err(|e| anyhow::anyhow!(e))?,
        webhook_token: crate::auth::random_hex(24),
        webhook_token_sealed: String::new(),
        default_user_id: Some(actor.user.id),
        is_active: true,
        created_at: now,
        updated_at: now,
    };
    let mut tx = ctx.db.begin().await?;
    integrations::insert(&mut tx, &at_rest::seal(&ctx.vault, &i)).await?;
    tx.commit().await?;
    routes_changed(ctx);
    view(ctx, i).await
}

pub async fn list(ctx: &Ctx, actor: &Actor) -> Result<Vec<IntegrationView>, ServiceError> {
    actor.require_admin()?;
    let mut c = ctx.db.conn().await?;
    let all = integrations::list(&mut c, actor.account.id, None).await?;
    drop(c);
    let mut out = Vec::new();
    for i in all {
        out.push(view(ctx, at_rest::open(&ctx.vault, i)).await?);
    }
    Ok(out)
}

async fn load(
    ctx: &Ctx,
    account: AccountId,
    id: IntegrationId,
) -> Result<Integration, ServiceError> {
    let mut c = ctx.db.conn().await?;
    integrations::get(&mut c, account, id)
        .await?
        .map(|i| at_rest::open(&ctx.vault, i))
        .ok_or(ServiceError::NotFound)
}

pub async fn get(
    ctx: &Ctx,
    actor: &Actor,
    id: IntegrationId,
) -> Result<IntegrationView, ServiceError> {
    actor.require_admin()?;
    view(ctx, load(ctx, actor.account.id, id).await?).await
}

/// Live figures from the PBX for the settings page: balance and extensions.
pub async fn pbx_status(
    ctx: &Ctx,
    actor: &Actor,
    id: IntegrationId,
) -> Result<(sb_telephony::Balance, Vec<String>), ServiceError> {
    actor.require_admin()?;
    let i = load(ctx, actor.account.id, id).await?;
    let p = ctx.providers.get(&i, &usable_settings(&i)?)?;
    let balance = alerts::pbx(ctx, &i, p.balance().await).await?;
    let exts = alerts::pbx(ctx, &i, p.extensions().await).await?;
    Ok((balance, exts))
}

/// Changes switches and the default user; key/secret changes are re-validated.
pub async fn update(
    ctx: &Ctx,
    actor: &Actor,
    id: IntegrationId,
    patch: serde_json::Value,
    default_user: Option<Option<UserId>>,
) -> Result<IntegrationView, ServiceError> {
    actor.require_admin()?;
    let mut i = load(ctx, actor.account.id, id).await?;
    // Settings that cannot be read are replaced whole: the patch then starts from the
    // defaults and must bring the key and secret (checked with the PBX below).
    let old = Settings::from_json(&i.settings).ok();
    let mut merged = match &old {
        Some(_) => i.settings.clone(),
        None => serde_json::to_value(Settings::default()).map_err(|e| anyhow::anyhow!(e))?,
    };
    if let (Some(m), Some(p)) = (merged.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            m.insert(k.clone(), v.clone());
        }
    }
    let mut settings: Settings = serde_json::from_value(merged)
        .map_err(|e| ServiceError::BadRequest(format!("invalid settings: {e}")))?;
    settings.ip_allowlist = checked_allowlist(&settings.ip_allowlist)?;
    if old.is_none() && (settings.key.trim().is_empty() || settings.secret.trim().is_empty()) {
        return Err(ServiceError::BadRequest(
            "the stored settings cannot be read: send them whole, with the key and secret".into(),
        ));
    }
    let checked = old.as_ref().is_some_and(|old| {
        settings.key == old.key
            && settings.secret == old.secret
            && settings.base_url == old.base_url
    });
    if !checked {
        let p = build_provider(&i.provider, &settings)
            .map_err(|e| ServiceError::BadRequest(pbx_message(&e, &i.provider)))?;
        p.balance()
            .await
            .map_err(|e| ServiceError::Upstream(pbx_message(&e, &i.provider)))?;
    }
    if let Some(u) = default_user {
        if let Some(uid) = u {
            let mut c = ctx.db.conn().await?;
            users::get(&mut c, actor.account.id, uid)
                .await?
                .ok_or_else(|| {
                    ServiceError::BadRequest("default_user_id is not a user of this account".into())
                })?;
        }
        i.default_user_id = u;
    }
    i.settings = serde_json::to_value(&settings).map_err(|e| anyhow::anyhow!(e))?;
    if i.webhook_token.is_empty() {
        // Its sealed copy did not open (another key): the PBX needs the new URL.
        i.webhook_token = crate::auth::random_hex(24);
    }
    i.updated_at = ctx.now().max(i.updated_at + 1);
    let mut tx = ctx.db.begin().await?;
    integrations::update(&mut tx, &at_rest::seal(&ctx.vault, &i)).await?;
    tx.commit().await?;
    routes_changed(ctx);
    view(ctx, i).await
}

/// The webhook source allow list, trimmed and without blank lines; every entry must be
/// a network (`185.45.152.40/30`) or an address, else the field is refused (a wrong
/// entry is never dropped silently: that would let through what the admin meant to keep out).
fn checked_allowlist(nets: &[String]) -> Result<Vec<String>, ServiceError> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for n in nets.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match n.parse::<sb_telephony::IpCidr>() {
            Ok(_) => out.push(n.to_string()),
            Err(_) => bad.push(n.to_string()),
        }
    }
    if bad.is_empty() {
        return Ok(out);
    }
    Err(ServiceError::one(
        "0",
        sb_domain::fields::FieldError::new(
            "InvalidCidr",
            "ip_allowlist",
            format!(
                "Not a network address (CIDR such as 185.45.152.40/30): {}",
                bad.join(", ")
            ),
        ),
    ))
}

/// Enables or disables an integration: a disabled one takes no webhooks and places no
/// calls; its settings and extensions stay.
pub async fn set_active(
    ctx: &Ctx,
    actor: &Actor,
    id: IntegrationId,
    active: bool,
) -> Result<IntegrationView, ServiceError> {
    actor.require_admin()?;
    let mut i = load(ctx, actor.account.id, id).await?;
    if i.is_active != active {
        i.is_active = active;
        i.updated_at = ctx.now().max(i.updated_at + 1);
        let mut tx = ctx.db.begin().await?;
        integrations::update(&mut tx, &at_rest::seal(&ctx.vault, &i)).await?;
        tx.commit().await?;
        routes_changed(ctx);
    }
    view(ctx, i).await
}

/// Binds a PBX extension to a user (one-to-one: an extension taken by one user is not
/// offered to another), or unbinds it with `None`.
pub async fn bind_extension(
    ctx: &Ctx,
    actor: &Actor,
    id: IntegrationId,
    extension: &str,
    user: Option<UserId>,
) -> Result<IntegrationView, ServiceError> {
    actor.require_admin()?;
    let i = load(ctx, actor.account.id, id).await?;
    let ext = extension.trim();
    if ext.is_empty() || ext.len() > 32 {
        return Err(ServiceError::BadRequest(
            "the extension must be a short number such as 101".into(),
        ));
    }
    let mut tx = ctx.db.begin().await?;
    match user {
        Some(u) => {
            users::get(&mut tx, actor.account.id, u)
                .await?
                .ok_or_else(|| {
                    ServiceError::BadRequest("user_id is not a user of this account".into())
                })?;
            let b = ExtensionBinding {
                account_id: actor.account.id,
                integration_id: i.id,
                extension: ext.to_string(),
                user_id: u,
                created_at: ctx.now(),
            };
            integrations::bind_extension(&mut tx, &b).await.map_err(|e| match e {
                sb_store::StoreError::Conflict { .. } => ServiceError::Conflict(format!("extension {ext} is already bound to another user, or the user already has an extension")),
                other => other.into(),
            })?;
        }
        None => {
            integrations::unbind_extension(&mut tx, actor.account.id, i.id, ext).await?;
        }
    }
    tx.commit().await?;
    routes_changed(ctx);
    view(ctx, i).await
}

// --- Blacklist (P10) ---

pub async fn blacklist_add(
    ctx: &Ctx,
    actor: &Actor,
    raw: &str,
    note: &str,
) -> Result<BlacklistEntry, ServiceError> {
    let phone = Phone::parse(raw, &actor.account.country);
    if phone.digits.len() < sb_domain::phone::MIN_PHONE_DIGITS {
        return Err(ServiceError::one(
            "0",
            sb_domain::fields::FieldError::new(
                "InvalidPhone",
                "phone",
                "This is not a phone number.",
            ),
        ));
    }
    let e = BlacklistEntry {
        id: ctx.next_id(),
        account_id: actor.account.id,
        phone,
        note: note.to_string(),
        created_by: actor.user.id,
        created_at: ctx.now(),
    };
    let mut tx = ctx.db.begin().await?;
    blacklist::add(&mut tx, &e).await.map_err(|err| match err {
        sb_store::StoreError::Conflict { .. } => {
            ServiceError::Conflict("this number is already blacklisted".into())
        }
        other => other.into(),
    })?;
    tx.commit().await?;
    routes_changed(ctx);
    Ok(e)
}

/// Removing a number is the admins' (anyone may add one from a card, P10).
pub async fn blacklist_remove(ctx: &Ctx, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    actor.require_admin()?;
    let mut tx = ctx.db.begin().await?;
    blacklist::get(&mut tx, actor.account.id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    blacklist::remove(&mut tx, actor.account.id, id).await?;
    tx.commit().await?;
    routes_changed(ctx);
    Ok(())
}

pub async fn blacklist_list(
    ctx: &Ctx,
    actor: &Actor,
    limit: i64,
    offset: i64,
) -> Result<Vec<BlacklistEntry>, ServiceError> {
    actor.require_admin()?;
    let mut c = ctx.db.conn().await?;
    Ok(blacklist::list(&mut c, actor.account.id, limit, offset).await?)
}

// --- Click-to-call (V1, P3) ---

/// Why a call could not be placed: `code` for programs and translations, `error` with
/// the message for the user (and the API's status).
#[derive(Debug)]
pub struct DialError {
    /// `no_integration`, `no_extension`, `bad_number`, `no_money`, `wrong_number`,
    /// `pbx_refused`, `pbx_unreachable`, `settings_unreadable`, or `other`.
    pub code: &'static str,
    pub error: ServiceError,
}

impl From<DialError> for ServiceError {
    fn from(e: DialError) -> Self {
        e.error
    }
}

fn dial_error(code: &'static str, error: ServiceError) -> DialError {
    DialError { code, error }
}

/// The code of a PBX's refusal: Zadarma says why in words.
fn pbx_code(e: &PbxError) -> &'static str {
    match e {
        PbxError::Rejected(m) => {
            let m = m.to_lowercase();
            if m.contains("money") || m.contains("balance") {
                "no_money"
            } else if m.contains("number") {
                "wrong_number"
            } else {
                "pbx_refused"
            }
        }
        PbxError::Auth(_) => "pbx_refused",
        PbxError::Unreachable(_) | PbxError::Timeout => "pbx_unreachable",
        PbxError::RateLimited | PbxError::Protocol(_) => "other",
    }
}

/// Asks the PBX to ring the user's extension, then `phone`. Errors come back with a
/// message for the user and are also pushed to them as a live notification (V9).
pub async fn dial(
    ctx: &Ctx,
    actor: &Actor,
    phone: &str,
    user: Option<UserId>,
    integration: Option<IntegrationId>,
) -> Result<String, DialError> {
    let user = user.unwrap_or(actor.user.id);
    if user != actor.user.id {
        actor.require_admin().map_err(|e| dial_error("other", e))?;
    }
    let result = dial_inner(ctx, actor, phone, user, integration).await;
    if let Err(e) = &result {
        let message = match &e.error {
            ServiceError::Upstream(m) | ServiceError::BadRequest(m) => m.clone(),
            other => other.to_string(),
        };
        ctx.hub.publish(
            actor.account.id,
            hub::LiveEvent {
                kind: "error".into(),
                phone: Some(phone.to_string()),
                message: Some(message),
                code: Some(e.code.to_string()),
                at: ctx.now(),
                users: vec![user],
                ..empty_event()
            },
        );
    }
    result
}

async fn dial_inner(
    ctx: &Ctx,
    actor: &Actor,
    phone: &str,
    user: UserId,
    integration: Option<IntegrationId>,
) -> Result<String, DialError> {
    let number = Phone::parse(phone, &actor.account.country);
    if number.digits.len() < sb_domain::phone::MIN_PHONE_DIGITS {
        return Err(dial_error(
            "bad_number",
            ServiceError::BadRequest(format!("{phone:?} is not a phone number we can dial")),
        ));
    }
    let internal = |e: ServiceError| dial_error("other", e);
    let mut c = ctx.db.conn().await.map_err(|e| internal(e.into()))?;
    let all = integrations::list(&mut c, actor.account.id, None)
        .await
        .map_err(|e| internal(e.into()))?;
    let all = all.into_iter().map(|i| at_rest::open(&ctx.vault, i));
    let candidates: Vec<Integration> = all
        .into_iter()
        .filter(|i| i.is_active && integration.is_none_or(|id| id == i.id))
        .collect();
    if candidates.is_empty() {
        return Err(dial_error("no_integration", ServiceError::BadRequest("no telephony integration is installed: an admin installs one in the telephony settings".into())));
    }
    let mut chosen = None;
    for i in candidates {
        if let Some(ext) = integrations::extension_for_user(&mut c, actor.account.id, i.id, user)
            .await
            .map_err(|e| internal(e.into()))?
        {
            chosen = Some((i, ext));
            break;
        }
    }
    drop(c);
    let Some((i, ext)) = chosen else {
        return Err(dial_error(
            "no_extension",
            ServiceError::BadRequest(
                "you have no PBX extension yet: an admin binds one to you in the telephony settings"
                    .into(),
            ),
        ));
    };
    let to = number.e164.clone().unwrap_or_else(|| number.digits.clone());
    let settings = Settings::from_json(&i.settings).map_err(|e| {
        tracing::error!(integration = i.id.0, error = %Chain(&e), "click-to-call refused");
        dial_error("settings_unreadable", refusal(&i, &e))
    })?;
    let p = ctx
        .providers
        .get(&i, &settings)
        .map_err(|e| dial_error("pbx_unreachable", e))?;
    // A failure an admin must fix also raises the integration's alert (V9).
    let placed = p.click_to_call(&ext, &to).await;
    let code = placed.as_ref().err().map(pbx_code).unwrap_or("other");
    alerts::pbx(ctx, &i, placed)
        .await
        .map_err(|e| dial_error(code, e))?;
    Ok(ext)
}

pub(crate) fn empty_event() -> hub::LiveEvent {
    hub::LiveEvent {
        kind: String::new(),
        call_id: None,
        direction: None,
        phone: None,
        name: None,
        entity_type: None,
        entity_id: None,
        responsible_user_id: None,
        user_id: None,
        answered_at: None,
        our_number: None,
        extension: None,
        message: None,
        code: None,
        at: 0,
        users: vec![],
    }
}

/// Integrations, extensions or the blacklist changed: what webhooks keep in memory is
/// dropped here, and on the other nodes sharing the database.
fn routes_changed(ctx: &Ctx) {
    ctx.routes.invalidate();
    ctx.hub.routes_changed();
}
