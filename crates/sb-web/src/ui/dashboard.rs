//! The dashboard (`/`): where a user starts the day. Their open tasks due today and
//! overdue, their recent and missed calls (with a link to the caller's card), and the
//! main pipeline's leads per stage (count, sum and a bar drawn with CSS only).

use super::{page, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::routing::get;
use axum::Router;
use sb_domain::calls::{CallDirection, CallSession, DISPOSITION_ANSWERED};
use sb_domain::feed::Task;
use sb_domain::EntityKind;
use sb_service::dashboard;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(show))
}

struct TaskLine {
    text: String,
    due: String,
    /// (href, name) of the card the task is about, when the user may see it.
    entity: Option<(String, String)>,
}

struct CallLine {
    when: String,
    inbound: bool,
    answered: bool,
    who: String,
    contact_href: Option<String>,
    duration: Option<String>,
}

struct StageLine {
    name: String,
    leads: i64,
    price: String,
    /// The bar's length in twentieths of the fullest stage's (0..=20); CSS draws it
    /// from `data-w`, since the CSP forbids inline styles.
    width: i64,
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct DashboardPage {
    l: Layout,
    overdue: Vec<TaskLine>,
    today: Vec<TaskLine>,
    recent: Vec<CallLine>,
    missed: Vec<CallLine>,
    pipeline: String,
    stages: Vec<StageLine>,
    total_leads: i64,
    total_price: String,
}

fn task_line(l: &Layout, names: &HashMap<(EntityKind, i64), String>, t: &Task) -> TaskLine {
    TaskLine {
        text: t.text.clone(),
        due: l.datetime(t.complete_till),
        entity: match (t.entity_type, t.entity_id) {
            (Some(k), Some(id)) => names
                .get(&(k, id))
                .map(|n| (format!("/{}/{id}", k.as_str()), n.clone())),
            _ => None,
        },
    }
}

fn call_line(l: &Layout, c: &CallSession) -> CallLine {
    let d = &c.data;
    let who = d
        .caller_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| d.customer_e164.clone())
        .or_else(|| d.customer_phone.clone())
        .unwrap_or_default();
    CallLine {
        when: l.datetime(d.started_at.unwrap_or(c.created_at)),
        inbound: d.direction == CallDirection::Inbound,
        answered: !d.is_missed()
            && (d.direction == CallDirection::Inbound
                || d.disposition.as_deref() == Some(DISPOSITION_ANSWERED)),
        who,
        contact_href: d.contact_id.map(|id| format!("/contacts/{}", id.0)),
        duration: d.duration_s.filter(|s| *s > 0).map(|s| l.duration(s)),
    }
}

/// Lead prices are kept in minor units; `Layout::money` shows whole units, as the
/// board's sums are read (cents would be noise there).
fn whole(minor: i64) -> i64 {
    minor.div_euclid(100)
}

async fn show(ui: Ui) -> UiResult {
    let l = ui.layout("dashboard");
    let now = ui.ctx().now();
    let (_, tomorrow) = l.fmt.day_bounds(now);
    let d = dashboard::summary(ui.ctx(), &ui.actor, now, tomorrow - 1)
        .await
        .or_fail(&ui)?;
    let mut tasks = d.overdue.clone();
    tasks.extend(d.today.iter().cloned());
    let names = sb_service::tasks::entity_names(
        ui.ctx(),
        &ui.actor,
        &sb_service::tasks::entities_of(&tasks),
    )
    .await
    .or_fail(&ui)?;
    let max = d.stages.iter().map(|s| s.leads).max().unwrap_or(0);
    let p = DashboardPage {
        overdue: d.overdue.iter().map(|t| task_line(&l, &names, t)).collect(),
        today: d.today.iter().map(|t| task_line(&l, &names, t)).collect(),
        recent: d.recent_calls.iter().map(|c| call_line(&l, c)).collect(),
        missed: d.missed_calls.iter().map(|c| call_line(&l, c)).collect(),
        pipeline: d.pipeline.name.clone(),
        total_leads: d.stages.iter().map(|s| s.leads).sum(),
        total_price: l.money(whole(d.stages.iter().map(|s| s.price).sum())),
        stages: d
            .stages
            .iter()
            .map(|s| StageLine {
                name: s.status.name.clone(),
                leads: s.leads,
                price: l.money(whole(s.price)),
                width: if max > 0 {
                    // At least a sliver for a stage with leads, so it shows.
                    ((s.leads * 20 + max / 2) / max).max(i64::from(s.leads > 0))
                } else {
                    0
                },
            })
            .collect(),
        l,
    };
    Ok(page(&p))
}
