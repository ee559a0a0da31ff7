//! The web application: server-rendered pages (askama, autoescaped) with htmx for
//! partial updates, beside the API and calling the same sb-service functions.
//!
//! How a page module is built (`ui/contacts.rs` + `templates/contacts/*.html`):
//! - `pub fn router() -> Router<AppState>`, merged in [`router`] below.
//! - A handler takes [`Ui`] (the signed-in user, their session and language; a
//!   signed-out visitor is sent to `/login` before the handler runs), calls one
//!   sb-service function with `&ui.ctx()` and `&ui.actor`, and renders a template
//!   struct that has `l: Layout` (from `ui.layout("contacts")`, the nav section) with
//!   [`page`]. Errors: `service_call().await.or_fail(&ui)?` turns a `ServiceError`
//!   into the right page (an id the user may not see is the same 404 as an unknown id).
//! - Forms: `<input type="hidden" name="_csrf" value="{{ l.csrf }}">` in every POST
//!   form; htmx requests carry the token in a header by themselves (see base.html). The
//!   guard refuses a state-changing request without the token before any handler runs.
//!   Validation errors: [`FormErrors::of`] maps the service's field errors to translated
//!   messages shown beside each field (`errors.get("name")`).
//! - Strings: `{{ l.t("key") }}` / `l.t1("key", "count", n)`, keys in
//!   `locales/{en,es,pt,hu}.ftl` (a test fails on a missing or unknown key). Dates,
//!   numbers and money: `l.datetime(ms)`, `l.date(ms)`, `l.num(n)`, `l.money(minor_units)`
//!   (prices are stored in minor units; cents are shown only when there are any).
//! - Never build HTML with `format!`: templates escape what they print.

pub mod alerts;
pub mod assets;
pub mod calls;
pub mod cards;
pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod dashboard;
pub mod fields;
pub mod format;
pub mod i18n;
pub mod incoming;
pub mod leads;
pub mod notes;
pub mod pipelines;
pub mod profile;
pub mod search;
pub mod sessions;
pub mod statistics;
pub mod tasks;
pub mod telephony;
pub mod users;

use crate::state::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use i18n::Tr;
use sb_domain::rights::{Action, EntityKind};
use sb_service::sessions::WebSession;
use sb_service::{Actor, Ctx, ServiceError};

pub const SESSION_COOKIE: &str = "sb_session";
/// The language a signed-out visitor chose on the sign-in page.
pub const LANG_COOKIE: &str = "sb_lang";

/// The UI's routes, each behind the session guard (CSRF check, security headers).
pub fn router(st: AppState) -> Router<AppState> {
    Router::new()
        .merge(sessions::router())
        .merge(dashboard::router())
        .merge(profile::router())
        .merge(incoming::router())
        .merge(statistics::router())
        .merge(contacts::router())
        .merge(companies::router())
        .merge(search::router())
        .merge(tasks::router())
        .merge(users::router())
        .merge(notes::router())
        .merge(leads::router())
        .merge(pipelines::router())
        .merge(custom_fields::router())
        .merge(calls::router())
        .merge(telephony::router())
        .merge(alerts::router())
        .layer(axum::middleware::from_fn_with_state(st, guard))
        .route("/assets/{hash}/{name}", get(assets::serve))
}

