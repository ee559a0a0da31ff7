//! Telephony over the API: integrations and their settings (P2, P11), extension
//! mapping, the blacklist (P10), click-to-call (V1, P3), recordings and the live call
//! stream (V2, P4).

use crate::api::hal::{hal, no_content, ok, page, secs};
use crate::api::Api;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_one, ApiPath, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use sb_domain::{CallId, IntegrationId, UserId};
use sb_service::telephony::{self, IntegrationView, Settings};
use sb_service::{Page, ServiceError};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/telephony/integrations", get(list).post(install))
        .route(
            "/api/v4/telephony/integrations/{id}",
            get(get_one).patch(update),
        )
        .route("/api/v4/telephony/integrations/{id}/pbx", get(pbx_status))
        .route(
            "/api/v4/telephony/integrations/{id}/extensions/{ext}",
            put(bind).delete(unbind),
        )
        .route(
            "/api/v4/telephony/blacklist",
            get(blacklist_list).post(blacklist_add),
        )
        .route("/api/v4/telephony/blacklist/{id}", delete(blacklist_remove))
        .route("/api/v4/telephony/alerts", get(alerts_list))
        .route("/api/v4/calls", post(log_calls))
        .route("/api/v4/calls/dial", post(dial))
        .route("/api/v4/calls/live", get(live))
        .route("/api/v4/calls/{id}/recording", get(recording))
        .route("/api/v4/telephony/statistics", get(statistics))
}

/// V9: the open integration alerts (admins only), the latest first; 204 when none.
async fn alerts_list(Api { st, actor, links }: Api) -> ApiResult<Response> {
    let all = telephony::alerts::list(&st.ctx, &actor).await?;
    if all.is_empty() {
        return Ok(no_content());
    }
    let items: Vec<Value> = all
        .iter()
        .map(|a| {
            json!({
                "integration_id": a.integration_id.0,
                "integration_name": a.integration_name,
                "code": a.code.as_str(),
                "count": a.occurrences,
                "first_seen_at": secs(a.first_seen_at),
                "last_seen_at": secs(a.last_seen_at),
                "detail": a.detail,
                "_links": {"settings": links.href(&a.fix_path)},
            })
        })
        .collect();
    Ok(ok(
        json!({"_total_items": items.len(), "_embedded": {"alerts": items}}),
    ))
}

fn render(links: &Links, v: &IntegrationView) -> Value {
    let i = &v.integration;
    json!({
        "id": i.id.0, "provider": i.provider, "name": i.name, "is_active": i.is_active,
        "default_user_id": i.default_user_id.map(|u| u.0),
        "webhook_url": format!("{}{}", links.0, v.webhook_path),
        "settings": v.settings.as_ref().map(Settings::public),
        // Set when the stored settings cannot be read (then `settings` is null).
        "alert": v.alert.as_ref().map(|a| json!({"code": a.code, "message": a.message})),
        "extensions": v.bindings.iter().map(|b| json!({"extension": b.extension, "user_id": b.user_id.0})).collect::<Vec<_>>(),
        "created_at": secs(i.created_at), "updated_at": secs(i.updated_at),
        "_links": {"self": links.href(&format!("/api/v4/telephony/integrations/{}", i.id.0))},
    })
}

async fn list(Api { st, actor, links }: Api) -> ApiResult<Response> {
    let all = telephony::list(&st.ctx, &actor).await?;
    if all.is_empty() {
        return Ok(no_content());
    }
    let items: Vec<Value> = all.iter().map(|v| render(&links, v)).collect();
    Ok(ok(
        json!({"_total_items": items.len(), "_embedded": {"integrations": items}}),
    ))
}

#[derive(Deserialize)]
struct InstallBody {
    #[serde(default = "zadarma")]
    provider: String,
    #[serde(default)]
    name: String,
    key: String,
    secret: String,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    settings: Option<Value>,
}

fn zadarma() -> String {
    "zadarma".into()
}

