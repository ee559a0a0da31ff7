//! Test support: a fresh database per test on each backend, and (with the API tests)
//! the real application started on 127.0.0.1:0. Used only by tests; the integration
//! suites live in this crate's `tests/` so they can depend on every layer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod app;
pub mod db;
pub mod pbx;
pub mod s3;
pub mod ui;

pub use app::{json, spawn_app_on, spawn_apps, spawn_apps_with, TestApp};
pub use db::{backends, TestDb};
