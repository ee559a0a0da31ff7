//! Browser sessions (C2): signing in with e-mail and password, throttled per e-mail and
//! per client address; resolving the session cookie to its user; signing out; and what
//! a signed-in user changes about themselves (password, language).
//!
//! The cookie carries a random token that is never stored: the database keeps its
//! SHA-256, as it does for refresh tokens, so a copy of the database signs nobody in.
//! A session ends after [`IDLE_MS`] without a request, and [`ABSOLUTE_MS`] after
//! sign-in whatever the activity; ending a user's sessions is deleting their rows, so a
//! session never outlives a deactivation or a password change.

use crate::auth::{self, random_hex, sha256_hex};
use crate::{Actor, Ctx, ServiceError};
use sb_domain::fields::FieldError;
use sb_domain::{AccountId, UserId};
use sb_store::sessions::{self, Session};
use sb_store::{accounts, users, StoreError};

/// No request for 12 h: signed out.
pub const IDLE_MS: i64 = 12 * 3600 * 1000;
/// At most 14 days after sign-in, however active the session.
pub const ABSOLUTE_MS: i64 = 14 * 24 * 3600 * 1000;
/// Failed sign-ins allowed per [`FAILURE_WINDOW_MS`], per e-mail and per address.
pub const FAILURES_ALLOWED: i64 = 10;
pub const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// A session's `last_seen_at` is written at most this often: a page view that finds it
/// fresher is not a write. The idle limit is then counted from up to a minute before
/// the last request, which is well inside its precision.
pub const TOUCH_EVERY_MS: i64 = 60 * 1000;
/// The languages of the UI, the first the default.
pub const LANGS: [&str; 4] = ["en", "es", "pt", "hu"];
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Bytes of randomness in a session token (hex in the cookie) and in a CSRF token.
const TOKEN_BYTES: usize = 32;
/// What is kept of the client's description of itself (it is for the user to recognise
/// a session, and an address is never longer).
const MAX_USER_AGENT: usize = 512;
const MAX_IP: usize = 64;
/// No e-mail address is longer; a longer one matches no user, and as a throttle key it
/// would only make the row bigger.
const MAX_EMAIL: usize = 254;

