//! HAL+JSON rendering shared by every resource.

use crate::extract::Links;
use crate::params::Params;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sb_service::Page;
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

/// 200 with a HAL body (the answer of nearly every success).
pub fn ok(body: Value) -> Response {
    hal(StatusCode::OK, body)
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A page of the list at `path`, under `_embedded.{key}`: 204 with no body when empty;
/// `_links.next` only when another page exists, absolute on the host the client called.
/// `total` is Kommo's `_total_items`, given by the lists it answers it for (custom
/// fields), which are read whole.
pub fn page(
    links: &Links,
    params: &Params,
    path: &str,
    key: &str,
    p: Page<Value>,
    total: Option<usize>,
) -> Response {
    if p.items.is_empty() {
        return no_content();
    }
    let rest = params.without_page();
    let url = |n: i64| {
        if rest.is_empty() {
            links.href(&format!("{path}?page={n}"))
        } else {
            links.href(&format!("{path}?{rest}&page={n}"))
        }
    };
    let mut l = json!({ "self": url(p.page), "first": url(1) });
    if p.has_next {
        l["next"] = url(p.page + 1);
    }
    if p.page > 1 {
        l["prev"] = url(p.page - 1);
    }
    let mut body = json!({ "_page": p.page, "_links": l, "_embedded": { key: p.items } });
    if let Some(t) = total {
        body["_total_items"] = json!(t);
    }
    ok(body)
}

/// A whole (unpaged) list at `path` with `_total_items`: 204 when empty.
pub fn collection(links: &Links, path: &str, key: &str, items: Vec<Value>) -> Response {
    if items.is_empty() {
        return no_content();
    }
    ok(json!({
        "_total_items": items.len(), "_links": {"self": links.href(path)}, "_embedded": {key: items},
    }))
}

/// What a write answers per item of leads, contacts, companies and tasks: the id, the
/// client's `request_id`, and the link to the thing at `{collection}/{id}`.
pub fn write_ref(
    links: &Links,
    collection: &str,
    id: i64,
    request_id: &str,
    updated_at: i64,
) -> Value {
    json!({
        "id": id, "request_id": request_id, "updated_at": secs(updated_at),
        "_links": {"self": links.href(&format!("{collection}/{id}"))},
    })
}

/// Seconds for the API from stored milliseconds.
pub fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}
