//! Signing in and out (C2). The sign-in form has no session yet, so it carries its own
//! CSRF token: a random value set as a cookie with the form and required back in the
//! form field (a cross-site page can neither read the cookie nor set it).

use super::{cookie, page, secure, set_cookie, visitor_lang, Ui, LANG_COOKIE, SESSION_COOKIE};
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sb_service::sessions::{self, Client, SignInError};
use serde::Deserialize;
use std::net::SocketAddr;

const LOGIN_CSRF_COOKIE: &str = "sb_login_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(show).post(sign_in))
        .route("/logout", post(sign_out))
}

#[derive(Template)]
#[template(path = "sessions/login.html")]
struct LoginPage {
    t: super::i18n::Tr,
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
    css: String,
    icon: String,
}

impl LoginPage {
    fn langs(&self) -> &'static [&'static str] {
        &super::i18n::LANGS
    }
    fn lang(&self) -> &'static str {
        self.t.lang()
    }
}

#[derive(Deserialize)]
struct ShowQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// Only a path on this site is a place to go back to after signing in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

async fn show(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
    signed: Option<Ui>,
) -> Response {
    if signed.is_some() {
        return Redirect::to("/").into_response();
    }
    let chosen = q.lang.as_deref().and_then(super::i18n::supported);
    let lang = chosen.unwrap_or_else(|| visitor_lang(&headers, None));
    let csrf = sb_service::auth::random_hex(16);
    let form = LoginPage {
        t: super::i18n::Tr::new(lang),
        csrf: csrf.clone(),
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
        css: super::assets::url("app.css"),
        icon: super::assets::url("favicon.svg"),
    };
    let sec = secure(&st, &headers);
    let mut res = page(&form);
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, Some(3600), sec),
    );
    if let Some(l) = chosen {
        h.append(
            header::SET_COOKIE,
            set_cookie(LANG_COOKIE, l, Some(365 * 86400), sec),
        );
    }
    res
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn sign_in(
    State(st): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    let tr = super::i18n::Tr::new(visitor_lang(&headers, None));
    let sec = secure(&st, &headers);
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    let again = |status: StatusCode, error: String| {
        let csrf = sb_service::auth::random_hex(16);
        let form = LoginPage {
            t: tr.clone(),
            csrf: csrf.clone(),
            email: f.email.clone(),
            next: safe_next(Some(&f.next)),
            error: Some(error),
            css: super::assets::url("app.css"),
            icon: super::assets::url("favicon.svg"),
        };
        let mut res = (status, page(&form)).into_response();
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(LOGIN_CSRF_COOKIE, &csrf, Some(3600), sec),
        );
        res
    };
    if expected.is_empty() || !super::same_bytes(expected, &f.csrf) {
        return again(StatusCode::FORBIDDEN, tr.t("login-expired"));
    }
    let ip = addr.ip().to_string();
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let client = Client {
        ip: &ip,
        user_agent: ua,
    };
    match sessions::sign_in(&st.ctx, f.email.trim(), &f.password, client).await {
        Ok((token, _session, _actor)) => {
            let mut res = Redirect::to(&safe_next(Some(&f.next))).into_response();
            let max_age = sessions::ABSOLUTE_MS / 1000;
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &token, Some(max_age), sec),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), sec),
            );
            res
        }
        Err(SignInError::Wrong) => again(StatusCode::UNAUTHORIZED, tr.t("login-wrong")),
        Err(SignInError::Throttled { retry_after_s }) => {
            let minutes = (retry_after_s + 59) / 60;
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                tr.t1("login-throttled", "minutes", minutes.max(1)),
            );
            if let Ok(v) = retry_after_s.max(1).to_string().parse() {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(SignInError::Service(e)) => {
            tracing::error!(error = %sb_domain::report::Chain(&e), "sign-in failed");
            again(StatusCode::SERVICE_UNAVAILABLE, tr.t("error-internal"))
        }
    }
}

/// Ends the session at once; the cookie is cleared too.
async fn sign_out(State(st): State<AppState>, headers: HeaderMap, ui: Ui) -> Response {
    if let Err(e) = sessions::sign_out(&st.ctx, &ui.token).await {
        return ui.fail(e).into_response();
    }
    let mut res = ui.redirect("/login");
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), secure(&st, &headers)),
    );
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            super::safe_next(Some("/contacts?page=2")),
            "/contacts?page=2"
        );
        assert_eq!(super::safe_next(Some("//evil.example")), "/");
        assert_eq!(super::safe_next(Some("https://evil.example")), "/");
        assert_eq!(super::safe_next(Some("/\\evil")), "/");
        assert_eq!(super::safe_next(None), "/");
    }
}