/// The signed-in user of a request, found once by the guard.
#[derive(Clone)]
struct Signed {
    actor: Actor,
    session: WebSession,
    token: String,
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether cookies must be `Secure`: the public URL is HTTPS, or a proxy says the
/// request came over HTTPS.
pub fn secure(st: &AppState, headers: &HeaderMap) -> bool {
    st.secure_cookies
        || st
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Lax always, Secure over HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age_s: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(s) = max_age_s {
        c.push_str(&format!("; Max-Age={s}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("x=; Path=/"))
}

fn same_bytes(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// `Origin` (when the browser sends one) must be this server: a cross-site form post
/// is refused even before the token is looked at.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    origin_host.eq_ignore_ascii_case(host)
}

/// Every UI request passes here: the session is resolved once; a state-changing request
/// must carry the session's CSRF token (header `X-CSRF-Token`, or the form field
/// `_csrf`) and come from this origin; every answer gets the security headers.
async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let signed = match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) if !token.is_empty() => {
            match sb_service::sessions::resolve(&st.ctx, token).await {
                Ok(Some((actor, session))) => Some(Signed {
                    actor,
                    session,
                    token: token.to_string(),
                }),
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %sb_domain::report::Chain(&e), "resolving a session");
                    return with_headers(plain_status(StatusCode::SERVICE_UNAVAILABLE));
                }
            }
        }
        _ => None,
    };
    if let Some(s) = &signed {
        tracing::Span::current().record("user_id", s.actor.user.id.0);
    }
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let mut body = body;
    // PostgreSQL text cannot hold U+0000: a `%00` in a form or a query would fail the
    // write or the search there with a 500 (found by fuzzing) while SQLite took it, so
    // it is refused on both before any handler sees it.
    let nul =
        |b: &[u8]| form_urlencoded::parse(b).any(|(k, v)| k.contains('\0') || v.contains('\0'));
    if nul(parts.uri.query().unwrap_or("").as_bytes()) {
        return with_headers(plain_status(StatusCode::BAD_REQUEST));
    }
    let mut form = None;
    if unsafe_method && is_form(&parts.headers) {
        let bytes = match axum::body::to_bytes(body, st.limits.body_bytes).await {
            Ok(b) => b,
            Err(_) => {
                let tr = tr_for(&st, &parts.headers, signed.as_ref().map(|s| &s.actor));
                return with_headers(status_page(
                    &tr,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "error-too-large-title",
                    "error-too-large",
                ));
            }
        };
        if nul(&bytes) {
            return with_headers(plain_status(StatusCode::BAD_REQUEST));
        }
        body = Body::from(bytes.clone());
        form = Some(bytes);
    }
    // Sign-in has no session yet: its handler checks its own token (a cookie it set).
    if unsafe_method && parts.uri.path() != "/login" {
        let tr = tr_for(&st, &parts.headers, signed.as_ref().map(|s| &s.actor));
        if !same_origin(&parts.headers) {
            return with_headers(refused(&tr));
        }
        let Some(s) = &signed else {
            return with_headers(signed_out(&parts));
        };
        let header_token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let ok = match header_token {
            Some(t) => same_bytes(&t, &s.session.csrf),
            None => form.as_deref().is_some_and(|bytes| {
                form_urlencoded::parse(bytes)
                    .find(|(k, _)| k == "_csrf")
                    .is_some_and(|(_, v)| same_bytes(&v, &s.session.csrf))
            }),
        };
        if !ok {
            return with_headers(refused(&tr));
        }
    }
    parts.extensions.insert(signed);
    let res = next.run(Request::from_parts(parts, body)).await;
    with_headers(res)
}

/// The language for a request: the user's own, else the sign-in page's choice, else
/// the browser's, else English.
fn tr_for(_st: &AppState, headers: &HeaderMap, actor: Option<&Actor>) -> Tr {
    if let Some(a) = actor {
        return Tr::new(&a.user.lang);
    }
    Tr::new(visitor_lang(headers, None))
}

/// A signed-out visitor's language: chosen on the sign-in page (cookie), else the
/// browser's Accept-Language, else the account's country's.
pub fn visitor_lang(headers: &HeaderMap, account_country: Option<&str>) -> &'static str {
    if let Some(l) = cookie(headers, LANG_COOKIE).and_then(i18n::supported) {
        return l;
    }
    if let Some(l) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(i18n::negotiate)
    {
        return l;
    }
    account_country.map(i18n::for_country).unwrap_or("en")
}

fn plain_status(s: StatusCode) -> Response {
    (s, s.canonical_reason().unwrap_or("")).into_response()
}

/// A refused state-changing request (no or a wrong CSRF token, another origin).
fn refused(tr: &Tr) -> Response {
    let page = StatusPage {
        lang: tr.lang(),
        title: tr.t("error-csrf-title"),
        message: tr.t("error-csrf"),
        home: tr.t("error-back-home"),
        css: assets::url("app.css"),
    };
    (StatusCode::FORBIDDEN, render_html(&page)).into_response()
}

/// The answer to a signed-out visitor: to the sign-in page, coming back here after.
fn signed_out(parts: &Parts) -> Response {
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let target = if path == "/" || parts.method != Method::GET {
        "/login".to_string()
    } else {
        format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
        )
    };
    if parts.headers.contains_key("hx-request") {
        // htmx follows this header with a full page load.
        let mut res = StatusCode::OK.into_response();
        if let Ok(v) = HeaderValue::from_str(&target) {
            res.headers_mut().insert("hx-redirect", v);
        }
        return res;
    }
    Redirect::to(&target).into_response()
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
form-action 'self'; frame-ancestors 'none'";

