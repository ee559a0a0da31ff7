//! The Kommo-compatible API v4 and the OAuth2 token endpoint.

pub mod account;
pub mod cards;
pub mod hal;
pub mod oauth;
pub mod telephony;

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(oauth::router())
        .merge(account::router())
        .merge(cards::router())
        .merge(telephony::router())
}
