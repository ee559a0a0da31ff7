//! Companies (C4): `/companies` (list), `/companies/new`, `/companies/{id}` (card,
//! edit, links). The pages are the ones contacts have too, in [`super::cards`].

use crate::state::AppState;
use axum::Router;
use sb_domain::entities::CardKind;

pub fn router() -> Router<AppState> {
    super::cards::router(CardKind::Company)
}
