//! Authorization (C2): passwords (argon2, off the async threads), access tokens as
//! JWTs (Kommo clients decode them and read `exp`), long-lived API tokens an admin
//! creates and revokes, and OAuth2 authorization code + rotating refresh tokens.
//! Every issued token's `jti` is recorded, so any token can be revoked and a
//! deactivated user's tokens stop working at once.

use crate::{Actor, Ctx, ServiceError};
use rand::RngCore;
use sb_domain::{AccountId, UserId};
use sb_store::tokens::{self, AccessToken, Grant, OAuthClient};
use sb_store::{accounts, users, Db};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const ACCESS_TTL_MS: i64 = 24 * 3600 * 1000;
pub const REFRESH_TTL_MS: i64 = 90 * 24 * 3600 * 1000;
pub const CODE_TTL_MS: i64 = 20 * 60 * 1000;
pub const API_TOKEN_DEFAULT_DAYS: i64 = 5 * 365;

pub struct AuthKeys {
    secret: Vec<u8>,
}

impl AuthKeys {
    pub async fn load(db: &Db) -> Result<AuthKeys, ServiceError> {
        let mut tx = db.begin().await?;
        let secret = accounts::init_setting(&mut tx, "jwt_secret", &random_hex(32)).await?;
        tx.commit().await?;
        Ok(AuthKeys {
            secret: secret.into_bytes(),
        })
    }
}

impl std::fmt::Debug for AuthKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthKeys(..)")
    }
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex(&buf)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

pub async fn hash_password(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await
    .map_err(|e| anyhow::anyhow!(e))?
    .map_err(ServiceError::Internal)
}

pub async fn verify_password(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        PasswordHash::new(&hash)
            .map(|h| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Checks e-mail and password (for UI sessions and the CLI). Every refusal takes one
/// password verification: an unknown e-mail, a user without a password or a deactivated
/// one would otherwise be answered sooner than a wrong password, and the time would
/// tell which it was.
pub async fn login(ctx: &Ctx, email: &str, password: &str) -> Result<Actor, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let found = users::by_email(&mut c, email).await?;
    // Not held through the hashing, which takes far longer than the query.
    drop(c);
    let (user, hash) = match found {
        Some((user, Some(hash))) => (Some(user), hash),
        _ => (None, decoy_hash().await?),
    };
    let matches = verify_password(hash, password.to_string()).await;
    let user = match user {
        Some(user) if matches && user.is_active => user,
        _ => {
            return Err(ServiceError::Unauthorized(
                "wrong e-mail or password".into(),
            ))
        }
    };
    let mut c = ctx.db.conn().await?;
    let account = accounts::get(&mut c, user.account_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(Actor { user, account })
}

/// A hash of a random password nobody knows, made once per process, for [`login`] to
/// verify against when there is no real one.
async fn decoy_hash() -> Result<String, ServiceError> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_try_init(|| hash_password(random_hex(16)))
        .await
        .cloned()
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub sub: String,
    pub account_id: i64,
    pub base_domain: String,
    pub api_domain: String,
    pub scopes: Vec<String>,
}

async fn issue(
    ctx: &Ctx,
    account: AccountId,
    user: UserId,
    kind: &str,
    name: Option<String>,
    client_id: Option<String>,
    ttl_ms: i64,
) -> Result<(String, AccessToken), ServiceError> {
    let now = ctx.now();
    let jti = uuid::Uuid::new_v4().to_string();
    let row = AccessToken {
        jti: jti.clone(),
        account_id: account,
        user_id: user,
        kind: kind.into(),
        name,
        client_id: client_id.clone(),
        created_at: now,
        expires_at: now + ttl_ms,
        revoked_at: None,
    };
    let claims = Claims {
        aud: client_id.unwrap_or_else(|| "switchboard".into()),
        jti,
        iat: now / 1000,
        nbf: now / 1000,
        exp: (now + ttl_ms) / 1000,
        sub: user.0.to_string(),
        account_id: account.0,
        base_domain: "localhost".into(),
        api_domain: "localhost".into(),
        scopes: vec!["crm".into(), "notifications".into()],
    };
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&ctx.auth.secret),
    )
    .map_err(|e| anyhow::anyhow!("signing token: {e}"))?;
    let mut tx = ctx.db.begin().await?;
    tokens::insert_access(&mut tx, &row).await?;
    tx.commit().await?;
    Ok((jwt, row))
}

