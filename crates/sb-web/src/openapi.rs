//! The OpenAPI 3 description of the whole HTTP surface, served at
//! `GET /api/v4/openapi.json` (no auth).
//!
//! The document is built from ONE table, [`ROUTES`], written by reading every router
//! (`api/*.rs`, `ops.rs`, `hooks.rs`). Schemas are deliberately loose: success bodies are
//! HAL objects (their `_links`, `_embedded`, `_page` and `_total_items` described, each
//! resource's own fields free-form), errors are Kommo's `application/problem+json`.
//! `scripts/api-fuzz` checks the live server against this document with schemathesis. The API tests check that
//! every `.route(` in this crate's sources is in the table and that every table entry is
//! served by the live app, so the two cannot drift apart silently.

use crate::error::ApiError;
use crate::state::AppState;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::LazyLock;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ComponentsBuilder, KnownFormat, ObjectBuilder,
    OneOfBuilder, Ref, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, PathItem, Paths, RefOr, Required};

/// Where the document is served.
pub const PATH: &str = "/api/v4/openapi.json";

const BEARER: &str = "bearer";
const HAL: &str = "application/hal+json";
const PROBLEM: &str = "application/problem+json";
const HOOKS: &str = "hooks";
const OPS: &str = "ops";
const NOT_AN_ID: &str = "An integer id. A value that is not an integer (or is past 64 bits) names no resource: the answer is 404 in problem+json, as for an unknown route, on every route.";

/// What a request body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// A JSON array of 1 to 250 objects (Kommo's bulk create/update); one bare object
    /// is taken as an array of one.
    Items,
    /// One JSON object.
    Object,
    /// The OAuth2 token request: JSON or a form.
    TokenRequest,
    /// Whatever a PBX sends (form, JSON or nothing).
    Any,
}

/// HTTP methods the table uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum M {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl M {
    pub fn method(self) -> Method {
        match self {
            M::Get => Method::GET,
            M::Post => Method::POST,
            M::Put => Method::PUT,
            M::Patch => Method::PATCH,
            M::Delete => Method::DELETE,
        }
    }
    fn http(self) -> HttpMethod {
        match self {
            M::Get => HttpMethod::Get,
            M::Post => HttpMethod::Post,
            M::Put => HttpMethod::Put,
            M::Patch => HttpMethod::Patch,
            M::Delete => HttpMethod::Delete,
        }
    }
}

/// The entity names a route is repeated for: `@` in its path is replaced by each.
const ONE: &[&str] = &[""];
const ENTITIES: &[&str] = &["leads", "contacts", "companies"];
const CARDS: &[&str] = &["contacts", "companies"];

/// One operation (method + path) of the HTTP surface.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub method: M,
    /// axum path syntax; `@` stands for each name in `each`.
    pub path: &'static str,
    pub each: &'static [&'static str],
    pub tag: &'static str,
    pub summary: &'static str,
    pub auth: bool,
    pub body: Option<Body>,
    /// Success statuses.
    pub ok: &'static [u16],
    /// The success content type.
    pub content_type: &'static str,
    /// The success body is a JSON array, not a HAL object.
    pub array: bool,
    /// Documented query parameters: (name, integer?, description).
    pub query: &'static [(&'static str, bool, &'static str)],
}

/// The statistics' period parameters.
const STATS_QUERY: &[(&str, bool, &str)] = &[
    (
        "period",
        false,
        "today, week or month, in the account's time zone (the default: today); not with from/to",
    ),
    ("from", true, "Start of the range, Unix seconds (with to)"),
    (
        "to",
        true,
        "End of the range (excluded), Unix seconds (with from)",
    ),
];

const fn ends_with_param(path: &str) -> bool {
    let b = path.as_bytes();
    !b.is_empty() && b[b.len() - 1] == b'}'
}

const fn op(method: M, path: &'static str, tag: &'static str, summary: &'static str) -> Route {
    let (body, ok): (Option<Body>, &'static [u16]) = match method {
        M::Get => (None, &[200, 204]),
        M::Post => (Some(Body::Items), &[200]),
        M::Put => (Some(Body::Object), &[200]),
        // PATCH on one entity takes one object; on the collection, an array
        M::Patch if ends_with_param(path) => (Some(Body::Object), &[200]),
        M::Patch => (Some(Body::Items), &[200]),
        M::Delete => (None, &[204]),
    };
    Route {
        method,
        path,
        each: ONE,
        tag,
        summary,
        auth: true,
        body,
        ok,
        content_type: HAL,
        array: false,
        query: &[],
    }
}

