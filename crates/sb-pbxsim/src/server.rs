//! The simulated REST API (spec sections 1 and 2) and the recording files.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDateTime;
use serde_json::{json, Value};

use crate::engine::{random_token, Scenario, ScenarioOptions, ScenarioSpec};
use crate::sign::{constant_time_eq, digits, params_string, rest_signature};
use crate::{audio, FailureMode, SentSms, Shared};

type Params = BTreeMap<String, String>;
type ApiResult = (StatusCode, Json<Value>);

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/recordings/{file}", get(recording))
        .fallback(api)
        .with_state(shared)
}

fn error(status: StatusCode, message: &str) -> ApiResult {
    (status, Json(json!({"status": "error", "message": message})))
}

fn success(mut body: Value) -> ApiResult {
    if let Some(obj) = body.as_object_mut() {
        obj.insert("status".to_owned(), json!("success"));
    }
    (StatusCode::OK, Json(body))
}

/// Extensions are reported as JSON numbers when they are numeric, like the
/// spec's samples (`"numbers":[100,101,102]`).
fn number_or_string(s: &str) -> Value {
    s.parse::<u64>().map_or_else(|_| json!(s), |n| json!(n))
}

fn authorized(sh: &Shared, path: &str, params: &Params, headers: &HeaderMap) -> bool {
    let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((key, signature)) = auth.split_once(':') else {
        return false;
    };
    // The server re-canonicalises what it received (decode, ksort, PHP
    // urlencode), so a client that signs with other encoding rules fails.
    let expected = rest_signature(path, &params_string(params), &sh.config.secret);
    constant_time_eq(key.as_bytes(), sh.config.key.as_bytes())
        && constant_time_eq(signature.as_bytes(), expected.as_bytes())
}

async fn api(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    if !path.starts_with("/v1/") {
        return error(StatusCode::NOT_FOUND, "Not found").into_response();
    }
    let failure = sh.failure();
    if let FailureMode::Slow(delay) = failure {
        tokio::time::sleep(delay).await;
    }
    if failure == FailureMode::ServerError {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error").into_response();
    }
    let raw: &[u8] = if method == Method::GET {
        uri.query().unwrap_or("").as_bytes()
    } else {
        &body
    };
    // Later duplicates win, as in PHP's $_GET / $_POST.
    let params: Params = form_urlencoded::parse(raw).into_owned().collect();
    if !authorized(&sh, path, &params, &headers) {
        tracing::debug!(%path, "pbxsim: rejected signature");
        return error(StatusCode::UNAUTHORIZED, "Not authorized").into_response();
    }
    let get = method == Method::GET;
    let post = method == Method::POST;
    let result = match path {
        "/v1/info/balance/" if get => success(json!({
            "balance": sh.lock().balance,
            "currency": sh.config.currency,
        })),
        "/v1/info/timezone/" if get => timezone(&sh),
        "/v1/pbx/internal/" if get => success(json!({
            "pbx_id": sh.config.pbx_id,
            "numbers": sh.config.extensions.iter().map(|e| number_or_string(e)).collect::<Vec<_>>(),
        })),
        "/v1/request/callback/" if get => callback(&sh, &params, &failure),
        "/v1/pbx/record/request/" if get => record_request(&sh, &params),
        "/v1/sms/send/" if post => sms_send(&sh, &params, &failure),
        "/v1/statistics/pbx/" if get => statistics(&sh, &params),
        "/v1/pbx/callinfo/url/" if post => callinfo_url(&sh, &params).await,
        "/v1/info/balance/"
        | "/v1/info/timezone/"
        | "/v1/pbx/internal/"
        | "/v1/request/callback/"
        | "/v1/pbx/record/request/"
        | "/v1/sms/send/"
        | "/v1/statistics/pbx/"
        | "/v1/pbx/callinfo/url/" => error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"),
        other => match other
            .strip_prefix("/v1/pbx/internal/")
            .and_then(|rest| rest.strip_suffix("/status/"))
        {
            Some(ext) if get => internal_status(&sh, ext),
            _ => error(StatusCode::NOT_FOUND, "Method not found"),
        },
    };
    result.into_response()
}

fn timezone(sh: &Shared) -> ApiResult {
    let off = sh.config.utc_offset_minutes;
    let (sign, abs) = if off < 0 { ('-', -off) } else { ('+', off) };
    let tz = if abs % 60 == 0 {
        format!("UTC{sign}{}", abs / 60)
    } else {
        format!("UTC{sign}{}:{:02}", abs / 60, abs % 60)
    };
    success(json!({
        "unixtime": chrono::Utc::now().timestamp(),
        "datetime": sh.local_now().format("%Y-%m-%d %H:%M:%S").to_string(),
        "timezone": tz,
    }))
}