/// Resolves a bearer token to its user, or says why not (401).
pub async fn authenticate(ctx: &Ctx, bearer: &str) -> Result<Actor, ServiceError> {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.validate_aud = false;
    v.leeway = 0;
    let data = jsonwebtoken::decode::<Claims>(
        bearer,
        &jsonwebtoken::DecodingKey::from_secret(&ctx.auth.secret),
        &v,
    )
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
            ServiceError::Unauthorized("the access token has expired".into())
        }
        _ => ServiceError::Unauthorized("the access token is invalid".into()),
    })?;
    let now = ctx.now();
    let mut c = ctx.db.conn().await?;
    let row = tokens::get_access(&mut c, &data.claims.jti)
        .await?
        .ok_or_else(|| ServiceError::Unauthorized("the access token is invalid".into()))?;
    if row.revoked_at.is_some() {
        return Err(ServiceError::Unauthorized(
            "the access token has been revoked".into(),
        ));
    }
    if row.expires_at <= now {
        return Err(ServiceError::Unauthorized(
            "the access token has expired".into(),
        ));
    }
    let user = users::get(&mut c, row.account_id, row.user_id)
        .await?
        .ok_or_else(|| ServiceError::Unauthorized("the token's user no longer exists".into()))?;
    if !user.is_active {
        return Err(ServiceError::Unauthorized(
            "the token's user is deactivated".into(),
        ));
    }
    let account = accounts::get(&mut c, row.account_id)
        .await?
        .ok_or_else(|| ServiceError::Unauthorized("the token's account no longer exists".into()))?;
    Ok(Actor { user, account })
}

/// A long-lived API token for `user` (admins only, or the system through the CLI).
pub async fn create_api_token(
    ctx: &Ctx,
    actor: &Actor,
    user: UserId,
    name: &str,
    days: Option<i64>,
) -> Result<(String, AccessToken), ServiceError> {
    actor.require_admin()?;
    let mut c = ctx.db.conn().await?;
    users::get(&mut c, actor.account.id, user)
        .await?
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    let days = days.unwrap_or(API_TOKEN_DEFAULT_DAYS).clamp(1, 5 * 366);
    issue(
        ctx,
        actor.account.id,
        user,
        "api",
        Some(name.to_string()),
        None,
        days * 24 * 3600 * 1000,
    )
    .await
}

/// The CLI path: a token for the user with this e-mail, acting as the system.
pub async fn create_api_token_for_email(
    ctx: &Ctx,
    email: &str,
    name: &str,
) -> Result<String, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let (user, _) = users::by_email(&mut c, email)
        .await?
        .ok_or_else(|| ServiceError::BadRequest(format!("no user with e-mail {email}")))?;
    drop(c);
    let (jwt, _) = issue(
        ctx,
        user.account_id,
        user.id,
        "api",
        Some(name.to_string()),
        None,
        API_TOKEN_DEFAULT_DAYS * 24 * 3600 * 1000,
    )
    .await?;
    Ok(jwt)
}

pub async fn list_api_tokens(ctx: &Ctx, actor: &Actor) -> Result<Vec<AccessToken>, ServiceError> {
    actor.require_admin()?;
    let mut c = ctx.db.conn().await?;
    Ok(tokens::list_api_tokens(&mut c, actor.account.id).await?)
}

