//! The incoming-leads inbox (`/incoming`, C7): each lead waiting to be sorted with its
//! source and, for a call, the caller, the time, the length, the number dialled and a
//! player; accept it (stage and owner), decline it as spam, or link it to an existing
//! lead found by name. Every action is one `sb_service::incoming` call, the same ones
//! the Kommo unsorted API answers from.

use super::{page, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_domain::calls::CallDirection;
use sb_domain::pipelines::Pipeline;
use sb_domain::UserId;
use sb_service::incoming::{
    self, AcceptInput, CardName, Category, IncomingCall, IncomingLead, IncomingQuery,
};
use serde::Deserialize;

/// Entries per page.
const PER_PAGE: i64 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/incoming", get(show))
        .route("/incoming/{id}/accept", post(accept))
        .route("/incoming/{id}/decline", post(decline))
        .route("/incoming/{id}/link", get(link_page).post(link))
        .route("/incoming/{id}/calls/{call}/recording", get(recording))
}

/// A call as the page shows it.
struct CallView {
    phone: String,
    called_at: i64,
    duration_s: Option<i64>,
    inbound: bool,
    virtual_number: Option<String>,
    /// Our stored recording, played through this page's route (same origin, so the
    /// Content-Security-Policy lets the player load it).
    audio: Option<String>,
    /// A recording kept elsewhere (a call logged through the API with its own link):
    /// offered as a link, since the policy keeps other origins out of the player.
    external: Option<String>,
}

impl CallView {
    fn of(lead: i64, c: &IncomingCall) -> CallView {
        let link = c.recording_link.as_deref().filter(|_| c.has_recording);
        let ours = link.is_some_and(|l| l.starts_with('/'));
        CallView {
            phone: c.phone.clone().unwrap_or_default(),
            called_at: c.called_at,
            duration_s: c.duration_s,
            inbound: c.direction == CallDirection::Inbound,
            virtual_number: c.virtual_number.clone(),
            audio: ours.then(|| format!("/incoming/{lead}/calls/{}/recording", c.call_id.0)),
            external: link
                .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
                .map(str::to_string),
        }
    }
}

/// One inbox entry with what its forms offer.
struct Entry {
    id: i64,
    name: String,
    created_at: i64,
    price: i64,
    pipeline: String,
    /// The translation key of its source.
    source: &'static str,
    contact: Option<CardName>,
    company: Option<CardName>,
    calls: Vec<CallView>,
    /// The working stages of its pipeline, as (id, name), in order.
    stages: Vec<(i64, String)>,
    responsible: Option<i64>,
}

fn source_key(c: Category) -> &'static str {
    match c {
        Category::Sip => "incoming-source-sip",
        Category::Forms => "incoming-source-forms",
    }
}

fn stages_of(p: Option<&Pipeline>) -> Vec<(i64, String)> {
    let mut v: Vec<_> = p
        .map(|p| p.statuses.iter().filter(|s| !s.is_system()).collect())
        .unwrap_or_default();
    v.sort_by_key(|s| (s.sort, s.id));
    v.into_iter().map(|s| (s.id.0, s.name.clone())).collect()
}

fn entry(i: IncomingLead, ps: &[Pipeline]) -> Entry {
    let p = ps.iter().find(|p| p.id == i.lead.pipeline_id);
    let id = i.lead.id.0;
    Entry {
        id,
        name: i.lead.name.clone(),
        created_at: i.lead.created_at,
        price: i.lead.price,
        pipeline: p.map(|p| p.name.clone()).unwrap_or_default(),
        source: source_key(i.category),
        contact: i.contact,
        company: i.company,
        calls: i.calls.iter().map(|c| CallView::of(id, c)).collect(),
        stages: stages_of(p),
        responsible: i.lead.responsible_user_id.map(|u| u.0),
    }
}

/// A pipeline in the filter, with how many leads wait in it.
struct PipelineTab {
    id: i64,
    name: String,
    waiting: i64,
}

#[derive(Template)]
#[template(path = "incoming/index.html")]
struct InboxPage {
    l: Layout,
    entries: Vec<Entry>,
    users: Vec<(i64, String)>,
    pipelines: Vec<PipelineTab>,
    total: i64,
    pipeline: Option<i64>,
    category: &'static str,
    page: i64,
    has_next: bool,
    /// The translation key of what the last action did.
    done: Option<&'static str>,
}

impl InboxPage {
    /// The address of page `n` with the current filters.
    fn page_url(&self, n: i64) -> String {
        let mut q = vec![format!("page={n}")];
        if let Some(p) = self.pipeline {
            q.push(format!("pipeline={p}"));
        }
        if !self.category.is_empty() {
            q.push(format!("category={}", self.category));
        }
        format!("/incoming?{}", q.join("&"))
    }
}

#[derive(Deserialize, Default)]
struct InboxQuery {
    #[serde(default)]
    pipeline: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
}

fn done_key(s: &str) -> Option<&'static str> {
    match s {
        "accepted" => Some("incoming-done-accepted"),
        "declined" => Some("incoming-done-declined"),
        "linked" => Some("incoming-done-linked"),
        _ => None,
    }
}

