//! Account and users (C1, C16), plus Switchboard's admin endpoints for API tokens and
//! OAuth clients (Kommo manages those in its UI; we expose them to admins by API too).

use crate::api::hal::{hal, no_content, ok, page, secs};
use crate::api::read::ReadResult;
use crate::api::Api;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_items, parse_one, ApiPath, JsonBody, Links};
use crate::params::Params;
use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use sb_domain::entities::{Role, User};
use sb_domain::{GroupId, Rights, UserId};
use sb_service::users::NewUser;
use sb_service::Page;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v4/account", get(account))
        .route("/api/v4/users", get(list_users).post(create_users))
        .route("/api/v4/users/{id}", get(get_user))
        .route("/api/v4/api_tokens", get(list_tokens).post(create_token))
        .route("/api/v4/api_tokens/{jti}", delete(revoke_token))
        .route("/api/v4/oauth_clients", post(create_client))
}

async fn account(Api { st, actor, links }: Api, params: Params) -> ApiResult<Response> {
    let a = &actor.account;
    let with = params.with();
    let mut embedded = json!({});
    if with.iter().any(|w| w == "users_groups") {
        let groups = sb_service::users::groups(&st.ctx, &actor).await?;
        let mut list = vec![json!({"id": 0, "name": "Main", "uuid": null})];
        list.extend(
            groups
                .iter()
                .map(|g| json!({"id": g.id.0, "name": g.name, "uuid": null})),
        );
        embedded["users_groups"] = json!(list);
    }
    if with.iter().any(|w| w == "task_types") {
        let types = sb_service::tasks::task_types(&st.ctx, &actor).await?;
        embedded["task_types"] = json!(types
            .iter()
            .map(crate::api::tasks::render_task_type)
            .collect::<Vec<_>>());
    }
    if with.iter().any(|w| w == "datetime_settings") {
        embedded["datetime_settings"] = json!({"date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y", "short_time_pattern": "H:i", "date_format": "d.m.Y", "time_format": "H:i:s", "timezone": a.timezone, "timezone_offset": "+00:00"});
    }
    if with.iter().any(|w| w == "amojo_rights") {
        embedded["amojo_rights"] = json!({"can_direct": false, "can_create_groups": false});
    }
    let body = json!({
        "id": a.id.0, "name": a.name, "subdomain": a.subdomain,
        "created_at": secs(a.created_at), "created_by": 0, "updated_at": secs(a.updated_at), "updated_by": 0,
        "current_user_id": actor.user.id.0, "country": a.country, "currency": a.currency, "currency_symbol": currency_symbol(&a.currency),
        "customers_mode": "unavailable", "is_unsorted_on": true, "is_loss_reason_enabled": false, "is_helpbot_enabled": false,
        "is_technical_account": false, "contact_name_display_order": 1, "mobile_feature_version": 0,
        "amojo_id": null, "uuid": null, "version": 11,
        "_links": {"self": links.href("/api/v4/account")},
        "_embedded": embedded,
    });
    Ok(ok(body))
}

fn currency_symbol(c: &str) -> &'static str {
    match c {
        "EUR" => "€",
        "USD" => "$",
        "BRL" => "R$",
        "HUF" => "Ft",
        "GBP" => "£",
        _ => "",
    }
}

pub fn render_user(links: &Links, u: &User) -> Value {
    json!({
        "id": u.id.0, "name": u.name, "email": u.email, "lang": u.lang,
        "rights": {
            "leads": u.rights.leads, "contacts": u.rights.contacts, "companies": u.rights.companies,
            "tasks": {"edit": u.rights.tasks.edit, "delete": u.rights.tasks.delete},
            "mail_access": false, "catalog_access": true, "status_rights": [], "catalog_rights": null,
            "is_admin": u.is_admin(), "is_free": false, "is_active": u.is_active,
            "group_id": u.group_id.map(|g| g.0), "role_id": null,
        },
        "_links": {"self": links.href(&format!("/api/v4/users/{}", u.id.0))},
        "_embedded": {"roles": [], "groups": []},
    })
}

async fn list_users(Api { st, actor, links }: Api, params: Params) -> ApiResult<Response> {
    let (pg, limit) = params.paging()?;
    let all = sb_service::users::list(&st.ctx, &actor).await?;
    let users = Page::of_all(all, pg, limit);
    Ok(page(
        &links,
        &params,
        "/api/v4/users",
        "users",
        users.map(|u| render_user(&links, u)),
        None,
    ))
}

