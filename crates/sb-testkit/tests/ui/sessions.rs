//! Signing in and out, the guard (CSRF, origin, security headers), languages.

use sb_domain::Rights;
use sb_testkit::spawn_apps;
use sb_testkit::ui::{manager, Browser, PASSWORD};

#[tokio::test]
async fn a_visitor_signs_in_and_out() {
    for app in spawn_apps().await {
        let b = Browser::new(&app);
        let home = b.get("/").await;
        assert_eq!(home.status, 303);
        assert_eq!(home.location.as_deref(), Some("/login"));
        let deep = b.get("/profile").await;
        assert_eq!(deep.location.as_deref(), Some("/login?next=%2Fprofile"));

        let m = manager(&app, "Marta", Rights::manager_default(), "en").await;
        let wrong = b.try_sign_in(&m.email, "not the password").await;
        wrong
            .assert_status(401)
            .assert_has("Wrong e-mail or password.");
        assert!(b.cookie("sb_session").is_none());
        // An unknown e-mail gets the same answer.
        b.try_sign_in("nobody@example.test", PASSWORD)
            .await
            .assert_status(401)
            .assert_has("Wrong e-mail or password.");

        let ok = b.try_sign_in(&m.email, PASSWORD).await;
        assert_eq!(ok.status, 303);
        let set: Vec<_> = ok
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let session = set.iter().find(|c| c.starts_with("sb_session=")).unwrap();
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        assert!(!session.contains("Secure"), "plain http: {session}");
        b.get("/").await.assert_status(200).assert_has("Marta");

        // Signing out ends the session at once, even for a copy of the cookie.
        let token = b.cookie("sb_session").unwrap();
        b.post_form("/logout", &[]).await;
        assert!(b.cookie("sb_session").is_none());
        assert!(sb_service::sessions::resolve(app.ctx(), &token)
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test]
async fn sign_in_goes_back_where_the_visitor_was_and_only_on_this_site() {
    for app in spawn_apps().await {
        let m = manager(&app, "Nico", Rights::manager_default(), "en").await;
        let b = Browser::new(&app);
        b.get("/login?next=%2Fprofile")
            .await
            .assert_has("value=\"/profile\"");
        let csrf = b.cookie("sb_login_csrf").unwrap();
        let p = b
            .post_without_csrf(
                "/login",
                &[
                    ("email", &m.email),
                    ("password", PASSWORD),
                    ("_csrf", &csrf),
                    ("next", "//evil.example/x"),
                ],
            )
            .await;
        assert_eq!(p.location.as_deref(), Some("/"));
    }
}

#[tokio::test]
async fn state_changes_need_the_sessions_csrf_token() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        let before = app.admin.user.lang.clone();
        let p = b
            .post_without_csrf("/profile/lang", &[("lang", "hu")])
            .await;
        p.assert_status(403).assert_has("Reload the page");
        let wrong = b
            .post_without_csrf("/profile/lang", &[("lang", "hu"), ("_csrf", "0000")])
            .await;
        wrong.assert_status(403);
        let u = sb_service::users::get(app.ctx(), &app.admin, app.admin.user.id)
            .await
            .unwrap();
        assert_eq!(u.lang, before, "a refused request changed nothing");
        // The sign-in form's own token is required too.
        let v = Browser::new(&app);
        v.get("/login").await;
        v.post_without_csrf(
            "/login",
            &[("email", &app.admin.user.email), ("password", PASSWORD)],
        )
        .await
        .assert_status(403);
        // With the token (form field, or htmx's header) it works.
        b.post_form("/profile/lang", &[("lang", "es"), ("back", "/profile")])
            .await
            .assert_status(303);
        b.get("/profile").await.assert_has("Mi perfil");
        b.hx_post("/profile/lang", &[("lang", "hu")])
            .await
            .assert_status(200);
        b.get("/profile").await.assert_has("Saját profil");
    }
}

