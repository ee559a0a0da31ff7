//! Browser sessions at the service level (the web layer's cookie and CSRF handling are
//! tested with it): sign-in and its throttle, idle and absolute expiry, sign-out,
//! deactivation, password and language changes. Time moves by the app's manual clock.

use reqwest::Method;
use sb_domain::entities::{Role, User};
use sb_service::auth::sha256_hex;
use sb_service::sessions::{
    self, Client, SignInError, WebSession, ABSOLUTE_MS, FAILURE_WINDOW_MS, IDLE_MS,
};
use sb_service::users::{self, NewUser, UserUpdate};
use sb_service::{Actor, Clock as _, ServiceError};
use sb_testkit::{spawn_apps, TestApp};

const HOUR: i64 = 3600 * 1000;
const PASSWORD: &str = "correct horse";
const HERE: Client<'static> = Client {
    ip: "192.0.2.1",
    user_agent: "tests",
};
const THERE: Client<'static> = Client {
    ip: "198.51.100.7",
    user_agent: "tests elsewhere",
};

/// A user of the admin's account who can sign in with [`PASSWORD`].
async fn user(app: &TestApp, name: &str, role: Role) -> User {
    users::create_user(
        app.ctx(),
        &app.admin,
        NewUser {
            name: name.into(),
            email: format!("{}@example.test", name.to_lowercase()),
            password: Some(PASSWORD.into()),
            role,
            group_id: None,
            rights: None,
            lang: None,
        },
    )
    .await
    .unwrap()
}

async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    client: Client<'_>,
) -> Result<(String, WebSession, Actor), SignInError> {
    sessions::sign_in(app.ctx(), email, password, client).await
}

/// Signs `u` in with [`PASSWORD`] from [`HERE`]; the cookie's token.
async fn signed_in(app: &TestApp, u: &User) -> String {
    sign_in(app, &u.email, PASSWORD, HERE).await.unwrap().0
}

async fn resolve(app: &TestApp, token: &str) -> Option<(Actor, WebSession)> {
    sessions::resolve(app.ctx(), token).await.unwrap()
}

/// Whether the session's row is still in the database.
async fn stored(app: &TestApp, token: &str) -> bool {
    let mut c = app.ctx().db.conn().await.unwrap();
    sb_store::sessions::get(&mut c, &sha256_hex(token))
        .await
        .unwrap()
        .is_some()
}

/// The fields a validation error names.
fn fields(e: ServiceError) -> Vec<String> {
    match e {
        ServiceError::Validation(items) => items
            .into_iter()
            .flat_map(|i| i.errors)
            .map(|e| e.path)
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn assert_wrong(r: Result<(String, WebSession, Actor), SignInError>) {
    assert!(matches!(r, Err(SignInError::Wrong)), "{:?}", r.err());
}

fn retry_after(r: Result<(String, WebSession, Actor), SignInError>) -> i64 {
    match r {
        Err(SignInError::Throttled { retry_after_s }) => retry_after_s,
        other => panic!("expected Throttled, got {:?}", other.map(|(_, s, _)| s)),
    }
}

#[tokio::test]
async fn the_right_password_signs_in_and_anything_else_is_the_same_wrong() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        let now = app.clock.now_ms();
        let (token, s, actor) = sign_in(&app, " ANA@example.test", PASSWORD, HERE)
            .await
            .unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!((s.user_id, s.account_id), (ana.id, app.account().id));
        assert_eq!(s.csrf.len(), 64);
        assert_ne!(s.csrf, token);
        assert_eq!((s.created_at, s.last_seen_at), (now, now));
        assert_eq!(s.expires_at, now + IDLE_MS);
        assert_eq!(actor.user.id, ana.id);
        // Only the token's hash is stored.
        assert!(stored(&app, &token).await);
        let (actor, again) = resolve(&app, &token).await.unwrap();
        assert_eq!(
            (actor.user.id, actor.account.id),
            (ana.id, app.account().id)
        );
        assert_eq!(again.csrf, s.csrf);

        assert_wrong(sign_in(&app, &ana.email, "wrong password", HERE).await);
        assert_wrong(sign_in(&app, "nobody@example.test", PASSWORD, HERE).await);
        assert_wrong(sign_in(&app, &ana.email, "", HERE).await);
        // Not a session: no query, no error.
        for junk in ["", "x", &"g".repeat(64), &token[..63]] {
            assert!(resolve(&app, junk).await.is_none(), "{junk:?}");
        }
    }
}

