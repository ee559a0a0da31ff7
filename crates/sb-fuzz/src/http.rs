//! HTTP-level targets: the input goes through the real router (every extractor, the UI
//! guard, the handlers, the database) with tower's `oneshot`, and any 5xx, or an answer
//! that takes longer than [`HANG`], is a finding. The router catches panics and answers
//! them 500, so a panic anywhere below is caught here too.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use switchboard::{App, Config};
use tower::ServiceExt;

/// An answer slower than this is a hang (inputs are small; a parser that loops or
/// backtracks shows up far beyond it).
pub const HANG: Duration = Duration::from_secs(10);

/// The built app and the credentials the targets put around the fuzzed part.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    router: Router,
    /// The admin's API token (a JWT), replacing `{jwt}` and `{api_token}` in inputs.
    pub jwt: String,
    /// A signed-in session cookie's token (`{session}`) and its CSRF token (`{csrf}`).
    pub session: String,
    pub csrf: String,
    // Dropped last: the app's state and runtime first, then the database files.
    _app: App,
    _files: tempfile::TempDir,
}

impl Harness {
    /// The app on a fresh SQLite file in a temporary folder.
    pub fn sqlite() -> anyhow::Result<Harness> {
        let files = tempfile::tempdir()?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            files.path().join("fuzz.db").display()
        );
        Self::on(&url, files)
    }

    /// The app on the (empty, fresh) database at `url`; `files` keeps its recordings.
    pub fn on(url: &str, files: tempfile::TempDir) -> anyhow::Result<Harness> {
        if std::env::var_os("SB_FUZZ_LOG").is_some() {
            // The cause of a 5xx is logged, not answered: SB_FUZZ_LOG=1 shows it.
            switchboard::telemetry::init("pretty", "warn");
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut config = Config {
            database_url: url.to_string(),
            bind: "127.0.0.1:0".into(),
            workers: false,
            recordings_dir: files.path().join("recordings").display().to_string(),
            ..Config::default()
        };
        config.account.admin_email = "admin@example.test".into();
        let (app, jwt, session, csrf) = rt.block_on(async {
            let app = App::build(&config).await?;
            let fl = app
                .first_login
                .clone()
                .ok_or_else(|| anyhow::anyhow!("the database was not empty"))?;
            let admin = sb_service::Actor {
                user: fl.admin.clone(),
                account: fl.account.clone(),
            };
            let ctx = &app.state.ctx;
            let (jwt, _) =
                sb_service::auth::create_api_token(ctx, &admin, admin.user.id, "fuzz", None)
                    .await
                    .map_err(|e| anyhow::anyhow!("api token: {e}"))?;
            let client = sb_service::sessions::Client {
                ip: "127.0.0.1",
                user_agent: "sb-fuzz",
            };
            let (session, web, _) =
                sb_service::sessions::sign_in(ctx, &fl.email, &fl.password, client)
                    .await
                    .map_err(|e| anyhow::anyhow!("sign-in: {e:?}"))?;
            anyhow::Ok((app, jwt, session, web.csrf))
        })?;
        let router = sb_web::router(app.state.clone());
        Ok(Harness {
            rt,
            router,
            jwt,
            session,
            csrf,
            _app: app,
            _files: files,
        })
    }

    /// `{jwt}`, `{api_token}`, `{session}` and `{csrf}` in `data` become the real ones.
    pub fn fill(&self, data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        for (k, v) in [
            ("{jwt}", &self.jwt),
            ("{api_token}", &self.jwt),
            ("{session}", &self.session),
            ("{csrf}", &self.csrf),
        ] {
            out = replace(&out, k.as_bytes(), v.as_bytes());
        }
        out
    }

    /// Sends one request and returns its status; `None` when no HTTP server would have
    /// passed it on (a URI or header that does not parse). Panics on a 5xx or a hang.
    pub fn send(
        &self,
        method: &Method,
        target: &[u8],
        headers: &[(&str, &[u8])],
        body: Vec<u8>,
    ) -> Option<StatusCode> {
        let uri = uri_of(target)?;
        let mut req = Request::builder().method(method.clone()).uri(uri);
        req = req.header(header::HOST, "127.0.0.1");
        for (k, v) in headers {
            let name = HeaderName::from_bytes(k.as_bytes()).ok()?;
            let value = HeaderValue::from_bytes(v).ok()?;
            req = req.header(name, value);
        }
        let mut req = req.body(Body::from(body)).ok()?;
        // What the server's listener adds to every request (sign-in throttles by it).
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let router = self.router.clone();
        let answer = self.rt.block_on(async move {
            let res = tokio::time::timeout(HANG, router.oneshot(req)).await;
            match res {
                Ok(Ok(res)) => {
                    let status = res.status();
                    let body = axum::body::to_bytes(res.into_body(), 64 * 1024)
                        .await
                        .unwrap_or_default();
                    Some((status, body))
                }
                Ok(Err(never)) => match never {},
                Err(_) => None,
            }
        });
        let Some((status, body)) = answer else {
            panic!("no answer within {HANG:?}: a hang");
        };
        assert!(
            !status.is_server_error(),
            "{method} answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        Some(status)
    }
}

/// One harness for the whole process, built on first use: what the coverage-guided
/// fuzzer's targets share (it calls them millions of times from one thread).
pub fn shared() -> &'static Harness {
    static H: std::sync::OnceLock<Harness> = std::sync::OnceLock::new();
    H.get_or_init(|| match Harness::sqlite() {
        Ok(h) => h,
        Err(e) => panic!("sb-fuzz: the app does not start: {e:#}"),
    })
}