async fn get_user(Api { st, actor, links }: Api, ApiPath(id): ApiPath<i64>) -> ReadResult {
    let u = sb_service::users::get(&st.ctx, &actor, UserId(id)).await?;
    Ok(ok(render_user(&links, &u)))
}

#[derive(Deserialize)]
struct RightsBody {
    #[serde(default)]
    is_admin: Option<bool>,
    #[serde(default)]
    group_id: Option<i64>,
    #[serde(flatten)]
    rights: Option<Rights>,
}

#[derive(Deserialize)]
struct UserBody {
    name: String,
    email: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    group_id: Option<i64>,
    #[serde(default)]
    rights: Option<RightsBody>,
}

async fn create_users(
    Api { st, actor, links }: Api,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let items = parse_items::<UserBody>(body)?;
    let mut out = Vec::new();
    for (rid, b) in items {
        let is_admin = b.role.as_deref() == Some("admin")
            || b.rights.as_ref().and_then(|r| r.is_admin) == Some(true);
        if let Some(r) = b.role.as_deref() {
            if Role::parse(r).is_none() {
                return Err(ApiError::bad_request(format!(
                    "role must be admin or manager, got {r:?}"
                )));
            }
        }
        let group = b
            .group_id
            .or(b.rights.as_ref().and_then(|r| r.group_id))
            .filter(|g| *g != 0)
            .map(GroupId);
        let u = sb_service::users::create_user(
            &st.ctx,
            &actor,
            NewUser {
                name: b.name,
                email: b.email,
                password: b.password,
                role: if is_admin { Role::Admin } else { Role::Manager },
                group_id: group,
                rights: b.rights.and_then(|r| r.rights),
                lang: b.lang,
            },
        )
        .await?;
        let mut v = render_user(&links, &u);
        v["request_id"] = json!(rid);
        out.push(v);
    }
    Ok(ok(
        json!({"_links": {"self": links.href("/api/v4/users")}, "_embedded": {"users": out}}),
    ))
}

#[derive(Deserialize)]
struct TokenBody {
    user_id: i64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    days: Option<i64>,
}

async fn create_token(Api { st, actor, .. }: Api, JsonBody(body): JsonBody) -> ApiResult<Response> {
    let b: TokenBody = parse_one(body)?;
    let (jwt, row) = sb_service::auth::create_api_token(
        &st.ctx,
        &actor,
        UserId(b.user_id),
        b.name.as_deref().unwrap_or("API token"),
        b.days,
    )
    .await?;
    Ok(hal(
        StatusCode::CREATED,
        json!({"id": row.jti, "user_id": row.user_id.0, "name": row.name, "expires_at": secs(row.expires_at), "access_token": jwt}),
    ))
}

async fn list_tokens(Api { st, actor, .. }: Api) -> ApiResult<Response> {
    let rows = sb_service::auth::list_api_tokens(&st.ctx, &actor).await?;
    if rows.is_empty() {
        return Ok(no_content());
    }
    let items: Vec<Value> = rows
        .iter()
        .map(|t| json!({"id": t.jti, "user_id": t.user_id.0, "name": t.name, "created_at": secs(t.created_at), "expires_at": secs(t.expires_at), "revoked_at": t.revoked_at.map(secs)}))
        .collect();
    Ok(ok(
        json!({"_total_items": items.len(), "_embedded": {"api_tokens": items}}),
    ))
}

async fn revoke_token(
    Api { st, actor, .. }: Api,
    ApiPath(jti): ApiPath<String>,
) -> ApiResult<Response> {
    sb_service::auth::revoke_token(&st.ctx, &actor, &jti).await?;
    Ok(no_content())
}

#[derive(Deserialize)]
struct ClientBody {
    name: String,
    redirect_uri: String,
}

async fn create_client(
    Api { st, actor, .. }: Api,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: ClientBody = parse_one(body)?;
    let (id, secret) =
        sb_service::auth::create_oauth_client(&st.ctx, &actor, &b.name, &b.redirect_uri).await?;
    Ok(hal(
        StatusCode::CREATED,
        json!({"client_id": id, "client_secret": secret, "name": b.name, "redirect_uri": b.redirect_uri}),
    ))
}
