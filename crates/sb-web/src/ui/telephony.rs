//! Telephony settings for admins (P2, P6–P11): `/settings/telephony` lists the PBX
//! integrations and installs one (the key and secret are checked with the PBX first);
//! `/settings/telephony/{id}` shows the webhook URL to paste into the PBX, the balance,
//! the PBX's extensions mapped to users (one-to-one), the default responsible user, the
//! call-handling switches, the webhook source allow list and the on/off switch;
//! `/settings/blacklist` keeps the numbers whose calls are rejected (P10). Every handler
//! asks the admin check first, so a manager gets the 403 page.

use super::{page, FormErrors, Layout, OrFail, Ui, UiResult};
use crate::extract::Links;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_domain::entities::User;
use sb_domain::{IntegrationId, UserId};
use sb_service::telephony::settings::{AutoCreate, AutoCreateAt};
use sb_service::telephony::{self, IntegrationView, Settings};
use sb_service::{users, ServiceError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/telephony", get(list).post(install))
        .route("/settings/telephony/{id}", get(show).post(save))
        .route("/settings/telephony/{id}/active", post(set_active))
        .route("/settings/telephony/{id}/extensions", post(bind))
        .route("/settings/telephony/{id}/extensions/unbind", post(unbind))
        .route("/settings/blacklist", get(blacklist).post(blacklist_add))
        .route("/settings/blacklist/{id}/delete", post(blacklist_remove))
}

/// The events the PBX must send to the webhook URL (Zadarma's names).
const EVENTS: [&str; 6] = [
    "NOTIFY_START",
    "NOTIFY_END",
    "NOTIFY_ANSWER",
    "NOTIFY_OUT_START",
    "NOTIFY_OUT_END",
    "NOTIFY_RECORD",
];

/// Blacklist entries per page.
const PAGE_SIZE: i64 = 50;

/// One option of a `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn provider_label(provider: &str) -> String {
    match provider {
        "zadarma" => "Zadarma".into(),
        other => other.to_string(),
    }
}

// ---- The list and the install form ------------------------------------------------

struct IntegrationRow {
    id: i64,
    name: String,
    provider: String,
    active: bool,
    alert: Option<String>,
}

/// The install form as typed (the secret is never sent back).
#[derive(Default, Deserialize)]
struct InstallForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    base_url: String,
}

#[derive(Template)]
#[template(path = "telephony/index.html")]
struct ListPage {
    l: Layout,
    integrations: Vec<IntegrationRow>,
    form: InstallForm,
    errors: FormErrors,
    /// What the PBX answered when it refused the install (its own words).
    refused: Option<String>,
    default_url: &'static str,
}

