//! A browser-like HTTP client for the web UI's tests: keeps cookies, signs in through
//! the sign-in form, and sends the page's CSRF token with forms, as a browser does.

use crate::app::TestApp;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Method};
use sb_domain::entities::{Role, User};
use sb_domain::Rights;
use sb_service::users::NewUser;
use std::collections::BTreeMap;
use std::sync::Mutex;

pub const PASSWORD: &str = "correct horse battery";

/// An answer: status, where it redirects, headers and the body text.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }
    #[track_caller]
    pub fn assert_has(&self, text: &str) -> &Self {
        assert!(
            self.has(text),
            "expected {text:?} in the page (status {}):\n{}",
            self.status,
            self.body
        );
        self
    }
    #[track_caller]
    pub fn assert_lacks(&self, text: &str) -> &Self {
        assert!(
            !self.has(text),
            "did not expect {text:?} in the page (status {}):\n{}",
            self.status,
            self.body
        );
        self
    }
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "page:\n{}", self.body);
        self
    }
}

pub struct Browser {
    pub base: String,
    client: Client,
    cookies: Mutex<BTreeMap<String, String>>,
    csrf: Mutex<String>,
}

impl Browser {
    /// A visitor with no cookies yet.
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.url.clone(),
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: Mutex::new(BTreeMap::new()),
            csrf: Mutex::new(String::new()),
        }
    }

    /// Signs in through the form (and fails the test if that does not work).
    pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> Browser {
        let b = Browser::new(app);
        let p = b.try_sign_in(email, password).await;
        assert_eq!(p.status, 303, "sign-in refused:\n{}", p.body);
        b.get("/").await.assert_status(200);
        b
    }

    /// The admin of the app, signed in (their password set to [`PASSWORD`]).
    pub async fn admin(app: &TestApp) -> Browser {
        sb_service::users::set_password(app.ctx(), &app.admin, app.admin.user.id, PASSWORD)
            .await
            .expect("admin password");
        Browser::sign_in(app, &app.admin.user.email, PASSWORD).await
    }

    /// Opens the sign-in page and posts the form; the answer as it came.
    pub async fn try_sign_in(&self, email: &str, password: &str) -> Page {
        self.get("/login").await.assert_status(200);
        let csrf = self.cookie("sb_login_csrf").unwrap_or_default();
        self.send(
            Method::POST,
            "/login",
            &[("email", email), ("password", password), ("_csrf", &csrf)],
            None,
        )
        .await
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("cookies").get(name).cloned()
    }

    /// The `Cookie` header this browser sends (for a WebSocket handshake).
    pub fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .expect("cookies")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The CSRF token of the last full page seen.
    pub fn csrf(&self) -> String {
        self.csrf.lock().expect("csrf").clone()
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(Method::GET, path, &[], None).await
    }

    /// An htmx GET (answers a fragment where the page supports it).
    pub async fn hx_get(&self, path: &str) -> Page {
        self.send(Method::GET, path, &[], Some(false)).await
    }

    /// A form post with the page's CSRF token, as the browser sends a form.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf();
        let mut f: Vec<(&str, &str)> = fields.to_vec();
        f.push(("_csrf", &csrf));
        self.send(Method::POST, path, &f, None).await
    }

    /// An htmx post: the token in the header, as htmx sends it.
    pub async fn hx_post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, fields, Some(true)).await
    }

    /// A form post without any token (what a forged cross-site form would send).
    pub async fn post_without_csrf(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, fields, None).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        fields: &[(&str, &str)],
        htmx: Option<bool>,
    ) -> Page {
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .client
            .request(method.clone(), &url)
            .header("accept", "text/html")
            .header("accept-language", "en");
        let jar = self
            .cookies
            .lock()
            .expect("cookies")
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !jar.is_empty() {
            req = req.header(COOKIE, jar);
        }
        if let Some(with_token) = htmx {
            req = req.header("hx-request", "true");
            if with_token {
                req = req.header("x-csrf-token", self.csrf());
            }
        }
        if method != Method::GET {
            req = req.form(fields);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for c in headers.get_all(SET_COOKIE) {
            let Ok(c) = c.to_str() else { continue };
            let first = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                let mut jar = self.cookies.lock().expect("cookies");
                if v.is_empty() || c.contains("Max-Age=0") {
                    jar.remove(k.trim());
                } else {
                    jar.insert(k.trim().to_string(), v.to_string());
                }
            }
        }
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = res.text().await.unwrap_or_default();
        if let Some(t) = meta_csrf(&body) {
            *self.csrf.lock().expect("csrf") = t;
        }
        Page {
            status,
            location,
            headers,
            body,
        }
    }
}

fn meta_csrf(body: &str) -> Option<String> {
    let i = body.find("name=\"csrf-token\" content=\"")?;
    let rest = &body[i + "name=\"csrf-token\" content=\"".len()..];
    Some(rest[..rest.find('"')?].to_string())
}

/// A manager of the app's account who can sign in with [`PASSWORD`].
pub async fn manager(app: &TestApp, name: &str, rights: Rights, lang: &str) -> User {
    sb_service::users::create_user(
        app.ctx(),
        &app.admin,
        NewUser {
            name: name.into(),
            email: format!("{}@example.test", name.to_lowercase()),
            password: Some(PASSWORD.into()),
            role: Role::Manager,
            group_id: None,
            rights: Some(rights),
            lang: Some(lang.into()),
        },
    )
    .await
    .expect("manager created")
}