/// Security headers on every UI answer. Pages are private data: never cached.
fn with_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// What a page handler starts from: the state, the signed-in user and their session.
pub struct Ui {
    pub st: AppState,
    pub actor: Actor,
    pub session: WebSession,
    /// The session cookie's token (to keep this session when others end).
    pub token: String,
    pub tr: Tr,
    /// The request was made by htmx (answer a fragment, not a whole page).
    pub htmx: bool,
    /// The request's path and query, for "back" links and redirects after a form.
    pub here: String,
    /// Open integration alerts, for the header's bell (admins' full pages only).
    pub alerts: i64,
}

impl FromRequestParts<AppState> for Ui {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let Some(Some(s)) = parts.extensions.get::<Option<Signed>>().cloned() else {
            return Err(signed_out(parts));
        };
        let htmx = parts.headers.contains_key("hx-request");
        // One indexed count, only for an admin's full page (fragments and form posts,
        // answered with a redirect, show no header).
        let alerts = if s.actor.is_admin() && !htmx && parts.method == Method::GET {
            sb_service::telephony::alerts::count_open(&st.ctx, &s.actor)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %sb_domain::report::Chain(&e), "counting alerts");
                    0
                })
        } else {
            0
        };
        Ok(Ui {
            alerts,
            st: st.clone(),
            tr: Tr::new(&s.actor.user.lang),
            actor: s.actor,
            session: s.session,
            token: s.token,
            htmx,
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
        })
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Ui {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        st: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Ui as FromRequestParts<AppState>>::from_request_parts(parts, st)
                .await
                .ok(),
        )
    }
}

impl Ui {
    pub fn ctx(&self) -> &Ctx {
        &self.st.ctx
    }

    /// The layout for a page of nav section `nav` ("dashboard", "contacts", ...).
    pub fn layout(&self, nav: &'static str) -> Layout {
        Layout {
            tr: self.tr.clone(),
            csrf: self.session.csrf.clone(),
            actor: self.actor.clone(),
            nav,
            here: self.here.clone(),
            fmt: format::Formats::new(
                self.tr.lang(),
                &self.actor.account.timezone,
                &self.actor.account.currency,
            ),
            query: String::new(),
            alerts: self.alerts,
        }
    }

    /// The page for a service error: 404 for what does not exist or may not be seen,
    /// 403 for what may not be done, the messages for a refused input.
    pub fn fail(&self, e: ServiceError) -> UiFail {
        let (status, title, message) = match &e {
            ServiceError::NotFound => (
                StatusCode::NOT_FOUND,
                self.tr.t("error-not-found-title"),
                self.tr.t("error-not-found"),
            ),
            ServiceError::Forbidden(_) => (
                StatusCode::FORBIDDEN,
                self.tr.t("error-forbidden-title"),
                self.tr.t("error-forbidden"),
            ),
            ServiceError::Unauthorized(_) => {
                return UiFail(Box::new(Redirect::to("/login").into_response()));
            }
            ServiceError::Validation(_) | ServiceError::BadRequest(_) => {
                let msgs = FormErrors::of(&e, &self.tr)
                    .map(|f| f.all().join(" "))
                    .unwrap_or_else(|| e.to_string());
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    self.tr.t("error-invalid-title"),
                    msgs,
                )
            }
            ServiceError::Conflict(_) => (
                StatusCode::CONFLICT,
                self.tr.t("error-conflict-title"),
                self.tr.t("error-conflict"),
            ),
            ServiceError::Upstream(m) => (
                StatusCode::BAD_GATEWAY,
                self.tr.t("error-upstream-title"),
                m.clone(),
            ),
            ServiceError::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    self.tr.t("error-internal-title"),
                    self.tr.t("error-internal"),
                )
            }
        };
        let mut l = self.layout("");
        l.nav = "";
        let page = ErrorPage { l, title, message };
        if self.htmx {
            // A fragment target can't hold a page: htmx shows this text in place.
            return UiFail(Box::new((status, Html(page.message)).into_response()));
        }
        UiFail(Box::new((status, render_html(&page)).into_response()))
    }

    /// After a successful form post: back to `to` (htmx: a client-side redirect).
    /// The messages to show beside a form's fields when `e` is a validation error;
    /// any other error is the error page (`?` passes it on).
    pub fn form_errors(&self, e: ServiceError) -> Result<FormErrors, UiFail> {
        FormErrors::of(&e, &self.tr).ok_or_else(|| self.fail(e))
    }

    pub fn redirect(&self, to: &str) -> Response {
        if self.htmx {
            let mut res = StatusCode::OK.into_response();
            if let Ok(v) = HeaderValue::from_str(to) {
                res.headers_mut().insert("hx-redirect", v);
            }
            return res;
        }
        Redirect::to(to).into_response()
    }
}

