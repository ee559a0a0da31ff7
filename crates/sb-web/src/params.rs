//! Query strings in PHP-bracket form (`filter[id][]=1&filter[created_at][from]=...`),
//! as Kommo clients send them.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        // PostgreSQL text cannot hold U+0000, so a `%00` would fail the query there (a
        // 500 found by fuzzing) while SQLite took it: refused alike on both, up front.
        if let Some((k, _)) = pairs
            .iter()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(ApiError::bad_request(format!(
                "The query parameter {:?} contains a NUL character (%00)",
                k.replace('\0', "%00")
            )));
        }
        bounded(&pairs)?;
        Ok(Params(pairs))
    }
}

/// The search text and the filter lists are bounded: a longer `query` or a list of more
/// values than a batch holds is a 400 that says so.
fn bounded(pairs: &[(String, String)]) -> Result<(), ApiError> {
    use crate::state::limits::{MAX_LIST_VALUES, MAX_QUERY_CHARS};
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for (k, v) in pairs {
        if k == "query" {
            let n = v.chars().count();
            if n > MAX_QUERY_CHARS {
                return Err(ApiError::bad_request(format!(
                    "query holds at most {MAX_QUERY_CHARS} characters, this one has {n}"
                )));
            }
            continue;
        }
        // `filter[id][]`, `filter[id][3]` and `filter[id]` are one list.
        let base = match k.strip_suffix(']').and_then(|r| r.rsplit_once('[')) {
            Some((b, i)) if i.chars().all(|c| c.is_ascii_digit()) && !b.is_empty() => b,
            _ => k.as_str(),
        };
        let n = v.split(',').filter(|s| !s.trim().is_empty()).count();
        *counts.entry(base).or_insert(0) += n;
    }
    match counts.into_iter().find(|(_, n)| *n > MAX_LIST_VALUES) {
        Some((base, n)) => Err(ApiError::bad_request(format!(
            "{base} holds at most {MAX_LIST_VALUES} values, this one has {n}"
        ))),
        None => Ok(()),
    }
}

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Values of `key`, `key[]` and `key[N]`; comma-separated values are split.
    pub fn list(&self, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix(key) else {
                continue;
            };
            let indexed = rest.is_empty()
                || rest == "[]"
                || (rest.starts_with('[')
                    && rest.ends_with(']')
                    && rest[1..rest.len() - 1].chars().all(|c| c.is_ascii_digit()));
            if indexed {
                out.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                );
            }
        }
        out
    }

    /// Integer values of a list parameter; a non-integer is a 400 naming the parameter.
    pub fn ints(&self, key: &str) -> Result<Vec<i64>, ApiError> {
        self.list(key)
            .iter()
            .map(|s| {
                s.parse::<i64>().map_err(|_| {
                    ApiError::bad_request(format!("{key} must hold integers, got {s:?}"))
                })
            })
            .collect()
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key).map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("{key} must be an integer, got {s:?}"))),
        }
    }

    /// `key[from]` / `key[to]`, or a single `key` value meaning both.
    pub fn range(&self, key: &str) -> Result<(Option<i64>, Option<i64>), ApiError> {
        let from = self.int(&format!("{key}[from]"))?;
        let to = self.int(&format!("{key}[to]"))?;
        if from.is_none() && to.is_none() {
            if let Some(v) = self.int(key)? {
                return Ok((Some(v), Some(v)));
            }
        }
        Ok((from, to))
    }

    /// `page` (from 1) and `limit` (1..=250, default 50).
    pub fn paging(&self) -> Result<(i64, i64), ApiError> {
        let page = self.int("page")?.unwrap_or(1);
        if page < 1 {
            return Err(ApiError::bad_request("page starts at 1"));
        }
        let limit = self.int("limit")?.unwrap_or(50);
        if !(1..=250).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and 250, got {limit}"
            )));
        }
        Ok((page, limit))
    }

    /// `with=a,b` as a list.
    pub fn with(&self) -> Vec<String> {
        self.list("with")
    }

    /// The first `order[field]=asc|desc`, `field` one of `fields` (what the list can be
    /// ordered by, named as in Kommo); none means the first of `fields`, ascending.
    pub fn order<T: Copy>(&self, fields: &[(&str, T)]) -> Result<(T, bool), ApiError> {
        let Some(&(_, first)) = fields.first() else {
            return Err(ApiError::bad_request("this list cannot be ordered"));
        };
        for (k, v) in &self.0 {
            let Some(field) = k.strip_prefix("order[").and_then(|r| r.strip_suffix(']')) else {
                continue;
            };
            let desc = match v.to_ascii_lowercase().as_str() {
                "asc" => false,
                "desc" => true,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "order[{field}] must be asc or desc"
                    )))
                }
            };
            return match fields.iter().find(|(name, _)| *name == field) {
                Some(&(_, by)) => Ok((by, desc)),
                None => {
                    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                    let use_ = match names.split_last() {
                        Some((last, init)) if !init.is_empty() => {
                            format!("{} or {last}", init.join(", "))
                        }
                        _ => names.join(""),
                    };
                    Err(ApiError::bad_request(format!(
                        "cannot order by {field:?}: use {use_}"
                    )))
                }
            };
        }
        Ok((first, false))
    }

    /// `filter[custom_fields_values][ID][]=v` (also `[ID]=v`, `[ID][N]=v`) and
    /// `[ID][from]=a&[ID][to]=b`, grouped by field id in order of appearance.
    pub fn field_filters(
        &self,
    ) -> Result<Vec<sb_service::custom_fields::RawFieldFilter>, ApiError> {
        const PREFIX: &str = "filter[custom_fields_values][";
        let mut out: Vec<sb_service::custom_fields::RawFieldFilter> = Vec::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix(PREFIX) else {
                continue;
            };
            let Some((id, tail)) = rest.split_once(']') else {
                return Err(ApiError::bad_request(format!("{k}: malformed filter key")));
            };
            let field_id = id.parse::<i64>().map_err(|_| {
                ApiError::bad_request(format!("{k}: the field id must be an integer"))
            })?;
            let pos = match out.iter().position(|f| f.field_id == field_id) {
                Some(p) => p,
                None => {
                    out.push(sb_service::custom_fields::RawFieldFilter {
                        field_id,
                        ..Default::default()
                    });
                    out.len() - 1
                }
            };
            let f = &mut out[pos];
            match tail {
                "[from]" => f.from = Some(v.clone()),
                "[to]" => f.to = Some(v.clone()),
                t if t.is_empty()
                    || t == "[]"
                    || (t.starts_with('[')
                        && t.ends_with(']')
                        && t[1..t.len() - 1].chars().all(|c| c.is_ascii_digit())) =>
                {
                    f.values.push(v.clone())
                }
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "{k}: use [ID][]=value or [ID][from]/[ID][to]"
                    )))
                }
            }
        }
        Ok(out)
    }

    /// The query string without `page`, for building paging links.
    pub fn without_page(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            if k != "page" {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn a_nul_in_the_query_is_a_bad_request_not_a_database_error() {
        // Found by fuzzing (corpus/api_query/regressions/nul_in_search_query): on
        // PostgreSQL the search failed with a 500.
        for uri in [
            "/api/v4/leads?query=%2B346%00x",
            "/api/v4/leads?filter%00[id]=1",
        ] {
            let req = axum::http::Request::builder().uri(uri).body(()).unwrap();
            let (mut parts, _) = req.into_parts();
            let err = Params::from_request_parts(&mut parts, &())
                .await
                .unwrap_err();
            assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST, "{uri}");
        }
        let req = axum::http::Request::builder()
            .uri("/x?query=a%20b")
            .body(())
            .unwrap();
        let (mut parts, _) = req.into_parts();
        let p = Params::from_request_parts(&mut parts, &()).await.unwrap();
        assert_eq!(p.get("query"), Some("a b"));
    }

    #[test]
    fn bracket_lists_and_ranges() {
        let p = Params(form_urlencoded::parse(b"filter[id][]=1&filter[id][]=2&filter[id][3]=4&filter[created_at][from]=10&limit=5").into_owned().collect());
        assert_eq!(p.ints("filter[id]").unwrap(), vec![1, 2, 4]);
        assert_eq!(p.range("filter[created_at]").unwrap(), (Some(10), None));
        assert_eq!(p.paging().unwrap(), (1, 5));
    }

    #[test]
    fn order_names_the_fields_it_takes() {
        let p = |q: &str| Params(form_urlencoded::parse(q.as_bytes()).into_owned().collect());
        let fields = [("id", 0), ("created_at", 1), ("updated_at", 2)];
        assert_eq!(p("").order(&fields).unwrap(), (0, false));
        assert_eq!(
            p("order[updated_at]=DESC").order(&fields).unwrap(),
            (2, true)
        );
        let e = p("order[name]=asc").order(&fields).unwrap_err();
        assert_eq!(
            e.detail,
            "cannot order by \"name\": use id, created_at or updated_at"
        );
        assert_eq!(p("order[id]=up").order(&fields).unwrap_err().status, 400);
    }
}
