//! The dashboard (`/`): where a manager starts the day.

use super::{page, Layout, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(show))
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct DashboardPage {
    l: Layout,
}

async fn show(ui: Ui) -> UiResult {
    Ok(page(&DashboardPage {
        l: ui.layout("dashboard"),
    }))
}