impl Route {
    const fn open(self) -> Self {
        Route {
            auth: false,
            ..self
        }
    }
    const fn body(self, body: Option<Body>) -> Self {
        Route { body, ..self }
    }
    const fn ok(self, ok: &'static [u16]) -> Self {
        Route { ok, ..self }
    }
    const fn each(self, each: &'static [&'static str]) -> Self {
        Route { each, ..self }
    }
    const fn array(self) -> Self {
        Route {
            array: true,
            ..self
        }
    }
    const fn query(self, query: &'static [(&'static str, bool, &'static str)]) -> Self {
        Route { query, ..self }
    }
    const fn ct(self, content_type: &'static str) -> Self {
        Route {
            content_type,
            ..self
        }
    }
}

use M::{Delete, Get, Patch, Post, Put};

/// THE table: every route this crate serves, one row per method.
pub const ROUTES: &[Route] = &[
    // ops.rs
    op(Get, "/health", OPS, "Liveness")
        .open()
        .ok(&[200])
        .ct("application/json"),
    op(Get, "/ready", OPS, "Readiness: the database answers")
        .open()
        .ok(&[200])
        .ct("application/json"),
    op(Get, "/metrics", OPS, "Prometheus/OpenMetrics metrics")
        .open()
        .ok(&[200])
        .ct("application/openmetrics-text"),
    // this module
    op(Get, PATH, OPS, "This OpenAPI document")
        .open()
        .ok(&[200])
        .ct("application/json"),
    // api/oauth.rs
    op(
        Post,
        "/oauth2/access_token",
        "oauth",
        "OAuth2 token endpoint (authorization_code, refresh_token)",
    )
    .open()
    .body(Some(Body::TokenRequest))
    .ct("application/json"),
    // api/account.rs
    op(Get, "/api/v4/account", "account", "The account").ok(&[200]),
    op(Get, "/api/v4/users", "account", "List users"),
    op(Post, "/api/v4/users", "account", "Create users"),
    op(Get, "/api/v4/users/{id}", "account", "One user"),
    op(
        Get,
        "/api/v4/api_tokens",
        "account",
        "List long-lived API tokens",
    ),
    op(
        Post,
        "/api/v4/api_tokens",
        "account",
        "Create a long-lived API token",
    )
    .body(Some(Body::Object))
    .ok(&[201]),
    op(
        Delete,
        "/api/v4/api_tokens/{jti}",
        "account",
        "Revoke an API token",
    ),
    op(
        Post,
        "/api/v4/oauth_clients",
        "account",
        "Register an OAuth2 client",
    )
    .body(Some(Body::Object))
    .ok(&[201]),
    // api/cards.rs
    op(Get, "/api/v4/@", "cards", "List cards").each(CARDS),
    op(Post, "/api/v4/@", "cards", "Create cards").each(CARDS),
    op(Patch, "/api/v4/@", "cards", "Update cards").each(CARDS),
    op(Get, "/api/v4/@/{id}", "cards", "One card").each(CARDS),
    op(Patch, "/api/v4/@/{id}", "cards", "Update one card").each(CARDS),
    // api/custom_fields.rs
    op(
        Get,
        "/api/v4/@/custom_fields",
        "custom_fields",
        "List custom fields",
    )
    .each(ENTITIES),
    op(
        Post,
        "/api/v4/@/custom_fields",
        "custom_fields",
        "Create custom fields",
    )
    .each(ENTITIES),
    op(
        Get,
        "/api/v4/@/custom_fields/{id}",
        "custom_fields",
        "One custom field",
    )
    .each(ENTITIES),
    op(
        Delete,
        "/api/v4/@/custom_fields/{id}",
        "custom_fields",
        "Delete a custom field",
    )
    .each(ENTITIES),
    // api/pipelines.rs
    op(
        Get,
        "/api/v4/leads/pipelines",
        "pipelines",
        "List pipelines",
    ),
    op(
        Post,
        "/api/v4/leads/pipelines",
        "pipelines",
        "Create pipelines",
    ),
    op(
        Get,
        "/api/v4/leads/pipelines/{id}",
        "pipelines",
        "One pipeline",
    ),
    op(
        Patch,
        "/api/v4/leads/pipelines/{id}",
        "pipelines",
        "Update a pipeline",
    )
    .body(Some(Body::Object)),
    op(
        Delete,
        "/api/v4/leads/pipelines/{id}",
        "pipelines",
        "Delete a pipeline",
    ),
    op(
        Get,
        "/api/v4/leads/pipelines/{id}/statuses",
        "pipelines",
        "List a pipeline's statuses",
    ),
    op(
        Post,
        "/api/v4/leads/pipelines/{id}/statuses",
        "pipelines",
        "Create statuses",
    ),
    op(
        Get,
        "/api/v4/leads/pipelines/{id}/statuses/{status_id}",
        "pipelines",
        "One status",
    ),
    op(
        Patch,
        "/api/v4/leads/pipelines/{id}/statuses/{status_id}",
        "pipelines",
        "Update a status",
    )
    .body(Some(Body::Object)),
    op(
        Delete,
        "/api/v4/leads/pipelines/{id}/statuses/{status_id}",
        "pipelines",
        "Delete a status",
    ),
    // api/leads.rs
    op(Get, "/api/v4/leads", "leads", "List leads"),
    op(Post, "/api/v4/leads", "leads", "Create leads"),
    op(Patch, "/api/v4/leads", "leads", "Update leads"),
    op(
        Post,
        "/api/v4/leads/complex",
        "leads",
        "Create leads with their contact and company",
    )
    .array(),
    op(Get, "/api/v4/leads/{id}", "leads", "One lead"),
    op(Patch, "/api/v4/leads/{id}", "leads", "Update one lead"),
    // api/tasks.rs
    op(Get, "/api/v4/tasks", "tasks", "List tasks"),
    op(Post, "/api/v4/tasks", "tasks", "Create tasks"),
    op(Patch, "/api/v4/tasks", "tasks", "Update tasks"),
    op(Get, "/api/v4/tasks/{id}", "tasks", "One task"),
    op(Patch, "/api/v4/tasks/{id}", "tasks", "Update one task"),
    op(
        Get,
        "/api/v4/tasks/types",
        "tasks",
        "Task types: built-in and the account's own",
    )
    .ok(&[200]),
    op(
        Post,
        "/api/v4/tasks/types",
        "tasks",
        "Add task types (admins; Switchboard's own endpoint)",
    ),
    // api/notes.rs
    op(
        Get,
        "/api/v4/@/notes",
        "notes",
        "List notes of all entities of a kind",
    )
    .each(ENTITIES),
    op(Post, "/api/v4/@/notes", "notes", "Create notes").each(ENTITIES),
    op(
        Get,
        "/api/v4/@/{id}/notes",
        "notes",
        "List one entity's notes",
    )
    .each(ENTITIES),
    op(
        Post,
        "/api/v4/@/{id}/notes",
        "notes",
        "Create notes on one entity",
    )
    .each(ENTITIES),
    op(Get, "/api/v4/@/{id}/notes/{note_id}", "notes", "One note").each(ENTITIES),
    op(
        Patch,
        "/api/v4/@/notes",
        "notes",
        "Edit notes (items carry id; common, service and sms text only)",
    )
    .each(ENTITIES),
    op(
        Patch,
        "/api/v4/@/{id}/notes",
        "notes",
        "Edit notes of one entity",
    )
    .body(Some(Body::Items))
    .each(ENTITIES),
    op(
        Patch,
        "/api/v4/@/{id}/notes/{note_id}",
        "notes",
        "Edit one note",
    )
    .each(ENTITIES),
    op(
        Post,
        "/api/v4/@/{id}/notes/{note_id}/pin",
        "notes",
        "Pin a note",
    )
    .body(None)
    .each(ENTITIES),
    op(
        Post,
        "/api/v4/@/{id}/notes/{note_id}/unpin",
        "notes",
        "Unpin a note",
    )
    .body(None)
    .each(ENTITIES),
    op(
        Get,
        "/api/v4/@/{id}/feed",
        "notes",
        "One entity's feed: notes, calls and events",
    )
    .each(ENTITIES),
    // api/events.rs
    op(Get, "/api/v4/events", "events", "List events"),
    op(Get, "/api/v4/events/types", "events", "Event types").ok(&[200]),
    op(Get, "/api/v4/events/{id}", "events", "One event"),
    // api/links.rs
    op(Post, "/api/v4/@/{id}/link", "links", "Link entities").each(ENTITIES),
    op(Post, "/api/v4/@/{id}/unlink", "links", "Unlink entities")
        .each(ENTITIES)
        .ok(&[204]),
    op(Get, "/api/v4/@/{id}/links", "links", "One entity's links").each(ENTITIES),
    op(
        Post,
        "/api/v4/@/link",
        "links",
        "Link several entities (items carry entity_id)",
    )
    .each(ENTITIES),
    op(
        Post,
        "/api/v4/@/unlink",
        "links",
        "Unlink several entities (items carry entity_id)",
    )
    .each(ENTITIES)
    .ok(&[204]),
    op(
        Get,
        "/api/v4/@/links",
        "links",
        "Links of several entities (filter[entity_id][])",
    )
    .each(ENTITIES),
    op(Get, "/api/v4/@/tags", "tags", "List tags").each(ENTITIES),
    op(Post, "/api/v4/@/tags", "tags", "Create tags").each(ENTITIES),
    // api/catalogs.rs
    op(Get, "/api/v4/catalogs", "catalogs", "List catalogs (lists)"),
    op(Post, "/api/v4/catalogs", "catalogs", "Create catalogs"),
    op(Get, "/api/v4/catalogs/{id}", "catalogs", "One catalog"),
    op(
        Get,
        "/api/v4/catalogs/{id}/elements",
        "catalogs",
        "List a catalog's elements",
    ),
    op(
        Post,
        "/api/v4/catalogs/{id}/elements",
        "catalogs",
        "Create catalog elements",
    ),
    op(
        Get,
        "/api/v4/catalogs/{id}/elements/{element_id}",
        "catalogs",
        "One catalog element",
    ),
    op(
        Patch,
        "/api/v4/catalogs/{id}/elements",
        "catalogs",
        "Update catalog elements (items carry id)",
    ),
    op(
        Get,
        "/api/v4/catalogs/{id}/custom_fields",
        "catalogs",
        "Custom fields of a catalog's elements",
    ),
    op(
        Post,
        "/api/v4/catalogs/{id}/custom_fields",
        "catalogs",
        "Create custom fields of a catalog's elements",
    ),
    // api/telephony.rs
    op(
        Get,
        "/api/v4/telephony/integrations",
        "telephony",
        "List telephony integrations",
    ),
    op(
        Post,
        "/api/v4/telephony/integrations",
        "telephony",
        "Install a telephony integration",
    )
    .body(Some(Body::Object))
    .ok(&[201]),
    op(
        Get,
        "/api/v4/telephony/integrations/{id}",
        "telephony",
        "One telephony integration",
    )
    .ok(&[200]),
    op(
        Patch,
        "/api/v4/telephony/integrations/{id}",
        "telephony",
        "Update a telephony integration: settings, default_user_id, is_active",
    )
    .body(Some(Body::Object)),
    op(
        Get,
        "/api/v4/telephony/integrations/{id}/pbx",
        "telephony",
        "The PBX's status as it answers",
    )
    .ok(&[200]),
    op(
        Put,
        "/api/v4/telephony/integrations/{id}/extensions/{ext}",
        "telephony",
        "Bind an extension to a user",
    ),
    op(
        Delete,
        "/api/v4/telephony/integrations/{id}/extensions/{ext}",
        "telephony",
        "Unbind an extension",
    ),
    op(
        Get,
        "/api/v4/telephony/blacklist",
        "telephony",
        "List blacklisted numbers",
    ),
    op(
        Post,
        "/api/v4/telephony/blacklist",
        "telephony",
        "Blacklist a number",
    )
    .body(Some(Body::Object))
    .ok(&[201]),
    op(
        Delete,
        "/api/v4/telephony/blacklist/{id}",
        "telephony",
        "Remove a blacklisted number",
    ),
    op(
        Get,
        "/api/v4/telephony/alerts",
        "telephony",
        "Open integration alerts (admins)",
    ),
    op(
        Post,
        "/api/v4/calls",
        "telephony",
        "Log calls (Kommo bulk call logging)",
    ),
    op(
        Post,
        "/api/v4/calls/dial",
        "telephony",
        "Click-to-call: dial out through the PBX",
    )
    .body(Some(Body::Object)),
    op(
        Get,
        "/api/v4/calls/live",
        "telephony",
        "Server-sent events: this user's call pop-ups",
    )
    .ok(&[200])
    .ct("text/event-stream"),
    op(
        Get,
        "/api/v4/calls/{id}/recording",
        "telephony",
        "A call's recording",
    )
    .ok(&[200])
    .ct("application/octet-stream"),
    op(
        Get,
        "/api/v4/telephony/statistics",
        "telephony",
        "Call statistics per manager, totals and calls per day (period=today|week|month, or from and to in Unix seconds)",
    )
    .ok(&[200])
    .query(STATS_QUERY),
    // hooks.rs
    op(
        Get,
        "/hooks/{provider}/{token}",
        HOOKS,
        "PBX webhook (provider's own protocol)",
    )
    .open()
    .ok(&[200])
    .ct("text/plain"),
    op(
        Post,
        "/hooks/{provider}/{token}",
        HOOKS,
        "PBX webhook (provider's own protocol)",
    )
    .open()
    .body(Some(Body::Any))
    .ok(&[200])
    .ct("text/plain"),
];