/// A page that could not be shown, already rendered.
pub struct UiFail(Box<Response>);

impl IntoResponse for UiFail {
    fn into_response(self) -> Response {
        *self.0
    }
}

pub type UiResult = Result<Response, UiFail>;

pub trait OrFail<T> {
    fn or_fail(self, ui: &Ui) -> Result<T, UiFail>;
}

impl<T> OrFail<T> for Result<T, ServiceError> {
    fn or_fail(self, ui: &Ui) -> Result<T, UiFail> {
        self.map_err(|e| ui.fail(e))
    }
}

/// Renders a template; a rendering failure is logged and answered 500.
pub fn page(t: &impl Template) -> Response {
    render_html(t).into_response()
}

fn render_html(t: &impl Template) -> Html<String> {
    match t.render() {
        Ok(s) => Html(s),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Html(String::from("Internal error"))
        }
    }
}

/// What every page's template gets as `l`: translations, formats, the user, the CSRF
/// token and the current nav section.
pub struct Layout {
    pub tr: Tr,
    pub csrf: String,
    pub actor: Actor,
    pub nav: &'static str,
    pub here: String,
    pub fmt: format::Formats,
    /// What the header's search box shows.
    pub query: String,
    /// Open integration alerts (the bell's badge; admins only).
    pub alerts: i64,
}

impl Layout {
    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }
    pub fn t1(&self, key: &str, name: &str, value: impl Into<i18n::Arg>) -> String {
        self.tr.t1(key, name, value)
    }
    pub fn lang(&self) -> &'static str {
        self.tr.lang()
    }
    pub fn langs(&self) -> &'static [&'static str] {
        &i18n::LANGS
    }
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
    /// `aria-current` for the nav link of `section`.
    pub fn current(&self, section: &str) -> &'static str {
        if self.nav == section {
            "page"
        } else {
            "false"
        }
    }
    pub fn is_admin(&self) -> bool {
        self.actor.is_admin()
    }
    /// The header bell's accessible name, with the open alerts' count.
    pub fn bell_label(&self) -> String {
        self.tr.t1("alerts-bell", "count", self.alerts)
    }
    pub fn bell_count(&self) -> String {
        self.fmt.num(self.alerts)
    }
    /// Whether the user may `action` ("view", "add", "edit", "delete", "export") on
    /// `entity` ("contacts", "companies", "leads", "tasks"): controls are hidden when
    /// not, and the service refuses anyway.
    pub fn can(&self, entity: &str, action: &str) -> bool {
        let kind = match entity {
            "contacts" => EntityKind::Contacts,
            "companies" => EntityKind::Companies,
            "leads" => EntityKind::Leads,
            "tasks" => EntityKind::Tasks,
            _ => return self.actor.is_admin(),
        };
        let action = match action {
            "view" => Action::View,
            "add" => Action::Add,
            "edit" => Action::Edit,
            "delete" => Action::Delete,
            "export" => Action::Export,
            _ => return false,
        };
        self.actor.can(kind, action)
    }
    /// Whether the user may watch the live board (supervisors).
    pub fn can_supervise(&self) -> bool {
        sb_service::telephony::live::can_supervise(&self.actor)
    }
    pub fn user_id(&self) -> i64 {
        self.actor.user.id.0
    }
    pub fn user_name(&self) -> &str {
        &self.actor.user.name
    }
    pub fn datetime(&self, ms: i64) -> String {
        self.fmt.datetime(ms)
    }
    pub fn date(&self, ms: i64) -> String {
        self.fmt.date(ms)
    }
    pub fn time(&self, ms: i64) -> String {
        self.fmt.time(ms)
    }
    pub fn num(&self, n: i64) -> String {
        self.fmt.num(n)
    }
    pub fn money(&self, n: i64) -> String {
        self.fmt.money(n)
    }
    /// A call's length, `m:ss` or `h:mm:ss`.
    pub fn duration(&self, secs: i64) -> String {
        format::duration(secs)
    }
    /// A `datetime-local` input's value for `ms` in the account's zone.
    pub fn input_datetime(&self, ms: i64) -> String {
        self.fmt.input_datetime(ms)
    }
}

