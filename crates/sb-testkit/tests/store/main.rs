//! Store conformance suite: every test runs on SQLite and, when
//! `SWITCHBOARD_TEST_PG_URL` is set, on PostgreSQL too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod calls;
mod cards;
mod catalogs;
mod feed;
mod jobs;
mod leads;
mod nodes;
mod pipelines;
mod schema;
mod scope;
mod sessions;
mod tel_fixtures;
mod telephony;