#[tokio::test]
async fn ten_failures_throttle_the_e_mail_and_the_address_until_the_window_passes() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        let bea = user(&app, "Bea", Role::Manager).await;
        for i in 0..sessions::FAILURES_ALLOWED {
            assert_wrong(sign_in(&app, &ana.email, &format!("guess {i}"), HERE).await);
        }
        // Even the right password is not tried now: from the same address, for the
        // same e-mail from another address, and for another e-mail from this address.
        let full = FAILURE_WINDOW_MS / 1000;
        assert_eq!(
            retry_after(sign_in(&app, &ana.email, PASSWORD, HERE).await),
            full
        );
        assert_eq!(
            retry_after(sign_in(&app, &ana.email, PASSWORD, THERE).await),
            full
        );
        assert_eq!(
            retry_after(sign_in(&app, &bea.email, PASSWORD, HERE).await),
            full
        );
        // Neither the e-mail nor the address: allowed.
        sign_in(&app, &bea.email, PASSWORD, THERE).await.unwrap();

        // A throttled attempt is no failure: the wait counts from the tenth.
        app.clock.advance(FAILURE_WINDOW_MS - 1500);
        assert_eq!(
            retry_after(sign_in(&app, &ana.email, PASSWORD, HERE).await),
            2
        );
        app.clock.advance(1500);
        sign_in(&app, &ana.email, PASSWORD, HERE).await.unwrap();
        // The address's first ten failures have left the window: ten new ones, for an
        // e-mail nobody has, throttle it again, for every e-mail.
        for i in 0..sessions::FAILURES_ALLOWED {
            assert_wrong(sign_in(&app, "nobody@example.test", &format!("{i}"), HERE).await);
        }
        assert!(retry_after(sign_in(&app, &bea.email, PASSWORD, HERE).await) > 0);
        // Ana's e-mail is not throttled elsewhere.
        sign_in(&app, &ana.email, PASSWORD, THERE).await.unwrap();
    }
}

#[tokio::test]
async fn failures_are_counted_per_e_mail_whatever_the_spelling() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        for i in 0..sessions::FAILURES_ALLOWED {
            // Each from its own address, so only the e-mail's count can reach ten.
            let ip = format!("203.0.113.{i}");
            let client = Client {
                ip: &ip,
                user_agent: "tests",
            };
            let email = if i % 2 == 0 {
                "ANA@example.test"
            } else {
                " ana@example.test"
            };
            assert_wrong(sign_in(&app, email, "wrong", client).await);
        }
        retry_after(sign_in(&app, &ana.email, PASSWORD, THERE).await);
    }
}

#[tokio::test]
async fn a_session_ends_after_twelve_idle_hours_and_slides_while_used() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        let idle = signed_in(&app, &ana).await;
        let used = signed_in(&app, &ana).await;
        let start = app.clock.now_ms();

        // Within a minute of the last write, a request writes nothing.
        app.clock.advance(30 * 1000);
        let (_, s) = resolve(&app, &used).await.unwrap();
        assert_eq!((s.last_seen_at, s.expires_at), (start, start + IDLE_MS));

        app.clock.set(start + 11 * HOUR);
        let (_, s) = resolve(&app, &used).await.unwrap();
        assert_eq!(s.last_seen_at, start + 11 * HOUR);
        assert_eq!(s.expires_at, start + 23 * HOUR);

        app.clock.set(start + IDLE_MS + 1);
        assert!(resolve(&app, &idle).await.is_none());
        assert!(!stored(&app, &idle).await, "an expired session is deleted");
        app.clock.set(start + 13 * HOUR);
        assert!(resolve(&app, &used).await.is_some());
        // Idle from 13 h: gone at 25 h.
        app.clock.set(start + 25 * HOUR);
        assert!(resolve(&app, &used).await.is_none());
        assert!(!stored(&app, &used).await);
    }
}