/// `data` with every `from` replaced by `to`.
fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// A request target from fuzzed bytes: bytes a client would have to escape are
/// percent-escaped (as a browser or HTTP library does), the rest kept as written, so
/// `%`, `[` and `]` reach our parsers raw. `None` when even that is no URI.
fn uri_of(target: &[u8]) -> Option<Uri> {
    let keep = |b: u8| b.is_ascii_graphic() && !b"#\"<>\\^`{|}".contains(&b);
    let mut s = String::with_capacity(target.len() + 1);
    if target.first() != Some(&b'/') {
        s.push('/');
    }
    for &b in target {
        if keep(b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.parse().ok()
}

/// The first line and the rest (after the newline).
fn first_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Requests that would end the harness's own credentials (signing out, deactivating or
/// demoting the admin, revoking its token): skipped, or every later input would only
/// reach the 401 path.
fn ends_credentials(path: &[u8]) -> bool {
    let p = String::from_utf8_lossy(path).to_ascii_lowercase();
    let p = p.split('?').next().unwrap_or("");
    [
        "/logout",
        "/settings/users",
        "/api/v4/users",
        "/api/v4/api_tokens",
        "/profile/password",
    ]
    .iter()
    .any(|x| p.contains(x))
}

/// The Kommo list parameters (`filter[...]`, `order[...]`, `with`, `page`, `limit`,
/// `query`): input is a path and query, answered as the admin. Without a leading `/`
/// it is the query of the leads list.
pub fn api_query(h: &Harness, data: &[u8]) {
    let data = h.fill(data);
    let (line, _) = first_line(&data);
    let target = if line.first() == Some(&b'/') {
        line.to_vec()
    } else {
        [b"/api/v4/leads?".as_slice(), line].concat()
    };
    let auth = format!("Bearer {}", h.jwt);
    h.send(
        &Method::GET,
        &target,
        &[
            ("authorization", auth.as_bytes()),
            ("accept", b"application/json"),
        ],
        Vec::new(),
    );
}

/// JSON bodies of the API: first line `METHOD /path` (POST when no method), the body
/// after it, sent as the admin with `Content-Type: application/json`.
pub fn api_json(h: &Harness, data: &[u8]) {
    let data = h.fill(data);
    let (line, body) = first_line(&data);
    let line = String::from_utf8_lossy(line);
    let (method, path) = match line.split_once(' ') {
        Some((m, p)) => match m {
            "PATCH" => (Method::PATCH, p),
            "PUT" => (Method::PUT, p),
            "DELETE" => (Method::DELETE, p),
            _ => (Method::POST, p),
        },
        None => (Method::POST, line.as_ref()),
    };
    if ends_credentials(path.as_bytes()) && method != Method::POST {
        return;
    }
    let auth = format!("Bearer {}", h.jwt);
    h.send(
        &method,
        path.trim().as_bytes(),
        &[
            ("authorization", auth.as_bytes()),
            ("content-type", b"application/json"),
        ],
        body.to_vec(),
    );
}

/// The UI's form posts: first line the path (with a `nocsrf ` prefix the CSRF token
/// goes only in the form's `_csrf` field, so the guard parses the form), the
/// `application/x-www-form-urlencoded` body after it, in the signed-in session.
pub fn ui_form(h: &Harness, data: &[u8]) {
    let data = h.fill(data);
    let (line, body) = first_line(&data);
    let (path, header_csrf) = match line.strip_prefix(b"nocsrf ") {
        Some(p) => (p, false),
        None => (line, true),
    };
    if ends_credentials(path) {
        return;
    }
    let cookie = format!("sb_session={}", h.session);
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("cookie", cookie.as_bytes()),
        ("content-type", b"application/x-www-form-urlencoded"),
        ("accept", b"text/html"),
    ];
    if header_csrf {
        headers.push(("x-csrf-token", h.csrf.as_bytes()));
    }
    h.send(&Method::POST, path, &headers, body.to_vec());
}

/// Session cookies: the first line is the `Cookie` header of a page view; a second line,
/// if any, is an `X-CSRF-Token` for a form post (the language switch) in that session.
pub fn session_cookie(h: &Harness, data: &[u8]) {
    let data = h.fill(data);
    let (cookie, rest) = first_line(&data);
    let accept: (&str, &[u8]) = ("accept", b"text/html");
    if rest.is_empty() {
        h.send(
            &Method::GET,
            b"/",
            &[("cookie", cookie), accept],
            Vec::new(),
        );
        return;
    }
    let (csrf, _) = first_line(rest);
    h.send(
        &Method::POST,
        b"/profile/lang",
        &[
            ("cookie", cookie),
            ("x-csrf-token", csrf),
            ("content-type", b"application/x-www-form-urlencoded"),
            accept,
        ],
        b"lang=en".to_vec(),
    );
}

/// Bearer tokens and JWTs: the input is the `Authorization` header of an API call.
pub fn bearer(h: &Harness, data: &[u8]) {
    let data = h.fill(data);
    let (value, _) = first_line(&data);
    h.send(
        &Method::GET,
        b"/api/v4/account",
        &[("authorization", value), ("accept", b"application/json")],
        Vec::new(),
    );
}