/// One concrete operation: a table row with `@` expanded.
#[derive(Clone, Debug)]
pub struct Operation {
    pub method: Method,
    pub path: String,
    pub route: Route,
}

/// Every operation the app serves, with per-entity rows expanded.
pub fn operations() -> Vec<Operation> {
    ROUTES
        .iter()
        .flat_map(|r| {
            r.each.iter().map(move |name| Operation {
                method: r.method.method(),
                path: r.path.replace('@', name),
                route: *r,
            })
        })
        .collect()
}

fn any_object() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(true)))
        .into()
}

/// Kommo's bulk bodies: 1 to 250 objects.
fn items() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::T(any_object()))
        .min_items(Some(1))
        .max_items(Some(250))
        .into()
}

fn body_schema(b: Body) -> Schema {
    match b {
        Body::Items => OneOfBuilder::new().item(items()).item(any_object()).into(),
        Body::Object | Body::TokenRequest => any_object(),
        Body::Any => ObjectBuilder::new().into(),
    }
}

/// Kommo's success body: a HAL object. Only the HAL members are described; each
/// resource's own fields stay free-form.
fn hal_schema() -> Schema {
    let link = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("href", ObjectBuilder::new().schema_type(Type::String))
        .required("href");
    let embedded_value = OneOfBuilder::new()
        .item(ArrayBuilder::new().items(RefOr::T(any_object())))
        .item(any_object());
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "A HAL object: `_links` of hrefs, `_embedded` lists or objects, and the resource's own fields",
        ))
        .property(
            "_links",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(link.into())))),
        )
        .property(
            "_embedded",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(
                    embedded_value.into(),
                )))),
        )
        .property(
            "_page",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        )
        .property(
            "_total_items",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(true)))
        .into()
}