/// Translated messages for a refused input, by field, to show beside each field.
pub struct FormErrors(Vec<(String, String)>);

impl FormErrors {
    /// The messages of a validation error (None for other errors). A field error's
    /// message is `error-<code>` in the user's language when that exists, else the
    /// service's own text.
    pub fn of(e: &ServiceError, tr: &Tr) -> Option<FormErrors> {
        match e {
            ServiceError::Validation(items) => Some(FormErrors(
                items
                    .iter()
                    .flat_map(|i| i.errors.iter())
                    .map(|fe| {
                        let key = format!("error-{}", fe.code);
                        let msg = if tr.has(&key) {
                            tr.t(&key)
                        } else {
                            fe.detail.clone()
                        };
                        (fe.path.clone(), msg)
                    })
                    .collect(),
            )),
            ServiceError::BadRequest(m) => Some(FormErrors(vec![(String::new(), m.clone())])),
            _ => None,
        }
    }

    pub fn none() -> FormErrors {
        FormErrors(Vec::new())
    }

    /// One message for the form as a whole.
    pub fn general(msg: String) -> FormErrors {
        FormErrors(vec![(String::new(), msg)])
    }

    /// The message for `field` (a field error's path starts with it: "name",
    /// "custom_fields_values[0]...").
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(p, _)| {
                p == field
                    || p.starts_with(&format!("{field}."))
                    || p.starts_with(&format!("{field}["))
            })
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `aria-invalid` for `field`'s input.
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.get(field).is_some() {
            "true"
        } else {
            "false"
        }
    }

    pub fn all(&self) -> Vec<&str> {
        self.0.iter().map(|(_, m)| m.as_str()).collect()
    }

    /// Messages of fields the form does not show (so they still reach the user).
    pub fn others(&self, shown: &[&str]) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(p, _)| !shown.iter().any(|f| p == f || p.starts_with(f)))
            .map(|(_, m)| m.as_str())
            .collect()
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    l: Layout,
    title: String,
    message: String,
}

/// A page without the signed-in layout (refused request, unknown address).
#[derive(Template)]
#[template(path = "errors/status.html")]
struct StatusPage {
    lang: &'static str,
    title: String,
    message: String,
    home: String,
    css: String,
}

/// A page without the signed-in layout: `status`, with the messages `title` and `message`.
fn status_page(tr: &Tr, status: StatusCode, title: &str, message: &str) -> Response {
    let page = StatusPage {
        lang: tr.lang(),
        title: tr.t(title),
        message: tr.t(message),
        home: tr.t("error-back-home"),
        css: assets::url("app.css"),
    };
    (status, render_html(&page)).into_response()
}

/// A request refused by the server's limits (413: too large, 414: too long an address),
/// for a browser: a page in the visitor's language.
pub fn limit_page(headers: &HeaderMap, status: StatusCode) -> Response {
    let tr = Tr::new(visitor_lang(headers, None));
    let (title, message) = match status {
        StatusCode::URI_TOO_LONG => ("error-uri-too-long-title", "error-uri-too-long"),
        _ => ("error-too-large-title", "error-too-large"),
    };
    with_headers(status_page(&tr, status, title, message))
}

/// An address no route knows, for a browser: a page in the visitor's language.
pub fn not_found_page(headers: &HeaderMap) -> Response {
    let tr = Tr::new(visitor_lang(headers, None));
    let page = StatusPage {
        lang: tr.lang(),
        title: tr.t("error-not-found-title"),
        message: tr.t("error-no-page"),
        home: tr.t("error-back-home"),
        css: assets::url("app.css"),
    };
    with_headers((StatusCode::NOT_FOUND, render_html(&page)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; sb_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, "sb_session"), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn origins_must_match_the_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h));
    }
}
