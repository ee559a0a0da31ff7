//! `spawn_app()`: the real application on 127.0.0.1:0 over a fresh database, with an
//! admin token and helpers for calling the API as a client would.

use crate::db::TestDb;
use reqwest::{Client, Method, Response};
use sb_domain::entities::{Account, Role, User};
use sb_domain::Rights;
use sb_service::users::NewUser;
use sb_service::{Actor, ManualClock};
use sb_web::AppState;
use serde_json::Value;
use std::sync::Arc;
use switchboard::{App, Config};

pub struct TestApp {
    pub url: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub admin: Actor,
    pub admin_token: String,
    pub client: Client,
    pub backend: sb_store::Backend,
    /// The database, dropped with the app that created it (none for a second node).
    _db: Option<TestDb>,
    /// The database's URL.
    db_url: String,
    _files: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// One app per backend (SQLite, and PostgreSQL when configured).
pub async fn spawn_apps() -> Vec<TestApp> {
    spawn_apps_with(|_| {}).await
}

/// [`spawn_apps`] with the test's own changes to the configuration.
pub async fn spawn_apps_with(tweak: impl Fn(&mut Config)) -> Vec<TestApp> {
    let mut v = Vec::new();
    for db in crate::db::backends().await {
        v.push(spawn_app_with(db, &tweak).await);
    }
    v
}

pub async fn spawn_app_on(db: TestDb) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

async fn spawn_app_with(db: TestDb, tweak: impl Fn(&mut Config)) -> TestApp {
    // Warnings and errors (with their cause) land in the failing test's output.
    switchboard::telemetry::init("pretty", "warn");
    let files = tempfile::tempdir().expect("temp dir");
    let mut config = config_for(&db.url, &files);
    tweak(&mut config);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let clock = Arc::new(ManualClock::new(now));
    let app = App::build_with_clock(&config, clock.clone())
        .await
        .expect("app builds");
    let fl = app
        .first_login
        .clone()
        .expect("first start creates an account");
    let state = app.state.clone();
    let url = app.url();
    let backend = db.backend();
    let admin = Actor {
        user: fl.admin.clone(),
        account: fl.account.clone(),
    };
    let shutdown = serve(app);
    let (admin_token, _) =
        sb_service::auth::create_api_token(&state.ctx, &admin, admin.user.id, "tests", None)
            .await
            .expect("admin token");
    TestApp {
        url,
        state,
        clock,
        admin,
        admin_token,
        client: Client::new(),
        backend,
        db_url: db.url.clone(),
        _db: Some(db),
        _files: files,
        _shutdown: shutdown,
    }
}

fn config_for(db_url: &str, files: &tempfile::TempDir) -> Config {
    let mut config = Config {
        database_url: db_url.to_string(),
        bind: "127.0.0.1:0".into(),
        workers: false,
        recordings_dir: files.path().join("recordings").display().to_string(),
        secret_key_file: files.path().join("secret.key").display().to_string(),
        ..Config::default()
    };
    config.account.admin_email = "admin@example.test".into();
    config
}

/// Runs the app until the returned sender is dropped.
fn serve(app: App) -> tokio::sync::oneshot::Sender<()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = app
            .run_until(async move {
                let _ = rx.await;
            })
            .await;
    });
    tx
}

impl TestApp {
    /// A second node of the same deployment: another server on the same database,
    /// with the same clock, admin and token.
    pub async fn another_node(&self) -> TestApp {
        self.another_node_with(|_| {}).await
    }

    /// [`TestApp::another_node`] with the test's own changes to its configuration (by
    /// default it shares this node's secret key, as the nodes of one deployment do).
    pub async fn another_node_with(&self, tweak: impl Fn(&mut Config)) -> TestApp {
        let files = tempfile::tempdir().expect("temp dir");
        let mut config = config_for(&self.db_url, &files);
        config.secret_key_file = self._files.path().join("secret.key").display().to_string();
        tweak(&mut config);
        let app = App::build_with_clock(&config, self.clock.clone())
            .await
            .expect("second node builds");
        TestApp {
            url: app.url(),
            state: app.state.clone(),
            clock: self.clock.clone(),
            admin: self.admin.clone(),
            admin_token: self.admin_token.clone(),
            client: Client::new(),
            backend: self.backend,
            db_url: self.db_url.clone(),
            _db: None,
            _files: files,
            _shutdown: serve(app),
        }
    }

    /// The database's URL (a test reads the SQLite file itself, as an attacker would).
    pub fn db_url(&self) -> &str {
        &self.db_url
    }

    pub fn ctx(&self) -> &sb_service::Ctx {
        &self.state.ctx
    }

    /// Runs every due background job (the app's worker is off in tests).
    pub async fn drain_jobs(&self) -> usize {
        sb_service::jobs::drain(self.ctx()).await.expect("jobs run")
    }

    pub fn account(&self) -> &Account {
        &self.admin.account
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut rb = self.client.request(method, format!("{}{}", self.url, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send().await.expect("request reaches the app")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, Some(&self.admin_token.clone()), None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.call(
            Method::POST,
            path,
            Some(&self.admin_token.clone()),
            Some(body),
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.call(
            Method::PATCH,
            path,
            Some(&self.admin_token.clone()),
            Some(body),
        )
        .await
    }

    /// A user of the admin's account with these rights, and a token for them.
    pub async fn user_with(
        &self,
        name: &str,
        rights: Rights,
        group: Option<sb_domain::GroupId>,
    ) -> (User, String) {
        let u = sb_service::users::create_user(
            self.ctx(),
            &self.admin,
            NewUser {
                name: name.into(),
                email: format!("{}@example.test", name.to_lowercase()),
                password: None,
                role: Role::Manager,
                group_id: group,
                rights: Some(rights),
                lang: None,
            },
        )
        .await
        .expect("user created");
        let (t, _) = sb_service::auth::create_api_token(self.ctx(), &self.admin, u.id, "t", None)
            .await
            .expect("token");
        (u, t)
    }

    /// A second, separate account with its own admin token.
    pub async fn other_account(&self, subdomain: &str) -> (Actor, String) {
        let (account, admin) = sb_service::accounts::create_account(
            self.ctx(),
            sb_service::accounts::NewAccount {
                name: subdomain.into(),
                subdomain: subdomain.into(),
                country: "ES".into(),
                currency: "EUR".into(),
                timezone: "Europe/Madrid".into(),
                admin_name: "Other".into(),
                admin_email: format!("admin@{subdomain}.test"),
            },
            None,
        )
        .await
        .expect("account created");
        let actor = Actor {
            user: admin,
            account,
        };
        let (t, _) =
            sb_service::auth::create_api_token(self.ctx(), &actor, actor.user.id, "t", None)
                .await
                .expect("token");
        (actor, t)
    }
}

/// Reads a JSON body (panics with the text when it is not JSON).
pub async fn json(r: Response) -> Value {
    let status = r.status();
    let text = r.text().await.expect("body");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"))
}