fn problem_schema() -> Schema {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("An error in Kommo's shape (RFC 7807 problem details)"))
        .property("title", string())
        .property("type", string())
        .property("status", ObjectBuilder::new().schema_type(Type::Integer))
        .property("detail", string())
        .property("hint", string())
        .property(
            "validation-errors",
            ArrayBuilder::new().items(RefOr::T(any_object())),
        )
        .required("title")
        .required("status")
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(true)))
        .into()
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM,
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
                .build(),
        )
        .build()
}

fn success_response(r: &Route, status: u16) -> utoipa::openapi::Response {
    if status == 204 {
        return ResponseBuilder::new().description("No content").build();
    }
    let schema: Schema = match r.content_type {
        HAL | "application/json" if r.array => {
            ArrayBuilder::new().items(RefOr::T(any_object())).into()
        }
        HAL => {
            return ResponseBuilder::new()
                .description("Success")
                .content(
                    HAL,
                    ContentBuilder::new()
                        .schema(Some(RefOr::Ref(Ref::from_schema_name("Hal"))))
                        .build(),
                )
                .build()
        }
        "application/json" => any_object(),
        _ => ObjectBuilder::new().schema_type(Type::String).into(),
    };
    ResponseBuilder::new()
        .description("Success")
        .content(
            r.content_type,
            ContentBuilder::new().schema(Some(schema)).build(),
        )
        .build()
}

