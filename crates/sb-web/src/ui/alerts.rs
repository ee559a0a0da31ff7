//! The admins' notification centre (V9): `/alerts` lists the integration problems
//! (refused webhooks, an unreachable PBX, recordings and auto-creates given up), each
//! with its count, first and last time, what it means and what to do in the admin's
//! language, a link to the setting that fixes it and a Dismiss button. The header's
//! bell (base.html) links here with the open count ([`super::Layout::alerts`]).
//! A manager gets the 403 page: the service asks for an admin.

use super::{page, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_domain::IntegrationId;
use sb_service::telephony::alerts::{self, Alert, Code};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/dismiss", post(dismiss))
}

/// One alert, its texts already in the admin's language.
struct Row {
    integration_id: i64,
    integration: String,
    code: &'static str,
    title: String,
    explain: String,
    fix: String,
    link: String,
    link_label: String,
    count: String,
    first_seen: String,
    last_seen: String,
    detail: String,
}

/// The keys of a code's title, explanation and fix (literal, so the i18n test sees them).
fn texts(code: Code) -> [&'static str; 3] {
    match code {
        Code::WebhookBadSignature => [
            "alerts-bad-signature-title",
            "alerts-bad-signature-explain",
            "alerts-bad-signature-fix",
        ],
        Code::WebhookForbiddenSource => [
            "alerts-forbidden-source-title",
            "alerts-forbidden-source-explain",
            "alerts-forbidden-source-fix",
        ],
        Code::PbxUnreachable => [
            "alerts-pbx-unreachable-title",
            "alerts-pbx-unreachable-explain",
            "alerts-pbx-unreachable-fix",
        ],
        Code::PbxAuth => [
            "alerts-pbx-auth-title",
            "alerts-pbx-auth-explain",
            "alerts-pbx-auth-fix",
        ],
        Code::RecordingFailed => [
            "alerts-recording-failed-title",
            "alerts-recording-failed-explain",
            "alerts-recording-failed-fix",
        ],
        Code::AutocreateFailed => [
            "alerts-autocreate-failed-title",
            "alerts-autocreate-failed-explain",
            "alerts-autocreate-failed-fix",
        ],
    }
}

fn row(l: &Layout, a: Alert) -> Row {
    let [title, explain, fix] = texts(a.code);
    let link_label = if a.code == Code::WebhookForbiddenSource {
        l.t("alerts-open-telephony")
    } else {
        l.t("alerts-open-integration")
    };
    Row {
        integration_id: a.integration_id.0,
        integration: a.integration_name,
        code: a.code.as_str(),
        title: l.t(title),
        explain: l.t(explain),
        fix: l.t(fix),
        link: a.fix_path,
        link_label,
        count: l.t1("alerts-count", "count", a.occurrences),
        first_seen: l.datetime(a.first_seen_at),
        last_seen: l.datetime(a.last_seen_at),
        detail: a.detail,
    }
}

#[derive(Template)]
#[template(path = "alerts/index.html")]
struct AlertsPage {
    l: Layout,
    rows: Vec<Row>,
}

async fn list(ui: Ui) -> UiResult {
    let all = alerts::list(ui.ctx(), &ui.actor).await.or_fail(&ui)?;
    let mut l = ui.layout("alerts");
    // The list just flushed what was pending: the badge matches what is shown.
    l.alerts = all.len() as i64;
    let rows = all.into_iter().map(|a| row(&l, a)).collect();
    Ok(page(&AlertsPage { l, rows }))
}

#[derive(Deserialize)]
struct DismissForm {
    integration_id: i64,
    code: String,
}

async fn dismiss(ui: Ui, Form(f): Form<DismissForm>) -> UiResult {
    alerts::dismiss(
        ui.ctx(),
        &ui.actor,
        IntegrationId(f.integration_id),
        &f.code,
    )
    .await
    .or_fail(&ui)?;
    Ok(ui.redirect("/alerts"))
}