#[tokio::test]
async fn a_session_ends_fourteen_days_after_sign_in_however_active() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        let token = signed_in(&app, &ana).await;
        let start = app.clock.now_ms();
        let mut t = start;
        while t + 11 * HOUR < start + ABSOLUTE_MS {
            t += 11 * HOUR;
            app.clock.set(t);
            let (_, s) = resolve(&app, &token).await.expect("alive while used");
            assert!(s.expires_at <= start + ABSOLUTE_MS);
        }
        let (_, s) = resolve(&app, &token).await.unwrap();
        assert_eq!(
            s.expires_at,
            start + ABSOLUTE_MS,
            "the idle limit is capped"
        );
        app.clock.set(start + ABSOLUTE_MS);
        assert!(resolve(&app, &token).await.is_none());
        assert!(!stored(&app, &token).await);
    }
}

#[tokio::test]
async fn signing_out_ends_the_session_at_once_and_twice_is_harmless() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        let token = signed_in(&app, &ana).await;
        let other = signed_in(&app, &ana).await;
        sessions::sign_out(app.ctx(), &token).await.unwrap();
        assert!(resolve(&app, &token).await.is_none());
        sessions::sign_out(app.ctx(), &token).await.unwrap();
        sessions::sign_out(app.ctx(), "not a token").await.unwrap();
        // Only that browser's session.
        assert!(resolve(&app, &other).await.is_some());
    }
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_refused_and_their_api_token_too() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        let token = signed_in(&app, &ana).await;
        let (jwt, _) =
            sb_service::auth::create_api_token(app.ctx(), &app.admin, ana.id, "ana", None)
                .await
                .unwrap();
        let account = |jwt: String| {
            let app = &app;
            async move {
                app.call(Method::GET, "/api/v4/account", Some(&jwt), None)
                    .await
                    .status()
            }
        };
        assert_eq!(account(jwt.clone()).await, 200);

        // Only an admin, and not on themselves.
        let (actor, _) = resolve(&app, &token).await.unwrap();
        assert!(matches!(
            users::set_active(app.ctx(), &actor, ana.id, false).await,
            Err(ServiceError::Forbidden(_))
        ));
        let e = users::set_active(app.ctx(), &app.admin, app.admin.user.id, false)
            .await
            .unwrap_err();
        assert_eq!(fields(e), ["is_active"]);

        let u = users::set_active(app.ctx(), &app.admin, ana.id, false)
            .await
            .unwrap();
        assert!(!u.is_active);
        assert!(!stored(&app, &token).await, "sessions deleted with it");
        assert!(resolve(&app, &token).await.is_none());
        assert_wrong(sign_in(&app, &ana.email, PASSWORD, HERE).await);
        assert_eq!(account(jwt.clone()).await, 401);

        let u = users::set_active(app.ctx(), &app.admin, ana.id, true)
            .await
            .unwrap();
        assert!(u.is_active);
        signed_in(&app, &ana).await;
        assert_eq!(account(jwt).await, 200);
    }
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_other_browsers() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        let bea = user(&app, "Bea", Role::Manager).await;
        let here = signed_in(&app, &ana).await;
        let there = signed_in(&app, &ana).await;
        let beas = signed_in(&app, &bea).await;
        let (actor, _) = resolve(&app, &here).await.unwrap();
        let change = |current: &'static str, new: &'static str| {
            let (app, actor, here) = (&app, &actor, &here);
            async move { sessions::change_password(app.ctx(), actor, here, current, new).await }
        };

        let e = change("not it", "a new password").await.unwrap_err();
        assert_eq!(fields(e), ["current_password"]);
        let e = change(PASSWORD, "short").await.unwrap_err();
        assert_eq!(fields(e), ["new_password"]);
        let e = change("not it", "short").await.unwrap_err();
        assert_eq!(fields(e), ["current_password", "new_password"]);
        // Nothing changed yet.
        assert!(resolve(&app, &there).await.is_some());

        change(PASSWORD, "a new password").await.unwrap();
        assert!(resolve(&app, &here).await.is_some(), "this browser stays");
        assert!(resolve(&app, &there).await.is_none(), "the others are out");
        assert!(!stored(&app, &there).await);
        assert!(
            resolve(&app, &beas).await.is_some(),
            "other users untouched"
        );
        assert_wrong(sign_in(&app, &ana.email, PASSWORD, HERE).await);
        sign_in(&app, &ana.email, "a new password", HERE)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_language_is_one_of_four_and_kept() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        let token = signed_in(&app, &ana).await;
        let (actor, _) = resolve(&app, &token).await.unwrap();
        assert_eq!(actor.user.lang, "en");
        for bad in ["de", "", "EN", "pt-BR"] {
            let e = sessions::set_lang(app.ctx(), &actor, bad)
                .await
                .unwrap_err();
            assert_eq!(fields(e), ["lang"], "{bad:?}");
        }
        sessions::set_lang(app.ctx(), &actor, "hu").await.unwrap();
        let (actor, _) = resolve(&app, &token).await.unwrap();
        assert_eq!(actor.user.lang, "hu");
        let u = users::get(app.ctx(), &app.admin, ana.id).await.unwrap();
        assert_eq!(u.lang, "hu");
    }
}

