//! Storage: the only crate that names sqlx. One code path for SQLite (default,
//! embedded) and PostgreSQL, through sqlx's `Any` driver and a portable SQL subset:
//! `$N` placeholders, explicit columns, integers for times (Unix ms) and booleans, JSON
//! kept as TEXT and never queried. Every query is scoped by `account_id`; list queries
//! take a [`sb_domain::Visibility`] and turn it into SQL, so rows outside a user's rights
//! are never read. Functions return domain types, never rows.
//!
//! Must not import axum, reqwest or any service logic.
//!
//! One exception to "one code path": on SQLite the webhook hot path (the event writer
//! and the caller-ID lookup) runs on rusqlite connections of its own ([`lite`]), with
//! the same SQL and the same row decoding; see that module for why. Callers do not
//! choose the lane: [`ingest`] is the one interface to both.

pub mod backup;
mod cells;
mod db;
pub mod lite;
mod migrations;
mod sql;

pub mod accounts;
pub mod alerts;
pub mod blacklist;
pub mod calls;
pub mod cards;
pub mod catalogs;
pub mod custom_fields;
pub mod events;
pub mod field_values;
pub mod ingest;
pub mod integrations;
pub mod jobs;
pub mod leads;
pub mod nodes;
pub mod notes;
pub mod notify;
pub mod pipelines;
pub mod scope;
pub mod sessions;
pub mod stats;
pub mod tags;
pub mod tasks;
pub mod tokens;
pub mod users;

pub use db::{with_database_name, Backend, Conn, Db, DbConn, Tx};
pub use migrations::{migrate_to, schema_columns, MIGRATIONS};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict on {field}")]
    Conflict { field: String },
    #[error("unsupported database url: {0}")]
    UnsupportedUrl(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Lite(#[from] rusqlite::Error),
    /// The event writer could not take or answer a write (see [`ingest::EventWriter`]);
    /// a failure inside its transaction is relayed as this, with its message.
    #[error("event writer: {0}")]
    Writer(String),
}

impl StoreError {
    /// Maps a unique-constraint violation to `Conflict`, keeping other errors.
    pub(crate) fn conflict_on(e: sqlx::Error, field: &str) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict {
                    field: field.to_string(),
                };
            }
        }
        StoreError::Db(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}
