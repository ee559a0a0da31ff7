//! Static assets (CSS, our JavaScript, vendored htmx and SortableJS), embedded in the
//! binary and served under `/assets/<content hash>/<name>` with a year-long immutable
//! cache: a new release changes the hash, so browsers never run stale code and never
//! ask twice. The UI needs no network beyond this server.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/app.css"),
    },
    Asset {
        name: "app.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/app.js"),
    },
    Asset {
        name: "live.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/live.js"),
    },
    Asset {
        name: "htmx.min.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/vendor/htmx.min.js"),
    },
    Asset {
        name: "Sortable.min.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/vendor/Sortable.min.js"),
    },
    Asset {
        name: "uPlot.iife.min.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/vendor/uPlot.iife.min.js"),
    },
    Asset {
        name: "uPlot.min.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/vendor/uPlot.min.css"),
    },
    Asset {
        name: "statistics.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/statistics.js"),
    },
    Asset {
        name: "favicon.svg",
        mime: "image/svg+xml",
        body: include_bytes!("../../assets/favicon.svg"),
    },
];

fn hashes() -> &'static [String] {
    static H: OnceLock<Vec<String>> = OnceLock::new();
    H.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let d = Sha256::digest(a.body);
                d[..6].iter().map(|b| format!("{b:02x}")).collect()
            })
            .collect()
    })
}

/// The URL of asset `name` (its content hash in the path).
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/assets/{}/{}", hashes()[i], name),
        None => format!("/assets/missing/{name}"),
    }
}

pub async fn serve(Path((hash, name)): Path<(String, String)>) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let a = &ASSETS[i];
    let mut res = a.body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // An old hash (a page cached across a release) still gets today's file, but only
    // the current hash may be cached for a year.
    let cache = if hash == hashes()[i] {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_carry_the_content_hash() {
        let u = super::url("app.css");
        assert!(u.starts_with("/assets/") && u.ends_with("/app.css"), "{u}");
        assert_eq!(u.len(), "/assets//app.css".len() + 12);
    }
}