#[derive(Clone, Debug)]
pub struct WebSession {
    pub user_id: UserId,
    pub account_id: AccountId,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

impl From<Session> for WebSession {
    fn from(s: Session) -> Self {
        WebSession {
            user_id: s.user_id,
            account_id: s.account_id,
            csrf: s.csrf,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong e-mail or password, or the user is deactivated (the same answer: which one
    /// it was is not revealed).
    #[error("wrong e-mail or password")]
    Wrong,
    /// Too many failures for this e-mail or this address; seconds until one more try is
    /// allowed.
    #[error("too many failed sign-ins; try again in {retry_after_s} s")]
    Throttled { retry_after_s: i64 },
    #[error(transparent)]
    Service(ServiceError),
}

impl From<ServiceError> for SignInError {
    fn from(e: ServiceError) -> Self {
        SignInError::Service(e)
    }
}

impl From<StoreError> for SignInError {
    fn from(e: StoreError) -> Self {
        SignInError::Service(e.into())
    }
}

/// Who is signing in, as the web layer sees them.
pub struct Client<'a> {
    pub ip: &'a str,
    pub user_agent: &'a str,
}

/// The first `max` characters of `s`.
fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn email_key(email: &str) -> String {
    format!("email:{}", clip(&email.trim().to_lowercase(), MAX_EMAIL))
}

fn ip_key(ip: &str) -> String {
    format!("ip:{}", clip(ip.trim(), MAX_IP))
}

/// When a session seen at `seen_at` ends: idle limit or absolute limit, the earlier.
fn expiry(created_at: i64, seen_at: i64) -> i64 {
    (seen_at + IDLE_MS).min(created_at + ABSOLUTE_MS)
}

/// Milliseconds until `key` may try again, or `None` when it may now.
async fn throttled_for(
    c: &mut impl sb_store::DbConn,
    key: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let recent =
        sessions::recent_failures(c, key, now - FAILURE_WINDOW_MS, FAILURES_ALLOWED).await?;
    // The oldest of the last FAILURES_ALLOWED failures: once it leaves the window, one
    // fewer is counted, and one more try is allowed.
    match recent.last() {
        Some(oldest) if recent.len() as i64 >= FAILURES_ALLOWED => {
            Ok(Some((oldest + FAILURE_WINDOW_MS - now).max(1)))
        }
        _ => Ok(None),
    }
}

/// Checks the throttle first (a throttled attempt does not even verify the password),
/// then e-mail and password ([`auth::login`]); a wrong answer is recorded as a failure
/// under both the e-mail and the address. A success forgets that e-mail's failures
/// only: an address that failed for many e-mails stays throttled. Returns the cookie's
/// token, which is not kept anywhere and so is only ever seen here.
///
/// Two attempts at once may both pass the check before either is recorded, so a
/// burst can get a few more tries than [`FAILURES_ALLOWED`]; each still costs a full
/// password verification.
pub async fn sign_in(
    ctx: &Ctx,
    email: &str,
    password: &str,
    client: Client<'_>,
) -> Result<(String, WebSession, Actor), SignInError> {
    let now = ctx.now();
    let by_email = email_key(email);
    let by_ip = ip_key(client.ip);
    let mut c = ctx.db.conn().await?;
    let mut wait = None;
    for key in [&by_email, &by_ip] {
        wait = wait.max(throttled_for(&mut c, key, now).await?);
    }
    drop(c);
    if let Some(ms) = wait {
        return Err(SignInError::Throttled {
            retry_after_s: (ms + 999) / 1000,
        });
    }
    let actor = match auth::login(ctx, email, password).await {
        Ok(actor) => actor,
        Err(ServiceError::Unauthorized(_)) => {
            let mut tx = ctx.db.begin().await?;
            sessions::record_failure(&mut tx, &[&by_email, &by_ip], now, now - FAILURE_WINDOW_MS)
                .await?;
            tx.commit().await?;
            return Err(SignInError::Wrong);
        }
        Err(e) => return Err(SignInError::Service(e)),
    };
    let token = random_hex(TOKEN_BYTES);
    let session = Session {
        account_id: actor.account.id,
        user_id: actor.user.id,
        csrf: random_hex(TOKEN_BYTES),
        created_at: now,
        last_seen_at: now,
        expires_at: expiry(now, now),
        ip: clip(client.ip, MAX_IP),
        user_agent: clip(client.user_agent, MAX_USER_AGENT),
    };
    let mut tx = ctx.db.begin().await?;
    // Expired sessions are refused anyway; deleting them here keeps the table to the
    // live ones without a job.
    sessions::prune(&mut tx, now).await?;
    sessions::clear_failures(&mut tx, &by_email).await?;
    sessions::insert(&mut tx, &sha256_hex(&token), &session).await?;
    tx.commit().await?;
    Ok((token, session.into(), actor))
}

/// Whether `token` looks like one [`sign_in`] makes: anything else (an old or forged
/// cookie) is answered without a query.
fn well_formed(token: &str) -> bool {
    token.len() == 2 * TOKEN_BYTES && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The session's user, or `None` when the session is unknown, expired (idle or
/// absolute: then it is deleted) or its user deactivated or gone. Records the request
/// (`last_seen_at`, and with it the idle expiry) at most once per [`TOUCH_EVERY_MS`],
/// so a page view is not a write each time.
pub async fn resolve(ctx: &Ctx, token: &str) -> Result<Option<(Actor, WebSession)>, ServiceError> {
    if !well_formed(token) {
        return Ok(None);
    }
    let hash = sha256_hex(token);
    let now = ctx.now();
    let mut c = ctx.db.conn().await?;
    let Some(mut s) = sessions::get(&mut c, &hash).await? else {
        return Ok(None);
    };
    // The absolute limit is checked on its own too: `expires_at` already includes it,
    // but a row written otherwise must not outlive it.
    if now >= s.expires_at || now >= s.created_at + ABSOLUTE_MS {
        drop(c);
        end(ctx, &hash).await?;
        return Ok(None);
    }
    let user = users::get(&mut c, s.account_id, s.user_id)
        .await?
        .filter(|u| u.is_active);
    let account = match &user {
        Some(_) => accounts::get(&mut c, s.account_id).await?,
        None => None,
    };
    drop(c);
    let (Some(user), Some(account)) = (user, account) else {
        end(ctx, &hash).await?;
        return Ok(None);
    };
    if now - s.last_seen_at >= TOUCH_EVERY_MS {
        let expires_at = expiry(s.created_at, now);
        let mut tx = ctx.db.begin().await?;
        let live = sessions::touch(&mut tx, s.account_id, &hash, now, expires_at).await?;
        tx.commit().await?;
        if !live {
            // Signed out (or ended by a password change) since it was read.
            return Ok(None);
        }
        s.last_seen_at = now;
        s.expires_at = expires_at;
    }
    Ok(Some((Actor { user, account }, s.into())))
}

/// Deletes the session of a token hash.
async fn end(ctx: &Ctx, hash: &str) -> Result<(), ServiceError> {
    let mut tx = ctx.db.begin().await?;
    sessions::delete(&mut tx, hash).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the session at once (idempotent: an unknown or ended one is no error).
pub async fn sign_out(ctx: &Ctx, token: &str) -> Result<(), ServiceError> {
    if !well_formed(token) {
        return Ok(());
    }
    end(ctx, &sha256_hex(token)).await
}

/// The signed-in user changes their own password. The current one must match
/// (Validation on `current_password`) and the new one have at least
/// [`MIN_PASSWORD_CHARS`] characters (Validation on `new_password`); both are checked,
/// so the form can show both errors at once. Ends every other session of the user:
/// whoever else knew the old password is signed out, the browser that changed it is not
/// (`keep_token` is its session's token).
pub async fn change_password(
    ctx: &Ctx,
    actor: &Actor,
    keep_token: &str,
    current: &str,
    new: &str,
) -> Result<(), ServiceError> {
    let (account, id) = (actor.account.id, actor.user.id);
    let mut c = ctx.db.conn().await?;
    let hash = users::password_hash(&mut c, account, id).await?;
    drop(c);
    let mut errors = Vec::new();
    let matches = match hash {
        Some(hash) => auth::verify_password(hash, current.to_string()).await,
        None => false,
    };
    if !matches {
        errors.push(FieldError::new(
            "WrongPassword",
            "current_password",
            "This is not your current password.",
        ));
    }
    if new.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new(
            "TooShort",
            "new_password",
            format!("A password has at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(vec![crate::ItemErrors {
            request_id: "0".into(),
            errors,
        }]));
    }
    let new_hash = auth::hash_password(new.to_string()).await?;
    let mut tx = ctx.db.begin().await?;
    // Read in the writing transaction: a user deactivated (or deleted) meanwhile gets no
    // new password.
    users::lock(&mut tx, account, id)
        .await?
        .filter(|u| u.is_active)
        .ok_or(ServiceError::NotFound)?;
    users::set_password(&mut tx, account, id, &new_hash).await?;
    sessions::delete_for_user(&mut tx, account, id, Some(&sha256_hex(keep_token))).await?;
    tx.commit().await?;
    Ok(())
}

/// The error for a language not in [`LANGS`].
pub(crate) fn check_lang(lang: &str) -> Result<(), ServiceError> {
    if LANGS.contains(&lang) {
        Ok(())
    } else {
        Err(ServiceError::one("0", FieldError::not_supported("lang")))
    }
}

/// The user's UI language: one of [`LANGS`] (Validation on `lang` otherwise).
pub async fn set_lang(ctx: &Ctx, actor: &Actor, lang: &str) -> Result<(), ServiceError> {
    check_lang(lang)?;
    let mut tx = ctx.db.begin().await?;
    // The whole row is written back: held so a concurrent change (an admin's) stays.
    let mut user = users::lock(&mut tx, actor.account.id, actor.user.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if user.lang != lang {
        user.lang = lang.to_string();
        user.updated_at = ctx.now();
        users::update(&mut tx, &user).await?;
    }
    tx.commit().await?;
    Ok(())
}
