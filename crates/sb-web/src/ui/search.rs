//! The header's global search (`/search?q=`): contacts, companies and leads by name,
//! e-mail or a phone in any format, through the same service queries as the API's
//! `?query=` (so the same rights: what the user may not see is not found).

use super::{page, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::routing::get;
use axum::Router;
use sb_domain::entities::CardKind;
use sb_service::cards::{ListParams, OrderByField};
use serde::Deserialize;

/// How many hits of each kind the page shows; the kind's list has the rest.
const PER_KIND: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

pub struct Hit {
    pub href: String,
    pub name: String,
    pub detail: String,
}

pub struct Group {
    pub id: &'static str,
    pub title: String,
    pub hits: Vec<Hit>,
    /// The kind's own list with this query, when there may be more than shown.
    pub more: Option<String>,
}

#[derive(Template)]
#[template(path = "search/index.html")]
struct SearchPage {
    l: Layout,
    q: String,
    groups: Vec<Group>,
}

impl SearchPage {
    fn found(&self) -> usize {
        self.groups.iter().map(|g| g.hits.len()).sum()
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(ui: Ui, Query(sq): Query<SearchQuery>) -> UiResult {
    let mut l = ui.layout("");
    // A longer text is searched by its beginning (the API answers 400 instead).
    let q: String =
        sq.q.trim()
            .chars()
            .take(crate::state::limits::MAX_QUERY_CHARS)
            .collect();
    l.query = q.clone();
    let mut groups = Vec::new();
    if !q.is_empty() {
        let encoded: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        for kind in [CardKind::Contact, CardKind::Company] {
            let found = sb_service::cards::list(
                ui.ctx(),
                &ui.actor,
                kind,
                ListParams {
                    page: 1,
                    limit: PER_KIND,
                    query: Some(q.clone()),
                    order_by: OrderByField::Name,
                    ..Default::default()
                },
            )
            .await
            .or_fail(&ui)?;
            let defs = sb_service::cards::field_defs(ui.ctx(), ui.actor.account.id, kind)
                .await
                .or_fail(&ui)?;
            let (id, title) = match kind {
                CardKind::Contact => ("contacts", ui.tr.t("search-contacts")),
                CardKind::Company => ("companies", ui.tr.t("search-companies")),
            };
            groups.push(Group {
                id,
                title,
                more: found
                    .has_next
                    .then(|| format!("/{}?q={encoded}", kind.plural())),
                hits: found
                    .items
                    .iter()
                    .map(|v| Hit {
                        href: format!("/{}/{}", kind.plural(), v.card.id),
                        name: v.card.name.clone(),
                        detail: super::cards::contact_points(&defs, v),
                    })
                    .collect(),
            });
        }
        let leads = sb_service::leads::list(
            ui.ctx(),
            &ui.actor,
            sb_service::leads::ListParams {
                page: 1,
                limit: PER_KIND,
                query: Some(q.clone()),
                ..Default::default()
            },
        )
        .await
        .or_fail(&ui)?;
        groups.push(Group {
            id: "leads",
            title: ui.tr.t("search-leads"),
            more: leads.has_next.then(|| format!("/leads?q={encoded}")),
            hits: leads
                .items
                .iter()
                .map(|v| Hit {
                    href: format!("/leads/{}", v.lead.id.0),
                    name: v.lead.name.clone(),
                    detail: l.money(v.lead.price),
                })
                .collect(),
        });
    }
    Ok(page(&SearchPage { l, q, groups }))
}