async fn show(ui: Ui, Query(q): Query<InboxQuery>) -> UiResult {
    let pipeline = q.pipeline.trim().parse::<i64>().ok();
    let category = Category::parse(q.category.trim());
    let page_no = q.page.trim().parse::<i64>().unwrap_or(1).max(1);
    let (ctx, actor) = (ui.ctx(), &ui.actor);
    let found = incoming::list(
        ctx,
        actor,
        IncomingQuery {
            page: page_no,
            limit: PER_PAGE,
            pipeline_id: pipeline,
            category,
        },
    )
    .await
    .or_fail(&ui)?;
    let summary = incoming::summary(ctx, actor).await.or_fail(&ui)?;
    let ps = sb_service::pipelines::list(ctx, actor).await.or_fail(&ui)?;
    let users = sb_service::users::list(ctx, actor)
        .await
        .or_fail(&ui)?
        .into_iter()
        .filter(|u| u.is_active)
        .map(|u| (u.id.0, u.name))
        .collect();
    let pipelines = ps
        .iter()
        .map(|p| PipelineTab {
            id: p.id.0,
            name: p.name.clone(),
            waiting: summary
                .pipelines
                .iter()
                .find(|s| s.pipeline_id == p.id)
                .map(|s| s.total)
                .unwrap_or(0),
        })
        .collect();
    let entries = found.items.into_iter().map(|i| entry(i, &ps)).collect();
    Ok(page(&InboxPage {
        l: ui.layout("incoming"),
        entries,
        users,
        pipelines,
        total: summary.total,
        pipeline,
        category: category.map(|c| c.as_str()).unwrap_or(""),
        page: found.page,
        has_next: found.has_next,
        done: done_key(&q.done),
    }))
}

#[derive(Deserialize)]
struct AcceptForm {
    /// Empty: the pipeline's first working stage.
    #[serde(default)]
    status_id: String,
    /// Empty: keep the owner, or take the lead oneself.
    #[serde(default)]
    responsible_user_id: String,
}

async fn accept(ui: Ui, Path(id): Path<i64>, Form(f): Form<AcceptForm>) -> UiResult {
    let input = AcceptInput {
        status_id: f.status_id.trim().parse().ok(),
        responsible_user_id: f.responsible_user_id.trim().parse().ok().map(UserId),
    };
    incoming::accept(ui.ctx(), &ui.actor, id, input)
        .await
        .or_fail(&ui)?;
    Ok(ui.redirect("/incoming?done=accepted"))
}

async fn decline(ui: Ui, Path(id): Path<i64>) -> UiResult {
    incoming::decline(ui.ctx(), &ui.actor, id)
        .await
        .or_fail(&ui)?;
    Ok(ui.redirect("/incoming?done=declined"))
}

/// A lead offered as a link target.
struct Target {
    id: i64,
    name: String,
    created_at: i64,
    price: i64,
}

#[derive(Template)]
#[template(path = "incoming/link.html")]
struct LinkPage {
    l: Layout,
    entry: Entry,
    q: String,
    targets: Vec<Target>,
}

#[derive(Deserialize, Default)]
struct LinkQuery {
    #[serde(default)]
    q: String,
}

/// The link form: the incoming lead, a search by name, and the leads found (htmx
/// swaps in only the results as the user types).
async fn link_page(ui: Ui, Path(id): Path<i64>, Query(q): Query<LinkQuery>) -> UiResult {
    let (ctx, actor) = (ui.ctx(), &ui.actor);
    let it = incoming::get(ctx, actor, id).await.or_fail(&ui)?;
    let ps = sb_service::pipelines::list(ctx, actor).await.or_fail(&ui)?;
    let targets = incoming::link_targets(ctx, actor, &q.q)
        .await
        .or_fail(&ui)?
        .into_iter()
        .map(|l| Target {
            id: l.id.0,
            name: l.name,
            created_at: l.created_at,
            price: l.price,
        })
        .collect();
    Ok(page(&LinkPage {
        l: ui.layout("incoming"),
        entry: entry(it, &ps),
        q: q.q.trim().to_string(),
        targets,
    }))
}

#[derive(Deserialize)]
struct LinkForm {
    #[serde(default)]
    target_lead_id: String,
}

async fn link(ui: Ui, Path(id): Path<i64>, Form(f): Form<LinkForm>) -> UiResult {
    let target = f.target_lead_id.trim().parse::<i64>().unwrap_or(0);
    incoming::link(ui.ctx(), &ui.actor, id, target)
        .await
        .or_fail(&ui)?;
    Ok(ui.redirect("/incoming?done=linked"))
}

/// The player's source: a stored recording of a call of an incoming lead.
async fn recording(ui: Ui, Path((id, call)): Path<(i64, i64)>) -> UiResult {
    let (bytes, ct) = incoming::recording(ui.ctx(), &ui.actor, id, call)
        .await
        .or_fail(&ui)?;
    let mut res = bytes.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    // A recording never changes, but it is private: the browser may keep it, no proxy.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(res)
}