/// Path parameters that are ids (`id`, `note_id`, ...): integers. Any other value in
/// their place answers 404 problem+json (`extract::ApiPath`: such a path names no
/// resource), on every route; this is said on each such parameter and 404 response.
pub fn is_integer_param(name: &str) -> bool {
    name == "id" || name.ends_with("_id")
}

fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

fn operation(o: &Operation) -> utoipa::openapi::path::Operation {
    let r = &o.route;
    let op_id = format!(
        "{}{}",
        o.method.as_str().to_ascii_lowercase(),
        o.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| s
                .trim_matches(|c| c == '{' || c == '}')
                .replace(['.', '-'], "_"))
            .fold(String::new(), |acc, s| acc + "_" + &s)
    );
    let mut b = OperationBuilder::new()
        .tag(r.tag)
        .summary(Some(r.summary))
        .operation_id(Some(op_id));
    for name in path_params(&o.path) {
        let schema = if is_integer_param(&name) {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        } else {
            ObjectBuilder::new().schema_type(Type::String)
        };
        let description = is_integer_param(&name).then_some(NOT_AN_ID);
        b = b.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(description)
                .schema(Some(schema)),
        );
    }
    for (name, integer, description) in r.query {
        let schema = if *integer {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        } else {
            ObjectBuilder::new().schema_type(Type::String)
        };
        b = b.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(*description))
                .schema(Some(schema)),
        );
    }
    if let Some(body) = r.body {
        let mut rb = RequestBodyBuilder::new()
            .required(Some(if body == Body::Any {
                Required::False
            } else {
                Required::True
            }))
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(body_schema(body)))
                    .build(),
            );
        if matches!(body, Body::TokenRequest | Body::Any) {
            rb = rb.content(
                "application/x-www-form-urlencoded",
                ContentBuilder::new().schema(Some(any_object())).build(),
            );
        }
        b = b.request_body(Some(rb.build()));
    }
    for status in r.ok {
        b = b.response(status.to_string(), success_response(r, *status));
    }
    if r.auth {
        b = b.security(SecurityRequirement::new(BEARER, Vec::<String>::new()));
    }
    if r.tag == HOOKS {
        // the provider's own protocol: errors are plain text, not problem+json
        let text = ResponseBuilder::new()
            .description("Error in the provider's protocol")
            .content(
                "text/plain",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build(),
            )
            .build();
        return b.response("default", text).build();
    }
    if r.tag == OPS {
        return b.response("default", problem_response("Error")).build();
    }
    // The API and the token endpoint list every error status they answer, so that an
    // unexpected one is a finding (scripts/api-fuzz checks status codes).
    b = b.response(
        "400",
        problem_response("Malformed request, bad query parameter or validation failed"),
    );
    if r.auth || r.tag == "oauth" {
        b = b.response("401", problem_response("Missing, invalid or expired token"));
    }
    if r.auth {
        b = b.response("403", problem_response("Not allowed for this user"));
    }
    let has_id = path_params(&o.path).iter().any(|p| is_integer_param(p));
    b = b.response(
        "404",
        problem_response(if has_id {
            "No such thing, no such route, or an id in the path that is not an integer"
        } else {
            "No such thing, or no such route"
        }),
    );
    if r.method != Get {
        b = b.response("409", problem_response("Conflicts with stored data"));
    }
    if r.body.is_some() {
        b = b.response("413", problem_response("The request body is too large"));
    }
    if r.content_type == "text/event-stream" {
        b = b.response(
            "429",
            problem_response("Too many live connections for this user"),
        );
    }
    b = b.response(
        "414",
        problem_response("The address (path and query) is too long"),
    );
    // Answered by the server itself, before any route: no body.
    b = b.response(
        "431",
        ResponseBuilder::new()
            .description("The request's headers are too large")
            .build(),
    );
    b = b.response("500", problem_response("Internal error"));
    if r.tag == "telephony" {
        b = b.response(
            "502",
            problem_response("The PBX did not answer as expected"),
        );
    }
    b.build()
}