async fn install(Api { st, actor, links }: Api, JsonBody(body): JsonBody) -> ApiResult<Response> {
    let b: InstallBody = parse_one(body)?;
    let mut v = b.settings.unwrap_or_else(|| json!({}));
    if let Some(o) = v.as_object_mut() {
        o.insert("key".into(), json!(b.key));
        o.insert("secret".into(), json!(b.secret));
        if let Some(u) = b.base_url {
            o.insert("base_url".into(), json!(u));
        }
    }
    let defaults = serde_json::to_value(Settings::default())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut merged = defaults;
    if let (Some(m), Some(p)) = (merged.as_object_mut(), v.as_object()) {
        for (k, val) in p {
            m.insert(k.clone(), val.clone());
        }
    }
    let settings: Settings = serde_json::from_value(merged)
        .map_err(|e| ApiError::bad_request(format!("invalid settings: {e}")))?;
    let view = telephony::install(&st.ctx, &actor, &b.provider, &b.name, settings).await?;
    Ok(hal(StatusCode::CREATED, render(&links, &view)))
}

async fn get_one(Api { st, actor, links }: Api, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    let v = telephony::get(&st.ctx, &actor, IntegrationId(id)).await?;
    Ok(ok(render(&links, &v)))
}

async fn pbx_status(Api { st, actor, .. }: Api, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    let id = IntegrationId(id);
    let (balance, exts) = telephony::pbx_status(&st.ctx, &actor, id).await?;
    let view = telephony::get(&st.ctx, &actor, id).await?;
    let offered: Vec<Value> = exts
        .iter()
        .map(|e| {
            let bound = view
                .bindings
                .iter()
                .find(|b| &b.extension == e)
                .map(|b| b.user_id.0);
            json!({"extension": e, "user_id": bound, "available": bound.is_none()})
        })
        .collect();
    Ok(ok(
        json!({"balance": balance.amount, "currency": balance.currency, "extensions": offered}),
    ))
}

#[derive(Deserialize)]
struct UpdateBody {
    #[serde(default)]
    settings: Option<Value>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    default_user_id: Option<Option<i64>>,
    /// Enables or disables the integration.
    #[serde(default)]
    is_active: Option<bool>,
}

async fn update(
    Api { st, actor, links }: Api,
    ApiPath(id): ApiPath<i64>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: UpdateBody = parse_one(body)?;
    let id = IntegrationId(id);
    let mut v = None;
    if b.settings.is_some() || b.default_user_id.is_some() || b.is_active.is_none() {
        v = Some(
            telephony::update(
                &st.ctx,
                &actor,
                id,
                b.settings.unwrap_or_else(|| json!({})),
                b.default_user_id.map(|o| o.map(UserId)),
            )
            .await?,
        );
    }
    if let Some(active) = b.is_active {
        v = Some(telephony::set_active(&st.ctx, &actor, id, active).await?);
    }
    match v {
        Some(v) => Ok(ok(render(&links, &v))),
        None => Ok(ok(render(
            &links,
            &telephony::get(&st.ctx, &actor, id).await?,
        ))),
    }
}

#[derive(Deserialize)]
struct BindBody {
    user_id: i64,
}

async fn bind(
    Api { st, actor, links }: Api,
    ApiPath((id, ext)): ApiPath<(i64, String)>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: BindBody = parse_one(body)?;
    let v = telephony::bind_extension(
        &st.ctx,
        &actor,
        IntegrationId(id),
        &ext,
        Some(UserId(b.user_id)),
    )
    .await?;
    Ok(ok(render(&links, &v)))
}

