//! HAL+JSON rendering shared by every resource.

use crate::extract::Links;
use crate::params::Params;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// A success body with `application/hal+json`.
pub fn hal(status: StatusCode, body: Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/hal+json"),
    );
    res
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A page of a list: 204 with no body when empty; `_links.next` only when another page
/// exists, absolute on the host the client called.
pub fn page(
    links: &Links,
    path: &str,
    params: &Params,
    key: &str,
    items: Vec<Value>,
    page: i64,
    has_next: bool,
) -> Response {
    if items.is_empty() {
        return no_content();
    }
    let rest = params.without_page();
    let url = |p: i64| {
        if rest.is_empty() {
            links.href(&format!("{path}?page={p}"))
        } else {
            links.href(&format!("{path}?{rest}&page={p}"))
        }
    };
    let mut l = json!({ "self": url(page), "first": url(1) });
    if has_next {
        l["next"] = url(page + 1);
    }
    if page > 1 {
        l["prev"] = url(page - 1);
    }
    hal(
        StatusCode::OK,
        json!({ "_page": page, "_links": l, "_embedded": { key: items } }),
    )
}

/// Seconds for the API from stored milliseconds.
pub fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// Like [`page`], with Kommo's `_total_items` (custom fields, pipelines, links).
#[allow(clippy::too_many_arguments)]
pub fn page_with_total(
    links: &Links,
    path: &str,
    params: &Params,
    key: &str,
    items: Vec<Value>,
    page_no: i64,
    has_next: bool,
    total: usize,
) -> Response {
    if items.is_empty() {
        return no_content();
    }
    let rest = params.without_page();
    let url = |p: i64| {
        if rest.is_empty() {
            links.href(&format!("{path}?page={p}"))
        } else {
            links.href(&format!("{path}?{rest}&page={p}"))
        }
    };
    let mut l = json!({ "self": url(page_no), "first": url(1) });
    if has_next {
        l["next"] = url(page_no + 1);
    }
    if page_no > 1 {
        l["prev"] = url(page_no - 1);
    }
    hal(
        StatusCode::OK,
        json!({ "_total_items": total, "_page": page_no, "_links": l, "_embedded": { key: items } }),
    )
}