fn internal_status(sh: &Shared, ext: &str) -> ApiResult {
    if !sh.config.extensions.iter().any(|e| e == ext) {
        return error(StatusCode::BAD_REQUEST, "Wrong internal number");
    }
    success(json!({
        "pbx_id": sh.config.pbx_id,
        "number": number_or_string(ext),
        "is_online": "true",
    }))
}

fn callback(sh: &Arc<Shared>, params: &Params, failure: &FailureMode) -> ApiResult {
    let from = params.get("from").map(|s| s.trim()).unwrap_or("");
    let to = digits(params.get("to").map_or("", String::as_str));
    if from.is_empty() || to.is_empty() {
        return error(StatusCode::BAD_REQUEST, "Required parameters: from, to");
    }
    if *failure == FailureMode::NoMoney {
        return error(StatusCode::BAD_REQUEST, "Not enough money");
    }
    if !sh.config.extensions.iter().any(|e| e == from) {
        return error(StatusCode::BAD_REQUEST, "Wrong from number");
    }
    if *failure == FailureMode::WrongNumber || !(5..=15).contains(&to.len()) {
        return error(StatusCode::BAD_REQUEST, "Wrong number");
    }
    if sh.webhook_url().is_some() {
        let spec = ScenarioSpec {
            scenario: Scenario::ClickToCall,
            caller: to.clone(),
            called_did: sh.config.did.clone(),
            extensions: vec![from.to_owned()],
            talk_seconds: sh.config.callback_talk_seconds,
            options: ScenarioOptions::default(),
        };
        let sh2 = Arc::clone(sh);
        tokio::spawn(async move {
            match crate::engine::run(&sh2, spec).await {
                Ok(report) => sh2.lock().callbacks.push(report),
                Err(e) => tracing::warn!(error = %e, "pbxsim: click-to-call run failed"),
            }
        });
    }
    success(json!({
        "from": number_or_string(from),
        "to": to,
        "time": chrono::Utc::now().timestamp(),
    }))
}

fn record_request(sh: &Shared, params: &Params) -> ApiResult {
    let lifetime = match params.get("lifetime") {
        None => 1800,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (180..=5_184_000).contains(&n) => n,
            _ => return error(StatusCode::BAD_REQUEST, "Wrong lifetime"),
        },
    };
    let call_ids: Vec<String> = {
        let st = sh.lock();
        if let Some(id) = params.get("call_id") {
            st.recordings
                .get(id)
                .map(|_| id.clone())
                .into_iter()
                .collect()
        } else if let Some(pbx) = params.get("pbx_call_id") {
            st.recordings_by_call.get(pbx).cloned().unwrap_or_default()
        } else {
            return error(
                StatusCode::BAD_REQUEST,
                "Required parameter: call_id or pbx_call_id",
            );
        }
    };
    if call_ids.is_empty() {
        return error(StatusCode::NOT_FOUND, "File not found");
    }
    let expires = Instant::now() + Duration::from_secs(lifetime);
    let links: Vec<String> = {
        let mut st = sh.lock();
        let now = Instant::now();
        st.links.retain(|_, exp| *exp > now);
        call_ids
            .iter()
            .map(|_| {
                let token = random_token();
                st.links.insert(token.clone(), expires);
                format!("{}/recordings/{token}.{}", sh.base_url, audio::EXTENSION)
            })
            .collect()
    };
    let lifetime_till = (sh.local_now()
        + chrono::Duration::seconds(i64::try_from(lifetime).unwrap_or(0)))
    .format("%Y-%m-%d %H:%M:%S")
    .to_string();
    if params.contains_key("call_id") {
        success(json!({"link": links.first(), "lifetime_till": lifetime_till}))
    } else {
        success(json!({"links": links, "lifetime_till": lifetime_till}))
    }
}

