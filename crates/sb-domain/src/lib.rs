//! The pure model of Switchboard: identifiers, entities, value objects (E.164 phones,
//! rights) and the rules that need no I/O. Every other crate speaks these types.
//!
//! This crate must not import sqlx, axum, reqwest or tokio: it is the part that stays
//! true whatever the storage, transport or PBX.

pub mod ids;
pub mod phone;
pub mod rights;
pub mod entities;
pub mod fields;
pub mod pipelines;
pub mod leads;
pub mod tags;
pub mod catalogs;
pub mod calls;
pub mod integrations;
pub mod feed;

pub use ids::*;
pub use phone::Phone;
pub use rights::{Action, EntityKind, Rights, Scope, Visibility};
