//! Extractors that answer bad input in problem+json: the bearer-token actor, the path
//! parameters, the JSON body (size-limited, chunked accepted), and the base URL for
//! absolute HAL links.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use sb_domain::fields::FieldError;
use sb_service::{Actor, ItemErrors};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The authenticated caller.
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .unwrap_or("");
        if token.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "An Authorization: Bearer <token> header is required",
            ));
        }
        let actor = sb_service::auth::authenticate(&state.ctx, token).await?;
        tracing::Span::current().record("user_id", actor.user.id.0);
        Ok(Auth(actor))
    }
}

/// `scheme://host:port` the client called (or the configured public URL), for links.
#[derive(Debug, Clone)]
pub struct Links(pub String);

impl Links {
    pub fn href(&self, path: &str) -> Value {
        serde_json::json!({ "href": format!("{}{}", self.0, path) })
    }
}

impl FromRequestParts<AppState> for Links {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(u) = &state.public_url {
            return Ok(Links(u.trim_end_matches('/').to_string()));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or("127.0.0.1");
        Ok(Links(format!("http://{host}")))
    }
}

/// Path parameters, typed: `ApiPath<i64>`, `ApiPath<(i64, i64)>`, `ApiPath<(i64, String)>`.
///
/// THE rule for a malformed path id, everywhere: every id in an API path is an integer
/// (Kommo's are), so a path whose id is not one (`/api/v4/leads/abc`, or past i64) names
/// no resource and answers **404** in problem+json, as an unknown route does. 404 rather
/// than 400 because the path, not the request, is wrong: REST clients read 404 as "no
/// such resource path", and Kommo's own routes only match digits. (An integer id that
/// names nothing is another matter: reads answer 204, see `api::read`.) The OpenAPI
/// document says so on every integer path parameter; a test walks every `{id}` route.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(t)) => Ok(ApiPath(t)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let detail = match e.kind() {
                    ErrorKind::ParseError { value, .. }
                    | ErrorKind::ParseErrorAtKey { value, .. }
                    | ErrorKind::ParseErrorAtIndex { value, .. } => {
                        format!("No such resource: {value:?} in the path is not an integer id")
                    }
                    _ => format!("No such resource: {}", e.body_text()),
                };
                Err(ApiError::new(StatusCode::NOT_FOUND, detail))
            }
            // The route declares other parameters than the handler reads: a bug here.
            Err(e) => {
                tracing::error!(error = %e.body_text(), "path parameters do not fit the handler");
                Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error; the server log has the details under this request's id",
                ))
            }
        }
    }
}

/// A JSON body. Oversized bodies get 413; malformed JSON gets 400. Chunked bodies
/// (no Content-Length) are read like any other.
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.limits.body_bytes;
        let bytes = read_limited(req, limit).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "The request body is empty; a JSON document is expected",
            ));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::bad_request(format!("The request body is not valid JSON: {e}"))
        })?;
        // PostgreSQL text cannot hold U+0000: a `\u0000` anywhere would fail the write
        // there (a 500 found by fuzzing) while SQLite took it, so it is refused on both.
        if has_nul(&v) {
            return Err(ApiError::bad_request(
                "The request body contains a NUL character (\\u0000), which no field accepts",
            ));
        }
        Ok(JsonBody(v))
    }
}

/// Whether any string (or object key) in `v` holds U+0000.
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

pub async fn read_limited(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than the limit of {limit} bytes"),
            )
        })
}

/// Kommo's `request_id` may come as a string or a number; we echo it as a string.
pub fn request_id_of(v: &Value, index: usize) -> String {
    match v.get("request_id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => index.to_string(),
    }
}

/// Parses a batch body (an array, or one object) into typed items. Type errors name the
/// item (by request_id) and the field path, Kommo-style (`custom_fields_values.0.field_id`).
pub fn parse_items<T: DeserializeOwned>(body: Value) -> Result<Vec<(String, T)>, ApiError> {
    let items = match body {
        Value::Array(a) if a.is_empty() => {
            return Err(ApiError::bad_request(
                "the request body must be a non-empty array",
            ))
        }
        Value::Array(a) if a.len() > sb_service::cards::MAX_BATCH => {
            return Err(ApiError::bad_request(format!(
                "a batch holds at most {} items, this one has {}",
                sb_service::cards::MAX_BATCH,
                a.len()
            )))
        }
        Value::Array(a) => a,
        obj @ Value::Object(_) => vec![obj],
        _ => {
            return Err(ApiError::bad_request(
                "The request body must be a JSON array of objects",
            ))
        }
    };
    let mut out = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let rid = request_id_of(&item, i);
        if !item.is_object() {
            errors.push(ItemErrors {
                request_id: rid,
                errors: vec![FieldError::invalid_type("", "object")],
            });
            continue;
        }
        match serde_path_to_error::deserialize::<_, T>(item) {
            Ok(t) => out.push((rid, t)),
            Err(e) => {
                let path = kommo_path(&e.path().to_string());
                let detail = e.inner().to_string();
                errors.push(ItemErrors {
                    request_id: rid,
                    errors: vec![FieldError::new(
                        "InvalidType",
                        path,
                        format!("This value has the wrong type: {detail}"),
                    )],
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// `a[0].b` -> `a.0.b`
fn kommo_path(p: &str) -> String {
    let s = p.replace('[', ".").replace(']', "");
    if s == "." {
        String::new()
    } else {
        s
    }
}

/// Parses a single object body into `T` with a path-naming error.
pub fn parse_one<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    // serde would take a struct from an array of its fields in order (`[]` = all defaults)
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object",
        ));
    }
    let rid = request_id_of(&body, 0);
    serde_path_to_error::deserialize::<_, T>(body).map_err(|e| {
        let path = kommo_path(&e.path().to_string());
        ApiError::validation(vec![ItemErrors {
            request_id: rid,
            errors: vec![FieldError::new(
                "InvalidType",
                path,
                format!("This value has the wrong type: {}", e.inner()),
            )],
        }])
    })
}

/// A value that may be present, null or absent (`Some(None)` = explicit null).
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::has_nul;
    use serde_json::json;

    #[test]
    fn a_nul_anywhere_in_a_body_is_found() {
        // Found by fuzzing (corpus/api_json/regressions/): PostgreSQL refused the write
        // with a 500 where SQLite stored it.
        assert!(has_nul(&json!([{"name": "a\u{0}b"}])));
        assert!(has_nul(&json!({"x": {"a\u{0}": 1}})));
        assert!(!has_nul(
            &json!([{"name": "Ana ñandú", "price": 0, "tags": [null]}])
        ));
    }
}