fn sms_send(sh: &Shared, params: &Params, failure: &FailureMode) -> ApiResult {
    let message = params.get("message").map_or("", String::as_str);
    let numbers: Vec<String> = params
        .get("number")
        .map(|n| n.split(',').map(digits).filter(|d| !d.is_empty()).collect())
        .unwrap_or_default();
    if message.is_empty() || numbers.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "Required parameters: number, message",
        );
    }
    if *failure == FailureMode::NoMoney {
        return error(StatusCode::BAD_REQUEST, "Not enough money");
    }
    let chars = message.chars().count();
    let per_part = if message.is_ascii() { 160 } else { 70 };
    let parts = chars.div_ceil(per_part).max(1);
    let caller_id = params
        .get("caller_id")
        .cloned()
        .unwrap_or_else(|| format!("+{}", sh.config.did));
    let (ok, denied): (Vec<String>, Vec<String>) = numbers
        .into_iter()
        .partition(|n| (5..=15).contains(&n.len()));
    #[allow(clippy::cast_precision_loss)]
    let cost_each = 0.2 * parts as f64;
    #[allow(clippy::cast_precision_loss)]
    let cost = cost_each * ok.len() as f64;
    let mut st = sh.lock();
    st.balance -= cost;
    for n in &ok {
        st.sms.push(SentSms {
            number: n.clone(),
            message: message.to_owned(),
            caller_id: caller_id.clone(),
        });
    }
    success(json!({
        "messages": ok.len(),
        "cost": cost,
        "currency": sh.config.currency,
        "sms_detalization": ok.iter().map(|n| json!({
            "callerid": caller_id, "number": n, "cost": cost_each, "parts": parts,
        })).collect::<Vec<_>>(),
        "denied_numbers": denied.iter().map(|n| json!({
            "number": n, "message": "Wrong number",
        })).collect::<Vec<_>>(),
    }))
}

fn statistics(sh: &Shared, params: &Params) -> ApiResult {
    let parse = |k: &str| {
        params
            .get(k)
            .and_then(|v| NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").ok())
    };
    let (Some(start), Some(end)) = (parse("start"), parse("end")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Required parameters: start, end (YYYY-MM-DD HH:MM:SS)",
        );
    };
    if end < start || end - start > chrono::Duration::days(31) {
        return error(StatusCode::BAD_REQUEST, "Wrong period: at most one month");
    }
    let kind = params.get("call_type").map(String::as_str);
    let skip = params
        .get("skip")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0usize);
    let limit = params
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000usize)
        .min(1000);
    let fmt = |d: NaiveDateTime| d.format("%Y-%m-%d %H:%M:%S").to_string();
    let (from, till) = (fmt(start), fmt(end));
    let st = sh.lock();
    let stats: Vec<Value> = st
        .history
        .iter()
        .filter(|c| c.callstart >= from && c.callstart <= till)
        .filter(|c| match kind {
            Some("in") => c.incoming,
            Some("out") => !c.incoming,
            _ => true,
        })
        .skip(skip)
        .take(limit)
        .map(|c| {
            json!({
                "call_id": c.call_id,
                "sip": c.sip,
                "callstart": c.callstart,
                "clid": c.clid,
                "destination": c.destination,
                "disposition": c.disposition,
                "seconds": c.seconds,
                "is_recorded": if c.is_recorded { "true" } else { "false" },
                "pbx_call_id": c.pbx_call_id,
            })
        })
        .collect();
    success(json!({
        "start": from,
        "end": till,
        "version": params.get("version").and_then(|v| v.parse::<u32>().ok()).unwrap_or(2),
        "stats": stats,
    }))
}

async fn callinfo_url(sh: &Shared, params: &Params) -> ApiResult {
    let Some(url) = params.get("url").filter(|u| !u.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "Required parameter: url");
    };
    // Like the real PBX: GET <url>?zd_echo=<random>, the body must be the value.
    let echo = random_token();
    let sep = if url.contains('?') { '&' } else { '?' };
    let check = format!("{url}{sep}zd_echo={echo}");
    let answer = match sh.http.get(&check).send().await {
        Ok(resp) if resp.status().is_success() => resp.text().await.ok(),
        Ok(_) | Err(_) => None,
    };
    if answer.as_deref() != Some(echo.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "URL check failed: GET ?zd_echo=<value> must answer 200 with the value only",
        );
    }
    sh.lock().webhook_url = Some(url.clone());
    success(json!({"url": url}))
}

async fn recording(State(sh): State<Arc<Shared>>, Path(file): Path<String>) -> Response {
    let token = file
        .strip_suffix(audio::EXTENSION)
        .and_then(|t| t.strip_suffix('.'));
    let valid = token.is_some_and(|t| {
        sh.lock()
            .links
            .get(t)
            .is_some_and(|exp| *exp > Instant::now())
    });
    if !valid {
        return (StatusCode::NOT_FOUND, "File not found").into_response();
    }
    (
        [(header::CONTENT_TYPE, audio::CONTENT_TYPE)],
        sh.audio.clone(),
    )
        .into_response()
}
