//! The pure model of Switchboard: identifiers, entities, value objects (E.164 phones,
//! rights) and the rules that need no I/O. Every other crate speaks these types.
//!
//! This crate must not import sqlx, axum, reqwest or tokio: it is the part that stays
//! true whatever the storage, transport or PBX.

pub mod calls;
pub mod catalogs;
pub mod entities;
pub mod feed;
pub mod fields;
pub mod ids;
pub mod integrations;
pub mod leads;
pub mod phone;
pub mod pipelines;
pub mod report;
pub mod rights;
pub mod tags;

pub use ids::*;
pub use phone::Phone;
pub use rights::{Action, EntityKind, Rights, Scope, Visibility};
