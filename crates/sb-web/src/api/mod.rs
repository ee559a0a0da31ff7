//! The Kommo-compatible API v4 and the OAuth2 token endpoint.

pub mod account;
pub mod cards;
pub mod catalogs;
pub mod custom_fields;
pub mod events;
pub mod hal;
pub mod leads;
pub mod links;
pub mod notes;
pub mod oauth;
pub mod pipelines;
pub mod read;
pub mod tasks;
pub mod telephony;
pub mod util;
pub mod write;

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(oauth::router())
        .merge(account::router())
        .merge(cards::router())
        .merge(custom_fields::router())
        .merge(pipelines::router())
        .merge(leads::router())
        .merge(tasks::router())
        .merge(notes::router())
        .merge(events::router())
        .merge(links::router())
        .merge(catalogs::router())
        .merge(telephony::router())
}
