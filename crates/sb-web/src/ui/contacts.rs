//! Contacts (C3): `/contacts` (list), `/contacts/new`, `/contacts/{id}` (card, edit,
//! links). The pages are the ones companies have too, in [`super::cards`].

use crate::state::AppState;
use axum::Router;
use sb_domain::entities::CardKind;

pub fn router() -> Router<AppState> {
    super::cards::router(CardKind::Contact)
}