async fn unbind(
    Api { st, actor, .. }: Api,
    ApiPath((id, ext)): ApiPath<(i64, String)>,
) -> ApiResult<Response> {
    telephony::bind_extension(&st.ctx, &actor, IntegrationId(id), &ext, None).await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct BlacklistBody {
    phone: String,
    #[serde(default)]
    note: String,
}

fn render_entry(e: &sb_domain::integrations::BlacklistEntry) -> Value {
    json!({"id": e.id, "phone": e.phone.e164.clone().unwrap_or_else(|| e.phone.raw.clone()), "raw": e.phone.raw, "note": e.note, "created_by": e.created_by.0, "created_at": secs(e.created_at)})
}

async fn blacklist_add(
    Api { st, actor, .. }: Api,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: BlacklistBody = parse_one(body)?;
    let e = telephony::blacklist_add(&st.ctx, &actor, &b.phone, &b.note).await?;
    Ok(hal(StatusCode::CREATED, render_entry(&e)))
}

async fn blacklist_list(Api { st, actor, links }: Api, params: Params) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let mut items = telephony::blacklist_list(&st.ctx, &actor, limit + 1, (pg - 1) * limit).await?;
    let has_next = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let entries = Page {
        items,
        page: pg,
        limit,
        has_next,
    };
    Ok(page(
        &links,
        &params,
        "/api/v4/telephony/blacklist",
        "blacklist",
        entries.map(render_entry),
        None,
    ))
}

