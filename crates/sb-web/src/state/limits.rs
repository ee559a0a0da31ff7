//! Request limits: the address's length and a declared body size are checked before any
//! route runs (414 / 413, in problem+json for the API and webhooks, a page for a
//! browser), and live connections (the browser's sockets, the API's event streams) are
//! counted per user and in all (429 past the cap).
//! Bodies sent without a length are cut at the limit where they are read
//! ([`crate::extract::read_limited`], the UI's form guard). Header size, the time to
//! send the headers and the number of connections are bounded by the server itself
//! (`switchboard::startup`).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Longest `query` search text, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most values one filter list (`filter[id][]=...`) may hold, as many as a batch.
pub const MAX_LIST_VALUES: usize = sb_service::cards::MAX_BATCH;

/// The request limits that can be configured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes: usize,
    /// Longest request target (path and query), in bytes.
    pub uri_bytes: usize,
    /// Live sockets one user may have open at once.
    pub sockets_per_user: usize,
    /// Live sockets this server keeps open in all.
    pub sockets_total: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 2 * 1024 * 1024,
            uri_bytes: 8 * 1024,
            sockets_per_user: 16,
            sockets_total: 4096,
        }
    }
}

/// Whether a path is answered to programs (problem+json) rather than to a browser.
fn machine(path: &str) -> bool {
    ["/api/", "/hooks/", "/oauth"]
        .iter()
        .any(|p| path.starts_with(p))
}

fn refuse(headers: &HeaderMap, path: &str, status: StatusCode, detail: String) -> Response {
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if browser && !machine(path) {
        return crate::ui::limit_page(headers, status);
    }
    ApiError::new(status, detail).into_response()
}

/// The address's length and a declared body's size, before any route runs (a layer of
/// [`crate::router`], with axum's body limit at the same size for the extractors).
pub async fn check(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().len())
        .unwrap_or(0);
    if target > st.limits.uri_bytes {
        let detail = format!(
            "The address (path and query) is {target} bytes long, longer than the limit of {} bytes; shorten the query or the filters",
            st.limits.uri_bytes
        );
        return refuse(
            req.headers(),
            req.uri().path(),
            StatusCode::URI_TOO_LONG,
            detail,
        );
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > st.limits.body_bytes as u64) {
        let detail = format!(
            "The request body is {n} bytes, larger than the limit of {} bytes",
            st.limits.body_bytes
        );
        let mut res = refuse(
            req.headers(),
            req.uri().path(),
            StatusCode::PAYLOAD_TOO_LARGE,
            detail,
        );
        // The body is not read: the connection cannot carry another request.
        res.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        return res;
    }
    next.run(req).await
}

/// The live sockets open, per user and in all.
#[derive(Debug, Default)]
pub struct Sockets {
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_user: HashMap<i64, usize>,
}

/// Why a socket was refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Full {
    /// The user has this many open already.
    User(usize),
    /// The server has this many open already.
    Server(usize),
}

impl Full {
    pub fn reason(self) -> String {
        match self {
            Full::User(n) => format!(
                "Too many live connections for this user: {n} are open already (the limit); close one (a browser tab of Switchboard, an event stream) and try again"
            ),
            Full::Server(n) => format!(
                "The server has {n} live connections open, its limit; try again in a minute"
            ),
        }
    }
}

/// One open socket's place; given back when dropped (however the socket ends).
#[derive(Debug)]
pub struct Slot {
    sockets: Arc<Sockets>,
    user: i64,
}

impl Sockets {
    /// A place for one more socket of `user`, if the limits leave one.
    pub fn take(self: &Arc<Self>, user: i64, limits: &Limits) -> Result<Slot, Full> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.total >= limits.sockets_total {
            return Err(Full::Server(open.total));
        }
        let mine = open.per_user.entry(user).or_insert(0);
        if *mine >= limits.sockets_per_user {
            return Err(Full::User(*mine));
        }
        *mine += 1;
        open.total += 1;
        Ok(Slot {
            sockets: self.clone(),
            user,
        })
    }

    /// How many sockets `user` has open.
    pub fn of(&self, user: i64) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.per_user.get(&user).copied().unwrap_or(0)
    }

    /// How many sockets are open in all.
    pub fn total(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.sockets.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.per_user.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.per_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_dropped_slot_frees_its_place() {
        let s = Arc::new(Sockets::default());
        let limits = Limits {
            sockets_per_user: 2,
            sockets_total: 3,
            ..Limits::default()
        };
        let a = s.take(1, &limits).unwrap();
        let _b = s.take(1, &limits).unwrap();
        assert_eq!(s.take(1, &limits).unwrap_err(), Full::User(2));
        let _c = s.take(2, &limits).unwrap();
        assert_eq!(s.take(3, &limits).unwrap_err(), Full::Server(3));
        drop(a);
        assert_eq!(s.of(1), 1);
        assert!(s.take(1, &limits).is_ok());
        assert_eq!(s.total(), 2);
    }
}