#[tokio::test]
async fn pages_carry_security_headers() {
    for app in spawn_apps().await {
        let b = Browser::admin(&app).await;
        for path in ["/", "/login", "/profile"] {
            let p = b.get(path).await;
            let h = |n: &str| p.headers.get(n).map(|v| v.to_str().unwrap().to_string());
            let csp = h("content-security-policy").unwrap_or_default();
            assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert_eq!(h("x-content-type-options").as_deref(), Some("nosniff"));
            assert_eq!(h("referrer-policy").as_deref(), Some("same-origin"));
            // No inline script or style on the page for the policy to block.
            assert!(
                !p.body.contains("<script>") && !p.body.contains("style="),
                "{path}"
            );
        }
        // Assets: content-hashed and cached for a year.
        let page = b.get("/").await;
        let i = page.body.find("/assets/").unwrap();
        let url = &page.body[i..i + page.body[i..].find('"').unwrap()];
        let a = b.get(url).await;
        a.assert_status(200);
        assert!(a.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"));
    }
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_a_readable_message() {
    for app in spawn_apps().await {
        let m = manager(&app, "Tomas", Rights::manager_default(), "en").await;
        let b = Browser::new(&app);
        for _ in 0..sb_service::sessions::FAILURES_ALLOWED {
            b.try_sign_in(&m.email, "guess").await.assert_status(401);
        }
        let p = b.try_sign_in(&m.email, PASSWORD).await;
        p.assert_status(429)
            .assert_has("Too many failed attempts. Try again in 15 minutes.");
        assert!(p.headers.contains_key("retry-after"));
        app.clock
            .advance(sb_service::sessions::FAILURE_WINDOW_MS + 1);
        assert_eq!(b.try_sign_in(&m.email, PASSWORD).await.status, 303);
    }
}

#[tokio::test]
async fn each_user_sees_their_language_and_visitors_their_browsers() {
    for app in spawn_apps().await {
        let m = manager(&app, "Zsofia", Rights::manager_default(), "hu").await;
        let b = Browser::sign_in(&app, &m.email, PASSWORD).await;
        b.get("/")
            .await
            .assert_has("lang=\"hu\"")
            .assert_has("Kijelentkezés");
        // The sign-in page: the language chosen there (a cookie) wins over the browser's.
        let v = Browser::new(&app);
        v.get("/login?lang=pt").await.assert_has("Entrar");
        v.get("/login").await.assert_has("lang=\"pt\"");
    }
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_at_once() {
    for app in spawn_apps().await {
        let m = manager(&app, "Ivo", Rights::manager_default(), "en").await;
        let b = Browser::sign_in(&app, &m.email, PASSWORD).await;
        sb_service::users::set_active(app.ctx(), &app.admin, m.id, false)
            .await
            .unwrap();
        let p = b.get("/").await;
        assert_eq!(p.status, 303);
        b.try_sign_in(&m.email, PASSWORD).await.assert_status(401);
    }
}

#[tokio::test]
async fn an_unknown_address_is_a_page_for_browsers_and_json_for_the_api() {
    for app in spawn_apps().await {
        let b = Browser::new(&app);
        b.get("/no/such/page")
            .await
            .assert_status(404)
            .assert_has("There is no page at this address.");
        let api = app.get("/api/v4/nothing").await;
        assert_eq!(api.status(), 404);
        assert_eq!(
            api.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
    }
}

#[tokio::test]
async fn the_session_cookie_is_secure_over_https_or_when_configured() {
    let session_cookie = |p: &sb_testkit::ui::Page| {
        p.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("sb_session="))
            .unwrap()
    };
    for app in sb_testkit::spawn_apps_with(|c| c.secure_cookies = true).await {
        let b = Browser::new(&app);
        sb_service::users::set_password(app.ctx(), &app.admin, app.admin.user.id, PASSWORD)
            .await
            .unwrap();
        let p = b.try_sign_in(&app.admin.user.email, PASSWORD).await;
        assert!(session_cookie(&p).contains("; Secure"));
    }
    for app in spawn_apps().await {
        // A TLS proxy in front says the browser came over HTTPS.
        sb_service::users::set_password(app.ctx(), &app.admin, app.admin.user.id, PASSWORD)
            .await
            .unwrap();
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = c
            .get(format!("{}/login", app.url))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        let login_cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(login_cookie.contains("; Secure"), "{login_cookie}");
        let csrf = login_cookie
            .strip_prefix("sb_login_csrf=")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let r = c
            .post(format!("{}/login", app.url))
            .header("x-forwarded-proto", "https")
            .header("cookie", format!("sb_login_csrf={csrf}"))
            .form(&[
                ("email", app.admin.user.email.as_str()),
                ("password", PASSWORD),
                ("_csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let s = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("sb_session="))
            .unwrap();
        assert!(s.contains("; Secure"), "{s}");
    }
}