pub async fn revoke_token(ctx: &Ctx, actor: &Actor, jti: &str) -> Result<(), ServiceError> {
    actor.require_admin()?;
    let mut tx = ctx.db.begin().await?;
    let done = tokens::revoke_access(&mut tx, actor.account.id, jti, ctx.now()).await?;
    tx.commit().await?;
    if done {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Registers an OAuth client (integration); the secret is shown once.
pub async fn create_oauth_client(
    ctx: &Ctx,
    actor: &Actor,
    name: &str,
    redirect_uri: &str,
) -> Result<(String, String), ServiceError> {
    actor.require_admin()?;
    let client_id = uuid::Uuid::new_v4().to_string();
    let secret = random_hex(32);
    let mut tx = ctx.db.begin().await?;
    tokens::insert_client(
        &mut tx,
        &OAuthClient {
            client_id: client_id.clone(),
            account_id: actor.account.id,
            name: name.into(),
            secret_hash: sha256_hex(&secret),
            redirect_uri: redirect_uri.into(),
            created_by: actor.user.id,
            created_at: ctx.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((client_id, secret))
}

/// The consent step: the signed-in user grants `client_id` access; returns the code to
/// send to the client's redirect URI.
pub async fn authorize(ctx: &Ctx, actor: &Actor, client_id: &str) -> Result<String, ServiceError> {
    let mut c = ctx.db.conn().await?;
    let client = tokens::get_client(&mut c, client_id)
        .await?
        .filter(|cl| cl.account_id == actor.account.id)
        .ok_or(ServiceError::NotFound)?;
    drop(c);
    let code = format!("def50200{}", random_hex(48));
    let mut tx = ctx.db.begin().await?;
    let grant = Grant {
        account_id: actor.account.id,
        client_id: client.client_id,
        user_id: actor.user.id,
        redirect_uri: client.redirect_uri,
    };
    tokens::insert_code(&mut tx, &sha256_hex(&code), &grant, ctx.now() + CODE_TTL_MS).await?;
    tx.commit().await?;
    Ok(code)
}

/// `POST /oauth2/access_token` in Kommo's shapes (JSON or form).
#[derive(Debug, Default, Deserialize)]
pub struct TokenRequest {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub refresh_token: Option<String>,
    pub redirect_uri: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub token_type: &'static str,
    pub expires_in: i64,
    pub access_token: String,
    pub refresh_token: String,
    pub server_time: i64,
}

pub async fn exchange(ctx: &Ctx, req: TokenRequest) -> Result<TokenResponse, ServiceError> {
    let client_id = req.client_id.as_deref().unwrap_or_default();
    let mut c = ctx.db.conn().await?;
    let client = tokens::get_client(&mut c, client_id).await?;
    drop(c);
    let client = match client {
        Some(cl)
            if req.client_secret.as_deref().map(sha256_hex).as_deref()
                == Some(cl.secret_hash.as_str()) =>
        {
            cl
        }
        _ => {
            return Err(ServiceError::Unauthorized(
                "client authentication failed: unknown client_id or wrong client_secret".into(),
            ))
        }
    };
    let now = ctx.now();
    let mut tx = ctx.db.begin().await?;
    let grant = match req.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = req.code.as_deref().ok_or_else(|| {
                ServiceError::BadRequest(
                    "code is required for grant_type authorization_code".into(),
                )
            })?;
            tokens::take_code(&mut tx, &sha256_hex(code), now)
                .await?
                .ok_or_else(|| {
                    ServiceError::BadRequest(
                        "the authorization code is invalid, expired or already used".into(),
                    )
                })?
        }
        Some("refresh_token") => {
            let rt = req.refresh_token.as_deref().ok_or_else(|| {
                ServiceError::BadRequest(
                    "refresh_token is required for grant_type refresh_token".into(),
                )
            })?;
            tokens::take_refresh(&mut tx, &sha256_hex(rt), now)
                .await?
                .ok_or_else(|| {
                    ServiceError::BadRequest(
                        "the refresh token is invalid, expired or already used".into(),
                    )
                })?
        }
        other => {
            return Err(ServiceError::BadRequest(format!(
                "unsupported grant_type {:?}: use authorization_code or refresh_token",
                other.unwrap_or("")
            )))
        }
    };
    if grant.client_id != client.client_id {
        return Err(ServiceError::BadRequest(
            "the grant was issued to another client".into(),
        ));
    }
    if let Some(uri) = req.redirect_uri.as_deref() {
        if uri != grant.redirect_uri {
            return Err(ServiceError::BadRequest(
                "redirect_uri does not match the integration's".into(),
            ));
        }
    }
    let refresh = format!("def50200{}", random_hex(48));
    tokens::insert_refresh(
        &mut tx,
        &sha256_hex(&refresh),
        &grant,
        now,
        now + REFRESH_TTL_MS,
    )
    .await?;
    tx.commit().await?;
    let (access, _) = issue(
        ctx,
        grant.account_id,
        grant.user_id,
        "oauth",
        None,
        Some(client.client_id),
        ACCESS_TTL_MS,
    )
    .await?;
    Ok(TokenResponse {
        token_type: "Bearer",
        expires_in: ACCESS_TTL_MS / 1000,
        access_token: access,
        refresh_token: refresh,
        server_time: now / 1000,
    })
}
