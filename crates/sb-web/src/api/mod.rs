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

use crate::error::ApiError;
use crate::extract::{Auth, Links};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::Router;
use sb_service::Actor;

/// What an API handler starts from: the state, the authenticated caller (bearer token)
/// and the base for links; one extractor, so that every handler has the same shape:
/// `async fn get_one(Api { st, actor, links }: Api, ApiPath(id): ApiPath<i64>)`.
pub struct Api {
    pub st: AppState,
    pub actor: Actor,
    pub links: Links,
}

impl FromRequestParts<AppState> for Api {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let Auth(actor) = Auth::from_request_parts(parts, st).await?;
        let Ok(links) = Links::from_request_parts(parts, st).await;
        Ok(Api {
            st: st.clone(),
            actor,
            links,
        })
    }
}

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
