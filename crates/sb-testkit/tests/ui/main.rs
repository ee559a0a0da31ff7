//! The web UI over HTTP, as a browser uses it (cookies, forms, CSRF tokens), on every
//! backend. What needs a real browser (drag and drop, accessibility) is in tests/browser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod calls;
mod cards;
mod incoming;
mod leads;
mod notes;
mod sessions;
mod statistics;
mod tasks;
mod telephony;
mod users;