#[tokio::test]
async fn an_admin_updates_a_user_field_by_field() {
    for app in spawn_apps().await {
        let ana = user(&app, "Ana", Role::Manager).await;
        let g = users::create_group(app.ctx(), &app.admin, "Sales")
            .await
            .unwrap();
        let u = users::update(
            app.ctx(),
            &app.admin,
            ana.id,
            UserUpdate {
                name: Some(" Ana María ".into()),
                group_id: Some(Some(g.id)),
                lang: Some("es".into()),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (u.name.as_str(), u.group_id, u.lang.as_str(), u.role),
            ("Ana María", Some(g.id), "es", Role::Manager)
        );
        // Promoted: an admin's rights; taken out of the group; the rest kept.
        let u = users::update(
            app.ctx(),
            &app.admin,
            ana.id,
            UserUpdate {
                role: Some(Role::Admin),
                group_id: Some(None),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((u.role, u.group_id), (Role::Admin, None));
        assert_eq!(u.rights, sb_domain::Rights::admin());
        assert_eq!((u.name.as_str(), u.lang.as_str()), ("Ana María", "es"));
        assert_eq!(users::get(app.ctx(), &app.admin, ana.id).await.unwrap(), u);

        let e = users::update(
            app.ctx(),
            &app.admin,
            ana.id,
            UserUpdate {
                name: Some("  ".into()),
                lang: Some("de".into()),
                group_id: Some(Some(sb_domain::GroupId(12345))),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), ["name", "lang", "group_id"]);
        let e = users::update(
            app.ctx(),
            &app.admin,
            app.admin.user.id,
            UserUpdate {
                role: Some(Role::Manager),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), ["role"]);
        let bea = user(&app, "Bea", Role::Manager).await;
        let token = signed_in(&app, &bea).await;
        let (beas, _) = resolve(&app, &token).await.unwrap();
        assert!(matches!(
            users::update(app.ctx(), &beas, ana.id, UserUpdate::default()).await,
            Err(ServiceError::Forbidden(_))
        ));
    }
}