async fn list(ui: Ui) -> UiResult {
    ui.actor.require_admin().or_fail(&ui)?;
    render_list(
        &ui,
        InstallForm::default(),
        FormErrors::none(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn render_list(
    ui: &Ui,
    form: InstallForm,
    errors: FormErrors,
    refused: Option<String>,
    status: StatusCode,
) -> UiResult {
    let all = telephony::list(ui.ctx(), &ui.actor).await.or_fail(ui)?;
    let rows = all
        .into_iter()
        .map(|v| IntegrationRow {
            id: v.integration.id.0,
            name: v.integration.name,
            provider: provider_label(&v.integration.provider),
            active: v.integration.is_active,
            alert: v.alert.map(|a| a.message),
        })
        .collect();
    let p = ListPage {
        l: ui.layout("telephony"),
        integrations: rows,
        form: InstallForm {
            secret: String::new(),
            ..form
        },
        errors,
        refused,
        default_url: sb_telephony::zadarma::DEFAULT_BASE_URL,
    };
    Ok((status, page(&p)).into_response())
}

async fn install(ui: Ui, Form(f): Form<InstallForm>) -> UiResult {
    let settings = Settings {
        key: f.key.clone(),
        secret: f.secret.clone(),
        base_url: match f.base_url.trim() {
            "" => sb_telephony::zadarma::DEFAULT_BASE_URL.to_string(),
            u => u.to_string(),
        },
        ..Settings::default()
    };
    match telephony::install(ui.ctx(), &ui.actor, "zadarma", &f.name, settings).await {
        Ok(v) => Ok(ui.redirect(&format!(
            "/settings/telephony/{}?saved=installed",
            v.integration.id.0
        ))),
        Err(ServiceError::Upstream(m)) => {
            render_list(&ui, f, FormErrors::none(), Some(m), StatusCode::BAD_GATEWAY).await
        }
        Err(e) => {
            let errors = ui.form_errors(e)?;
            render_list(&ui, f, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ---- One integration ----------------------------------------------------------------

/// A PBX extension and who has it.
struct ExtensionRow {
    extension: String,
    /// The bound user's name.
    bound: Option<String>,
    /// The users who may still take it (those without an extension here).
    offered: Vec<Choice>,
    /// The PBX no longer lists this bound extension.
    gone: bool,
}

/// The settings form as shown: from the stored settings, or as typed after a refusal.
struct SettingsState {
    auto_create: String,
    auto_create_at: String,
    outgoing: bool,
    route_to_owner: bool,
    timeout: String,
    caller_name: bool,
    missed_tasks: bool,
    blacklist: bool,
    allowlist: String,
    default_user: String,
    key: String,
    base_url: String,
}

impl SettingsState {
    fn of(v: &IntegrationView) -> SettingsState {
        let s = v.settings.clone().unwrap_or_default();
        let readable = v.settings.is_some();
        SettingsState {
            auto_create: serde_value(&s.auto_create),
            auto_create_at: serde_value(&s.auto_create_at),
            outgoing: s.auto_create_outgoing,
            route_to_owner: s.route_to_owner,
            timeout: s.return_timeout_s.to_string(),
            caller_name: s.show_caller_name,
            missed_tasks: s.missed_call_tasks,
            blacklist: s.blacklist,
            allowlist: s.ip_allowlist.join("\n"),
            default_user: v
                .integration
                .default_user_id
                .map(|u| u.0.to_string())
                .unwrap_or_default(),
            key: if readable { s.key } else { String::new() },
            base_url: s.base_url,
        }
    }

    fn typed(f: &SettingsForm) -> SettingsState {
        SettingsState {
            auto_create: f.auto_create.clone(),
            auto_create_at: f.auto_create_at.clone(),
            outgoing: f.auto_create_outgoing.is_some(),
            route_to_owner: f.route_to_owner.is_some(),
            timeout: f.return_timeout_s.clone(),
            caller_name: f.show_caller_name.is_some(),
            missed_tasks: f.missed_call_tasks.is_some(),
            blacklist: f.blacklist.is_some(),
            allowlist: f.ip_allowlist.clone(),
            default_user: f.default_user_id.clone(),
            key: f.key.clone(),
            base_url: f.base_url.clone(),
        }
    }
}

/// An enum's name as stored ("contact_and_lead").
fn serde_value<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A select's options for the values of a settings enum, with their labels' keys.
fn choices<T: serde::Serialize>(items: &[(T, &str)], selected: &str, l: &Layout) -> Vec<Choice> {
    items
        .iter()
        .map(|(a, k)| {
            let value = serde_value(a);
            Choice {
                selected: value == selected,
                value,
                label: l.t(k),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "telephony/show.html")]
struct ShowPage {
    l: Layout,
    id: i64,
    name: String,
    provider: String,
    active: bool,
    alert: Option<String>,
    webhook_url: String,
    events: &'static [&'static str],
    balance: Option<String>,
    /// Why the PBX's figures are missing (unreachable, refused).
    pbx_error: Option<String>,
    extensions: Vec<ExtensionRow>,
    ext_errors: FormErrors,
    default_users: Vec<Choice>,
    auto_create: Vec<Choice>,
    auto_create_at: Vec<Choice>,
    s: SettingsState,
    errors: FormErrors,
    saved: Option<String>,
}

#[derive(Deserialize)]
struct Saved {
    #[serde(default)]
    saved: String,
}

async fn show(ui: Ui, links: Links, Path(id): Path<i64>, Query(q): Query<Saved>) -> UiResult {
    ui.actor.require_admin().or_fail(&ui)?;
    render_show(
        &ui,
        &links,
        id,
        None,
        FormErrors::none(),
        FormErrors::none(),
        Some(q.saved),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_show(
    ui: &Ui,
    links: &Links,
    id: i64,
    typed: Option<&SettingsForm>,
    errors: FormErrors,
    ext_errors: FormErrors,
    saved: Option<String>,
    status: StatusCode,
) -> UiResult {
    let id = IntegrationId(id);
    let v = telephony::get(ui.ctx(), &ui.actor, id).await.or_fail(ui)?;
    let l = ui.layout("telephony");
    let (balance, pbx_exts, pbx_error) = match telephony::pbx_status(ui.ctx(), &ui.actor, id).await
    {
        Ok((b, exts)) => {
            let minor = (b.amount * 100.0).round() as i64;
            let money =
                super::format::Formats::new(l.lang(), &ui.actor.account.timezone, &b.currency)
                    .money(minor);
            (Some(money), exts, None)
        }
        Err(ServiceError::Upstream(m) | ServiceError::BadRequest(m)) => (None, Vec::new(), Some(m)),
        Err(e) => return Err(ui.fail(e)),
    };
    let all = users::list(ui.ctx(), &ui.actor).await.or_fail(ui)?;
    let active: Vec<&User> = all.iter().filter(|u| u.is_active).collect();
    let names: HashMap<UserId, &str> = all.iter().map(|u| (u.id, u.name.as_str())).collect();
    let mut exts = pbx_exts.clone();
    for b in &v.bindings {
        if !exts.contains(&b.extension) {
            exts.push(b.extension.clone());
        }
    }
    let extensions = exts
        .into_iter()
        .map(|e| {
            let bound = v.bindings.iter().find(|b| b.extension == e);
            ExtensionRow {
                gone: bound.is_some() && pbx_error.is_none() && !pbx_exts.contains(&e),
                bound: bound.map(|b| {
                    names
                        .get(&b.user_id)
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| format!("#{}", b.user_id.0))
                }),
                offered: active
                    .iter()
                    .filter(|u| !v.bindings.iter().any(|b| b.user_id == u.id))
                    .map(|u| Choice {
                        value: u.id.0.to_string(),
                        label: u.name.clone(),
                        selected: false,
                    })
                    .collect(),
                extension: e,
            }
        })
        .collect();
    let s = match typed {
        Some(f) => SettingsState::typed(f),
        None => SettingsState::of(&v),
    };
    let mut default_users = vec![Choice {
        value: String::new(),
        label: l.t("telephony-default-user-none"),
        selected: s.default_user.is_empty(),
    }];
    // A deactivated default user stays shown (saving must not drop them unasked).
    default_users.extend(
        all.iter()
            .filter(|u| u.is_active || u.id.0.to_string() == s.default_user)
            .map(|u| Choice {
                value: u.id.0.to_string(),
                label: u.name.clone(),
                selected: u.id.0.to_string() == s.default_user,
            }),
    );
    let auto_create = choices(
        &[
            (AutoCreate::None, "telephony-auto-none"),
            (AutoCreate::Contact, "telephony-auto-contact"),
            (AutoCreate::ContactAndLead, "telephony-auto-contact-lead"),
            (AutoCreate::IncomingLead, "telephony-auto-incoming"),
        ],
        &s.auto_create,
        &l,
    );
    let auto_create_at = choices(
        &[
            (AutoCreateAt::Start, "telephony-auto-at-start"),
            (AutoCreateAt::End, "telephony-auto-at-end"),
        ],
        &s.auto_create_at,
        &l,
    );
    let saved = saved.and_then(|s| match s.as_str() {
        "installed" => Some(l.t("telephony-saved-installed")),
        "settings" => Some(l.t("telephony-saved-settings")),
        "ext" => Some(l.t("telephony-saved-ext")),
        "on" => Some(l.t("telephony-saved-on")),
        "off" => Some(l.t("telephony-saved-off")),
        _ => None,
    });
    let p = ShowPage {
        id: v.integration.id.0,
        name: v.integration.name.clone(),
        provider: provider_label(&v.integration.provider),
        active: v.integration.is_active,
        alert: v.alert.as_ref().map(|a| a.message.clone()),
        webhook_url: format!("{}{}", links.0, v.webhook_path),
        events: &EVENTS,
        balance,
        pbx_error,
        extensions,
        ext_errors,
        default_users,
        auto_create,
        auto_create_at,
        s,
        errors,
        saved,
        l,
    };
    Ok((status, page(&p)).into_response())
}

/// The settings form. Checkboxes are sent only when ticked; the credentials only
/// replace the stored ones when filled in.
#[derive(Default, Deserialize)]
struct SettingsForm {
    #[serde(default)]
    auto_create: String,
    #[serde(default)]
    auto_create_at: String,
    auto_create_outgoing: Option<String>,
    route_to_owner: Option<String>,
    #[serde(default)]
    return_timeout_s: String,
    show_caller_name: Option<String>,
    missed_call_tasks: Option<String>,
    blacklist: Option<String>,
    #[serde(default)]
    ip_allowlist: String,
    #[serde(default)]
    default_user_id: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    base_url: String,
}

impl SettingsForm {
    /// The settings patch `telephony::update` takes.
    fn patch(&self) -> Value {
        let mut m = Map::new();
        m.insert("auto_create".into(), json!(self.auto_create));
        m.insert("auto_create_at".into(), json!(self.auto_create_at));
        m.insert(
            "auto_create_outgoing".into(),
            json!(self.auto_create_outgoing.is_some()),
        );
        m.insert(
            "route_to_owner".into(),
            json!(self.route_to_owner.is_some()),
        );
        // A number that is not one goes as typed: the service refuses it.
        let timeout = self.return_timeout_s.trim();
        m.insert(
            "return_timeout_s".into(),
            timeout
                .parse::<u32>()
                .map(|n| json!(n))
                .unwrap_or_else(|_| json!(timeout)),
        );
        m.insert(
            "show_caller_name".into(),
            json!(self.show_caller_name.is_some()),
        );
        m.insert(
            "missed_call_tasks".into(),
            json!(self.missed_call_tasks.is_some()),
        );
        m.insert("blacklist".into(), json!(self.blacklist.is_some()));
        let nets: Vec<&str> = self
            .ip_allowlist
            .lines()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        m.insert("ip_allowlist".into(), json!(nets));
        for (name, v) in [
            ("key", &self.key),
            ("secret", &self.secret),
            ("base_url", &self.base_url),
        ] {
            if !v.trim().is_empty() {
                m.insert(name.into(), json!(v.trim()));
            }
        }
        Value::Object(m)
    }
}

async fn save(ui: Ui, links: Links, Path(id): Path<i64>, Form(f): Form<SettingsForm>) -> UiResult {
    let default_user = f
        .default_user_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|u| *u != 0)
        .map(UserId);
    match telephony::update(
        ui.ctx(),
        &ui.actor,
        IntegrationId(id),
        f.patch(),
        Some(default_user),
    )
    .await
    {
        Ok(_) => Ok(ui.redirect(&format!("/settings/telephony/{id}?saved=settings"))),
        Err(e) => {
            let errors = match e {
                // The PBX refused new credentials: its answer goes beside the form.
                ServiceError::Upstream(m) => FormErrors::general(m),
                e => ui.form_errors(e)?,
            };
            let f = SettingsForm {
                secret: String::new(),
                ..f
            };
            render_show(
                &ui,
                &links,
                id,
                Some(&f),
                errors,
                FormErrors::none(),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: String,
}

async fn set_active(ui: Ui, Path(id): Path<i64>, Form(f): Form<ActiveForm>) -> UiResult {
    let on = f.active == "1";
    telephony::set_active(ui.ctx(), &ui.actor, IntegrationId(id), on)
        .await
        .or_fail(&ui)?;
    let saved = if on { "on" } else { "off" };
    Ok(ui.redirect(&format!("/settings/telephony/{id}?saved={saved}")))
}

#[derive(Deserialize)]
struct BindForm {
    #[serde(default)]
    extension: String,
    #[serde(default)]
    user_id: String,
}

async fn bind(ui: Ui, links: Links, Path(id): Path<i64>, Form(f): Form<BindForm>) -> UiResult {
    let user = f.user_id.trim().parse::<i64>().ok().map(UserId);
    let result = match user {
        Some(u) => {
            telephony::bind_extension(
                ui.ctx(),
                &ui.actor,
                IntegrationId(id),
                &f.extension,
                Some(u),
            )
            .await
        }
        None => Err(ServiceError::one(
            "0",
            sb_domain::fields::FieldError::required("user_id"),
        )),
    };
    ext_answer(&ui, &links, id, result).await
}

async fn unbind(ui: Ui, links: Links, Path(id): Path<i64>, Form(f): Form<BindForm>) -> UiResult {
    let result =
        telephony::bind_extension(ui.ctx(), &ui.actor, IntegrationId(id), &f.extension, None).await;
    ext_answer(&ui, &links, id, result).await
}

async fn ext_answer(
    ui: &Ui,
    links: &Links,
    id: i64,
    result: Result<IntegrationView, ServiceError>,
) -> UiResult {
    let errors = match result {
        Ok(_) => return Ok(ui.redirect(&format!("/settings/telephony/{id}?saved=ext#ext-h"))),
        Err(ServiceError::Conflict(_)) => FormErrors::general(ui.tr.t("telephony-ext-taken")),
        Err(e) => ui.form_errors(e)?,
    };
    render_show(
        ui,
        links,
        id,
        None,
        FormErrors::none(),
        errors,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

// ---- Blacklist ----------------------------------------------------------------------

struct EntryRow {
    id: i64,
    phone: String,
    note: String,
    by: String,
    at: String,
}

#[derive(Default, Deserialize)]
struct BlacklistForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "telephony/blacklist.html")]
struct BlacklistPage {
    l: Layout,
    entries: Vec<EntryRow>,
    form: BlacklistForm,
    errors: FormErrors,
    page: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    done: String,
}

async fn blacklist(ui: Ui, Query(q): Query<ListQuery>) -> UiResult {
    ui.actor.require_admin().or_fail(&ui)?;
    let page_no = q
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let done = match q.done.as_str() {
        "added" => Some(ui.tr.t("telephony-blacklist-added")),
        "removed" => Some(ui.tr.t("telephony-blacklist-removed")),
        _ => None,
    };
    render_blacklist(
        &ui,
        page_no,
        BlacklistForm::default(),
        FormErrors::none(),
        done,
        StatusCode::OK,
    )
    .await
}

async fn render_blacklist(
    ui: &Ui,
    page_no: i64,
    form: BlacklistForm,
    errors: FormErrors,
    done: Option<String>,
    status: StatusCode,
) -> UiResult {
    let mut items = telephony::blacklist_list(
        ui.ctx(),
        &ui.actor,
        PAGE_SIZE + 1,
        (page_no - 1).saturating_mul(PAGE_SIZE),
    )
    .await
    .or_fail(ui)?;
    let has_next = items.len() as i64 > PAGE_SIZE;
    items.truncate(PAGE_SIZE as usize);
    let all = users::list(ui.ctx(), &ui.actor).await.or_fail(ui)?;
    let names: HashMap<UserId, &str> = all.iter().map(|u| (u.id, u.name.as_str())).collect();
    let l = ui.layout("blacklist");
    let entries = items
        .into_iter()
        .map(|e| EntryRow {
            id: e.id,
            phone: e.phone.e164.clone().unwrap_or_else(|| e.phone.raw.clone()),
            note: e.note,
            by: names
                .get(&e.created_by)
                .map(|n| n.to_string())
                .unwrap_or_else(|| l.t("telephony-blacklist-by-system")),
            at: l.datetime(e.created_at),
        })
        .collect();
    let href = |p: i64| format!("/settings/blacklist?page={p}");
    let p = BlacklistPage {
        entries,
        form,
        errors,
        page: page_no,
        prev_href: (page_no > 1).then(|| href(page_no - 1)),
        next_href: has_next.then(|| href(page_no + 1)),
        done,
        l,
    };
    Ok((status, page(&p)).into_response())
}

async fn blacklist_add(ui: Ui, Form(f): Form<BlacklistForm>) -> UiResult {
    ui.actor.require_admin().or_fail(&ui)?;
    match telephony::blacklist_add(ui.ctx(), &ui.actor, &f.phone, f.note.trim()).await {
        Ok(_) => Ok(ui.redirect("/settings/blacklist?done=added")),
        Err(e) => {
            let errors = match e {
                ServiceError::Conflict(_) => FormErrors::of(
                    &ServiceError::one(
                        "0",
                        sb_domain::fields::FieldError::new(
                            "BlacklistDuplicate",
                            "phone",
                            "This number is already blacklisted.",
                        ),
                    ),
                    &ui.tr,
                )
                .unwrap_or_else(FormErrors::none),
                e => ui.form_errors(e)?,
            };
            render_blacklist(&ui, 1, f, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn blacklist_remove(ui: Ui, Path(id): Path<i64>) -> UiResult {
    ui.actor.require_admin().or_fail(&ui)?;
    telephony::blacklist_remove(ui.ctx(), &ui.actor, id)
        .await
        .or_fail(&ui)?;
    Ok(ui.redirect("/settings/blacklist?done=removed"))
}