async fn blacklist_remove(
    Api { st, actor, .. }: Api,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    telephony::blacklist_remove(&st.ctx, &actor, id).await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct DialBody {
    phone: String,
    #[serde(default)]
    user_id: Option<i64>,
    #[serde(default)]
    integration_id: Option<i64>,
}

async fn dial(Api { st, actor, .. }: Api, JsonBody(body): JsonBody) -> ApiResult<Response> {
    let b: DialBody = parse_one(body)?;
    let ext = telephony::dial(
        &st.ctx,
        &actor,
        &b.phone,
        b.user_id.map(UserId),
        b.integration_id.map(IntegrationId),
    )
    .await
    .map_err(ServiceError::from)?;
    Ok(ok(
        json!({"phone": b.phone, "extension": ext, "state": "ringing_extension"}),
    ))
}

async fn recording(Api { st, actor, .. }: Api, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    let (bytes, ct) = telephony::work::recording_for(&st.ctx, &actor, CallId(id)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}

/// Server-sent events with this user's call pop-ups: ringing, answered, ended, error.
/// A call rings once per stream (the PBX may ring several extensions in turn: each
/// one's user gets their own `ringing`, a stream that told of the call already does
/// not tell it again).
///
/// A user has a bounded number of live connections (these streams and the browser's
/// sockets together): one more is a 429 with the reason; a stream's place is given back
/// when it ends, however it ends.
async fn live(Api { st, actor, .. }: Api) -> ApiResult<Response> {
    let slot = st
        .sockets
        .take(actor.user.id.0, &st.limits)
        .map_err(|full| {
            let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, full.reason());
            e.retry_after = Some(60);
            e
        })?;
    let rx = st.ctx.hub.subscribe(actor.account.id);
    let me = actor.user.id;
    let admin = actor.is_admin();
    let rung = std::collections::HashSet::<i64>::new();
    let stream = futures_util::stream::unfold(
        (rx, rung, slot),
        move |(mut rx, mut rung, slot)| async move {
            loop {
                match rx.recv().await {
                    Ok(ev) if admin || ev.is_for(me) => {
                        if let Some(id) = ev.call_id {
                            match ev.kind.as_str() {
                                "ringing" if !rung.insert(id) => continue,
                                "ended" => {
                                    rung.remove(&id);
                                }
                                _ => {}
                            }
                        }
                        let data = serde_json::to_string(&ev).unwrap_or_default();
                        return Some((
                            Ok::<_, std::convert::Infallible>(
                                SseEvent::default().event(ev.kind.clone()).data(data),
                            ),
                            (rx, rung, slot),
                        ));
                    }
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Kommo's bulk call logging (V4): per-item errors come back while valid items are saved.
async fn log_calls(Api { st, actor, links }: Api, JsonBody(body): JsonBody) -> ApiResult<Response> {
    let items = crate::extract::parse_items::<telephony::log::CallLogInput>(body)?;
    let (logged, errors) = telephony::log::log_calls(&st.ctx, &actor, items).await?;
    let calls: Vec<Value> = logged
        .iter()
        .map(|c| {
            let plural = match c.entity_type {
                "lead" => "leads",
                "company" => "companies",
                _ => "contacts",
            };
            json!({
                "id": c.id, "entity_id": c.entity_id, "entity_type": c.entity_type, "account_id": actor.account.id.0, "request_id": c.request_id,
                "_embedded": {"entity": {"id": c.entity_id, "_links": {"self": links.href(&format!("/api/v4/{plural}/{}", c.entity_id))}}},
            })
        })
        .collect();
    let errs: Vec<Value> = errors.iter().map(|e| json!({"request_id": e.request_id, "title": e.title, "detail": e.detail, "errors": e.errors})).collect();
    Ok(ok(
        json!({"_total_items": calls.len(), "errors": errs, "_embedded": {"calls": calls}}),
    ))
}

/// The API's period: `period=today|week|month` (the default is today), or `from` and
/// `to` in Unix seconds (a half-open range); both at once is a 400.
fn stats_period(params: &Params) -> Result<telephony::stats::Period, ApiError> {
    use telephony::stats::Period;
    let from = params.int("from")?;
    let to = params.int("to")?;
    let named = params
        .get("period")
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (named, from, to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(ApiError::bad_request(
            "give either period or from and to, not both",
        )),
        (Some(p), None, None) => Period::parse(p).ok_or_else(|| {
            ApiError::bad_request(format!("period must be today, week or month, got {p:?}"))
        }),
        (None, Some(f), Some(t)) => {
            let ms = |s: i64| {
                s.checked_mul(1000)
                    .ok_or_else(|| ApiError::bad_request("from and to must be Unix seconds"))
            };
            Ok(Period::Span {
                from: ms(f)?,
                to: ms(t)?,
            })
        }
        (None, None, None) => Ok(Period::Today),
        (None, _, _) => Err(ApiError::bad_request("give both from and to")),
    }
}

fn render_figures(f: &telephony::stats::Figures) -> Value {
    json!({
        "incoming": f.incoming, "outgoing": f.outgoing, "answered": f.answered, "missed": f.missed,
        "missed_not_called_back": f.missed_not_called_back, "talk_time": f.talk_s,
        "average_talk_time": telephony::stats::avg_talk_s(f),
        "average_answer_time": telephony::stats::avg_answer_s(f),
    })
}

/// `GET /api/v4/telephony/statistics`: the figures per manager, totals and calls per day.
async fn statistics(Api { st, actor, links }: Api, params: Params) -> ApiResult<Response> {
    let period = stats_period(&params)?;
    let s = telephony::stats::statistics(&st.ctx, &actor, period).await?;
    let managers: Vec<Value> = s
        .rows
        .iter()
        .map(|r| {
            let mut v = render_figures(&r.figures);
            v["user_id"] = json!(r.user_id.map(|u| u.0));
            v["name"] = json!(r.name);
            v
        })
        .collect();
    let days: Vec<Value> = s
        .days
        .iter()
        .map(|d| {
            json!({"date": d.date.to_string(), "start": secs(d.start), "answered": d.counts.answered,
                   "missed": d.counts.missed, "outgoing": d.counts.outgoing})
        })
        .collect();
    Ok(ok(json!({
        "period": s.period.name(), "from": secs(s.from), "to": secs(s.to), "timezone": s.timezone,
        "first_day": s.first_day.to_string(), "last_day": s.last_day.to_string(),
        "totals": render_figures(&s.totals),
        "days": days,
        "_embedded": {"managers": managers},
        "_links": {"self": links.href("/api/v4/telephony/statistics")},
    })))
}