/// Builds the document from [`ROUTES`].
pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    for o in operations() {
        let item = PathItem::new(o.route.method.http(), operation(&o));
        match paths.paths.get_mut(&o.path) {
            Some(existing) => existing.merge_operations(item),
            None => {
                paths.paths.insert(o.path.clone(), item);
            }
        }
    }
    let mut tags: Vec<&str> = ROUTES.iter().map(|r| r.tag).collect();
    tags.dedup();
    let mut seen = Vec::new();
    tags.retain(|t| {
        let new = !seen.contains(t);
        seen.push(*t);
        new
    });
    let components = ComponentsBuilder::new()
        .schema("Problem", problem_schema())
        .schema("Hal", hal_schema())
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A long-lived API token (`switchboard token create`) or an OAuth2 access token",
                    ))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Switchboard")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Kommo-compatible REST API v4, OAuth2 token endpoint, PBX webhooks and operations endpoints",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .tags(Some(tags.into_iter().map(|t| TagBuilder::new().name(t).build())))
        .build()
}

static DOCUMENT: LazyLock<Result<String, String>> =
    LazyLock::new(|| serde_json::to_string(&document()).map_err(|e| e.to_string()));

async fn serve() -> Response {
    match &*DOCUMENT {
        Ok(s) => {
            let mut res = (StatusCode::OK, s.clone()).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI document could not be serialised");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(serve))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn successes_are_hal_objects_and_api_errors_are_listed() {
        let doc = serde_json::to_value(document()).unwrap();
        let ok = &doc["paths"]["/api/v4/leads/{id}"]["get"]["responses"]["200"];
        assert_eq!(
            ok["content"][HAL]["schema"]["$ref"],
            "#/components/schemas/Hal"
        );
        let hal = &doc["components"]["schemas"]["Hal"];
        assert_eq!(
            hal["properties"]["_links"]["additionalProperties"]["required"][0],
            "href"
        );
        assert!(hal["properties"]["_embedded"]["additionalProperties"]["oneOf"].is_array());
        // API errors are listed one by one: an unlisted status is a finding
        let r = &doc["paths"]["/api/v4/leads/{id}"]["patch"]["responses"];
        assert!(r.get("default").is_none());
        for s in ["400", "401", "403", "404", "409", "413", "414", "500"] {
            assert_eq!(
                r[s]["content"][PROBLEM]["schema"]["$ref"], "#/components/schemas/Problem",
                "{s}"
            );
        }
        // A path id that is not an integer: one documented status (404) everywhere
        let p = &doc["paths"]["/api/v4/leads/{id}/notes/{note_id}"]["patch"];
        for param in p["parameters"].as_array().unwrap() {
            assert_eq!(param["schema"]["type"], "integer");
            assert_eq!(param["description"], NOT_AN_ID);
        }
        assert!(p["responses"]["404"]["description"]
            .as_str()
            .unwrap()
            .contains("not an integer"));
        let complex = &doc["paths"]["/api/v4/leads/complex"]["post"]["responses"]["200"];
        assert_eq!(complex["content"][HAL]["schema"]["type"], "array");
    }

    #[test]
    fn every_operation_is_in_the_document_once() {
        let ops = operations();
        let doc = serde_json::to_value(document()).unwrap();
        let mut seen = std::collections::HashSet::new();
        for o in &ops {
            assert!(
                seen.insert((o.method.clone(), o.path.clone())),
                "duplicate row {} {}",
                o.method,
                o.path
            );
            let m = o.method.as_str().to_ascii_lowercase();
            assert!(
                doc["paths"][&o.path][&m].is_object(),
                "{} {} missing",
                o.method,
                o.path
            );
        }
    }
}
