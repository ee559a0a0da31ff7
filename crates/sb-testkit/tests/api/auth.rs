use base64::Engine;
use reqwest::Method;
use sb_testkit::{json, spawn_apps};
use serde_json::{json, Value};

async fn assert_401(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let v = json(r).await;
    assert_eq!(v["status"], 401);
    assert_eq!(v["title"], "Unauthorized");
    v
}

#[tokio::test]
async fn missing_bad_expired_and_revoked_tokens_get_401() {
    for app in spawn_apps().await {
        assert_401(app.call(Method::GET, "/api/v4/contacts", None, None).await).await;
        assert_401(
            app.call(Method::GET, "/api/v4/contacts", Some("not-a-jwt"), None)
                .await,
        )
        .await;
        let (jwt, row) = sb_service::auth::create_api_token(
            app.ctx(),
            &app.admin,
            app.admin.user.id,
            "short",
            Some(1),
        )
        .await
        .unwrap();
        assert_eq!(
            app.call(Method::GET, "/api/v4/account", Some(&jwt), None)
                .await
                .status(),
            200
        );
        let r = app
            .call(
                Method::DELETE,
                &format!("/api/v4/api_tokens/{}", row.jti),
                Some(&app.admin_token.clone()),
                None,
            )
            .await;
        assert_eq!(r.status(), 204);
        let v = assert_401(
            app.call(Method::GET, "/api/v4/account", Some(&jwt), None)
                .await,
        )
        .await;
        assert!(v["detail"].as_str().unwrap().contains("revoked"));
        let (jwt2, _) = sb_service::auth::create_api_token(
            app.ctx(),
            &app.admin,
            app.admin.user.id,
            "day",
            Some(1),
        )
        .await
        .unwrap();
        app.clock.advance(25 * 3600 * 1000);
        let v = assert_401(
            app.call(Method::GET, "/api/v4/account", Some(&jwt2), None)
                .await,
        )
        .await;
        assert!(v["detail"].as_str().unwrap().contains("expired"));
    }
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn oauth_code_and_rotating_refresh_tokens() {
    for app in spawn_apps().await {
        let r = app
            .post(
                "/api/v4/oauth_clients",
                json!({"name": "My integration", "redirect_uri": "https://x.test/cb"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let c = json(r).await;
        let (client_id, secret) = (
            c["client_id"].as_str().unwrap().to_string(),
            c["client_secret"].as_str().unwrap().to_string(),
        );
        let code = sb_service::auth::authorize(app.ctx(), &app.admin, &client_id)
            .await
            .unwrap();
        let body = json!({"client_id": client_id, "client_secret": secret, "grant_type": "authorization_code", "code": code, "redirect_uri": "https://x.test/cb"});
        let r = app
            .call(
                Method::POST,
                "/oauth2/access_token",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status(), 200);
        let tok = json(r).await;
        assert_eq!(tok["token_type"], "Bearer");
        assert_eq!(tok["expires_in"], 86400);
        let access = tok["access_token"].as_str().unwrap();
        let cl = claims(access);
        assert!(cl["exp"].as_i64().unwrap() > cl["iat"].as_i64().unwrap());
        assert_eq!(cl["sub"], app.admin.user.id.0.to_string());
        assert_eq!(
            app.call(Method::GET, "/api/v4/account", Some(access), None)
                .await
                .status(),
            200
        );
        // A code works once.
        let again = app
            .call(Method::POST, "/oauth2/access_token", None, Some(body))
            .await;
        assert_eq!(again.status(), 400);
        assert!(json(again).await["hint"].is_string());
        // Refresh, form-encoded like the PHP SDK; the old refresh token dies.
        let refresh = tok["refresh_token"].as_str().unwrap().to_string();
        let form = [
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("redirect_uri", "https://x.test/cb"),
        ];
        let r = app
            .client
            .post(format!("{}/oauth2/access_token", app.url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let tok2 = json(r).await;
        assert_ne!(tok2["refresh_token"], tok["refresh_token"]);
        let r = app
            .client
            .post(format!("{}/oauth2/access_token", app.url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "a refresh token works once");
        // Wrong secret.
        let bad = json!({"client_id": client_id, "client_secret": "nope", "grant_type": "refresh_token", "refresh_token": tok2["refresh_token"]});
        assert_eq!(
            app.call(Method::POST, "/oauth2/access_token", None, Some(bad))
                .await
                .status(),
            401
        );
    }
}

#[tokio::test]
async fn only_admins_manage_tokens_and_users() {
    for app in spawn_apps().await {
        let (_, t) = app
            .user_with("mgr", sb_domain::Rights::manager_default(), None)
            .await;
        let r = app
            .call(
                Method::POST,
                "/api/v4/users",
                Some(&t),
                Some(json!([{"name": "X", "email": "x@example.test"}])),
            )
            .await;
        assert_eq!(r.status(), 403);
        let r = app
            .call(Method::GET, "/api/v4/api_tokens", Some(&t), None)
            .await;
        assert_eq!(r.status(), 403);
    }
}
